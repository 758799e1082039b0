"""retention per site: finished cases are erased after a site's retention period

Revision ID: 0012_retention_per_site
Revises: 0011_audit_hash_chain

"""
from alembic import op
import sqlalchemy as sa


revision = '0012_retention_per_site'
down_revision = '0011_audit_hash_chain'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_years', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('retention_years')
