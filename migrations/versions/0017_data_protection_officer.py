"""data-protection officer: a role that exports, erases and sets retention for its own site

Revision ID: 0017_data_protection_officer
Revises: 0016_audit_targets

"""
from alembic import op
import sqlalchemy as sa


revision = '0017_data_protection_officer'
down_revision = '0016_audit_targets'
branch_labels = None
depends_on = None

ROLES = ('referrer', 'specialist', 'coordinator', 'admin')


def _known(roles):
    return "role IN (" + ", ".join(f"'{role}'" for role in roles) + ")"


def upgrade():
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=sa.String(length=20), type_=sa.String(length=32))
        batch_op.drop_constraint(op.f('ck_user_roles_role_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_roles_role_known'), _known(ROLES + ('data-protection-officer',)))


def downgrade():
    op.execute("DELETE FROM user_roles WHERE role = 'data-protection-officer'")
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_role_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_roles_role_known'), _known(ROLES))
        batch_op.alter_column('role', existing_type=sa.String(length=32), type_=sa.String(length=20))
