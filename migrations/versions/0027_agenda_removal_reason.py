"""agenda removal reason: why a case was taken off an agenda, as a code ('missing_data' or
'other') beside the free text; removals recorded before stay without one

Revision ID: 0027_agenda_removal_reason
Revises: 0026_report_lookups

"""
from alembic import op
import sqlalchemy as sa


revision = '0027_agenda_removal_reason'
down_revision = '0026_report_lookups'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agenda_items') as batch_op:
        batch_op.add_column(sa.Column('removal_reason', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            'removal_reason_known', "removal_reason IS NULL OR removal_reason IN ('missing_data', 'other')")


def downgrade():
    with op.batch_alter_table('agenda_items') as batch_op:
        batch_op.drop_constraint(op.f('ck_agenda_items_removal_reason_known'), type_='check')
        batch_op.drop_column('removal_reason')
