"""session generation: signing out or changing a password ends every session

Revision ID: 0008_session_generation
Revises: 0007

"""
from alembic import op
import sqlalchemy as sa


revision = '0008_session_generation'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
