"""rota publication: shifts generated from the coordinator's page are drafts until published;
existing shifts count as published

Revision ID: 0025_rota_publication
Revises: 0024_conference_links

"""
from alembic import op
import sqlalchemy as sa


revision = '0025_rota_publication'
down_revision = '0024_conference_links'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('on_call_shifts') as batch_op:
        batch_op.add_column(sa.Column('published', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('on_call_shifts') as batch_op:
        batch_op.drop_column('published')
