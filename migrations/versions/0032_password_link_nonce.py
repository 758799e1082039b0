"""password link nonce: a set-password link's secret is derived from its id and a random nonce with a
key kept outside the database, so neither `password_links` nor the notification holds it; the links
set-password notifications still held are removed, and the links they carried, never sent, retired

Revision ID: 0032_password_link_nonce
Revises: 0031_forget_secret_links

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import app.db


revision = '0032_password_link_nonce'
down_revision = '0031_forget_secret_links'
branch_labels = None
depends_on = None

SECRET_LINK_KINDS = ("account.invitation", "account.password_reset")
WITHDRAWN = "withheld: its set-password link was stored in clear and was removed by migration 0032; issue a new one"
notifications = sa.table('notifications', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                         sa.column('dedupe_key', sa.String), sa.column('link', sa.String),
                         sa.column('emailed_at', app.db.UTCDateTime(timezone=True)),
                         sa.column('email_failed_at', app.db.UTCDateTime(timezone=True)),
                         sa.column('email_error', sa.String),
                         sa.column('email_claimed_at', app.db.UTCDateTime(timezone=True)),
                         sa.column('email_claimed_by', sa.String))
password_links = sa.table('password_links', sa.column('id', sa.Integer), sa.column('token_hash', sa.String),
                          sa.column('expires_at', app.db.UTCDateTime(timezone=True)),
                          sa.column('used_at', app.db.UTCDateTime(timezone=True)))


def upgrade():
    with op.batch_alter_table('password_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nonce', sa.String(length=64), nullable=True))
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=True)

    # The links still held in clear: never sent (or not yet). Their notifications are not e-mailed any
    # more, and the links they carried stop working (whoever read the database may hold them).
    connection = op.get_bind()
    now = datetime.now(timezone.utc)
    rows = connection.execute(sa.select(notifications.c.id, notifications.c.dedupe_key, notifications.c.emailed_at,
                                        notifications.c.email_failed_at).where(
        notifications.c.kind.in_(SECRET_LINK_KINDS), notifications.c.link.is_not(None))).all()
    for row in rows:
        values = {'link': None}
        if row.emailed_at is None and row.email_failed_at is None:
            values.update(email_failed_at=now, email_error=WITHDRAWN, email_claimed_at=None, email_claimed_by=None)
        connection.execute(notifications.update().where(notifications.c.id == row.id).values(**values))
        prefix, _, link_id = (row.dedupe_key or '').partition(':')
        if prefix == 'password-link' and link_id.isdigit():
            connection.execute(password_links.update().where(
                password_links.c.id == int(link_id), password_links.c.used_at.is_(None),
                password_links.c.expires_at > now).values(expires_at=now))


def downgrade():
    # Links made since have no token_hash; they cannot work without the nonce, so they get a value no
    # SHA-256 digest equals (unique, as the column must be) before the column is required again.
    connection = op.get_bind()
    connection.execute(password_links.update().where(password_links.c.token_hash.is_(None)).values(
        token_hash=sa.literal('retired:') + sa.cast(password_links.c.id, sa.String)))
    with op.batch_alter_table('password_links', schema=None) as batch_op:
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('nonce')
