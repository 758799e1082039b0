"""outcome follow-up: whether a signed recommendation was carried out, changed or not carried out

Revision ID: 0018_outcome_follow_up
Revises: 0017_data_protection_officer

"""
from alembic import op
import sqlalchemy as sa

import app.db


revision = '0018_outcome_follow_up'
down_revision = '0017_data_protection_officer'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outcome_follow_ups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('outcome_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('carried_out', 'changed', 'not_carried_out')",
                           name=op.f('ck_outcome_follow_ups_status_known')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_outcome_follow_ups_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'],
                                name=op.f('fk_outcome_follow_ups_outcome_id_outcomes'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_outcome_follow_ups_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_follow_ups')),
        sa.UniqueConstraint('outcome_id', name=op.f('uq_outcome_follow_ups_outcome_id')),
    )
    with op.batch_alter_table('outcome_follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_follow_ups_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outcome_follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_follow_ups_case_id'))
    op.drop_table('outcome_follow_ups')
