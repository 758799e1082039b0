"""outcome staging: clinical and pathological TNM, stage group and the TNM edition

Revision ID: 0023_outcome_staging
Revises: 0022_preparation_and_imaging

"""
from alembic import op
import sqlalchemy as sa


revision = '0023_outcome_staging'
down_revision = '0022_preparation_and_imaging'
branch_labels = None
depends_on = None

STAGING = ('clinical_t', 'clinical_n', 'clinical_m', 'pathological_t', 'pathological_n', 'stage_group')


def upgrade():
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tnm_edition', sa.Integer(), nullable=True))
        for name in STAGING:
            batch_op.add_column(sa.Column(name, sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        for name in reversed(STAGING):
            batch_op.drop_column(name)
        batch_op.drop_column('tnm_edition')
