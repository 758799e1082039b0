"""conference links: a board's standing call and a meeting's own call

Revision ID: 0024_conference_links
Revises: 0023_outcome_staging

"""
from alembic import op
import sqlalchemy as sa


revision = '0024_conference_links'
down_revision = '0023_outcome_staging'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('boards') as batch_op:
        batch_op.add_column(sa.Column('conference_url', sa.String(length=500), nullable=True))
    with op.batch_alter_table('meetings') as batch_op:
        batch_op.add_column(sa.Column('conference_url', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('meetings') as batch_op:
        batch_op.drop_column('conference_url')
    with op.batch_alter_table('boards') as batch_op:
        batch_op.drop_column('conference_url')
