"""coordinator workspace: a board's rule for declined seats; meetings moved by a person

Revision ID: 0020_coordinator_workspace
Revises: 0019_admin_workspace

"""
from alembic import op
import sqlalchemy as sa


revision = '0020_coordinator_workspace'
down_revision = '0019_admin_workspace'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replace_declines', sa.String(length=20), nullable=False,
                                      server_default='automatic'))
        batch_op.create_check_constraint(op.f('ck_boards_replace_declines_known'),
                                         "replace_declines IN ('automatic', 'manual')")
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rescheduled_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_meetings_rescheduled_by_id_users'), 'users',
                                    ['rescheduled_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_meetings_rescheduled_by_id_users'), type_='foreignkey')
        batch_op.drop_column('rescheduled_by_id')
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_boards_replace_declines_known'), type_='check')
        batch_op.drop_column('replace_declines')
