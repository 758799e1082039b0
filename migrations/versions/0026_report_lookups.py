"""report lookups: the moves of one state by case and time

Revision ID: 0026_report_lookups
Revises: 0025_rota_publication

"""
from alembic import op


revision = '0026_report_lookups'
down_revision = '0025_rota_publication'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_transitions') as batch_op:
        batch_op.create_index('ix_case_transitions_state_case_at', ['to_state', 'case_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('case_transitions') as batch_op:
        batch_op.drop_index('ix_case_transitions_state_case_at')
