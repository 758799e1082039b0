"""outside working hours: an invitation booked outside the invitee's hours keeps the override's reason;
a rejected cover request keeps the coordinator's reason

Revision ID: 0021_outside_hours_override
Revises: 0020_coordinator_workspace

"""
from alembic import op
import sqlalchemy as sa


revision = '0021_outside_hours_override'
down_revision = '0020_coordinator_workspace'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations') as batch_op:
        batch_op.add_column(sa.Column('outside_hours_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('cover_requests') as batch_op:
        batch_op.add_column(sa.Column('decision_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('cover_requests') as batch_op:
        batch_op.drop_column('decision_reason')
    with op.batch_alter_table('invitations') as batch_op:
        batch_op.drop_column('outside_hours_reason')
