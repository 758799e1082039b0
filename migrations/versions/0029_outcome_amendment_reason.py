"""outcome amendment reason: why a version replaced the one it supersedes, kept on the version;
versions amended before stay without one (their reason, where given, is in the audit trail)

Revision ID: 0029_outcome_amendment_reason
Revises: 0028_people_name_prefix

"""
from alembic import op
import sqlalchemy as sa


revision = '0029_outcome_amendment_reason'
down_revision = '0028_people_name_prefix'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outcomes') as batch_op:
        batch_op.add_column(sa.Column('amendment_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('outcomes') as batch_op:
        batch_op.drop_column('amendment_reason')
