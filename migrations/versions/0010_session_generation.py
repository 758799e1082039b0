"""session generation: signing out or changing a password ends every session

Revision ID: 0010_session_generation
Revises: 0009_email_outbox

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_session_generation'
down_revision = '0009_email_outbox'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
