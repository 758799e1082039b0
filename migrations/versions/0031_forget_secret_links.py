"""live events forget secret links: the notification.created events of set-password links no longer
carry the link (it holds the secret; only the e-mail needs it)

Revision ID: 0031_forget_secret_links
Revises: 0030_transition_reason_code

"""
from alembic import op
import sqlalchemy as sa


revision = '0031_forget_secret_links'
down_revision = '0030_transition_reason_code'
branch_labels = None
depends_on = None

SECRET_LINK_KINDS = ("account.invitation", "account.password_reset")
live_events = sa.table('live_events', sa.column('seq', sa.BigInteger), sa.column('type', sa.String),
                       sa.column('data', sa.JSON))


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(live_events.c.seq, live_events.c.data).where(
        live_events.c.type == 'notification.created',
        sa.cast(live_events.c.data, sa.Text).like('%/set-password/%'))).all()
    for row in rows:
        data = dict(row.data or {})
        if data.get('kind') in SECRET_LINK_KINDS and data.get('link'):
            data['link'] = None
            connection.execute(live_events.update().where(live_events.c.seq == row.seq).values(data=data))


def downgrade():
    pass  # the secrets are gone for good, as they should be
