"""e-mail outbox: claims, retries and failures of notification e-mails

Revision ID: 0009_email_outbox
Revises: 0008_live_event_chain

"""
from alembic import op
import sqlalchemy as sa

import app.db


revision = '0009_email_outbox'
down_revision = '0008_live_event_chain'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_claimed_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('email_claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('email_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('email_retry_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('email_failed_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('email_error', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('email_error')
        batch_op.drop_column('email_failed_at')
        batch_op.drop_column('email_retry_at')
        batch_op.drop_column('email_attempts')
        batch_op.drop_column('email_claimed_by')
        batch_op.drop_column('email_claimed_at')
