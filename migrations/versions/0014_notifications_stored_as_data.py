"""notifications stored as data

Revision ID: 0014_notifications_as_data
Revises: 0013_user_interface_language

A notification keeps its kind and parameters; its words are rendered for each reader. Rows written
before keep their English text as written ("stored" text), with each ISO 8601 instant in it moved
into a parameter so that it, too, is shown in the reader's zone and language.
"""
import re

from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0014_notifications_as_data'
down_revision = '0013_user_interface_language'
branch_labels = None
depends_on = None

ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def stored_params(subject, body):
    """{'text': 'stored', 'subject': 'Quorum at risk: ... at {at_1}', 'at_1': '2026-11-26T06:00:00Z', ...}"""
    params, found = {"text": "stored"}, {}

    def placeholder(match):
        instant = match.group(0)
        if instant not in found:
            found[instant] = f"at_{len(found) + 1}"
            params[found[instant]] = instant
        return "{" + found[instant] + "}"

    params["subject"] = ISO_INSTANT.sub(placeholder, subject or "")
    params["body"] = ISO_INSTANT.sub(placeholder, body or "")
    return params


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))

    notifications = sa.table('notifications', sa.column('id', sa.Integer), sa.column('subject', sa.String),
                             sa.column('body', sa.Text), sa.column('params', sa.JSON))
    connection = op.get_bind()
    rows = connection.execute(sa.select(notifications.c.id, notifications.c.subject, notifications.c.body)).all()
    for row in rows:
        connection.execute(notifications.update().where(notifications.c.id == row.id)
                           .values(params=stored_params(row.subject, row.body)))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('params', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('body')
        batch_op.drop_column('subject')


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=True))

    notifications = sa.table('notifications', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                             sa.column('subject', sa.String), sa.column('body', sa.Text),
                             sa.column('params', sa.JSON))
    connection = op.get_bind()
    for row in connection.execute(sa.select(notifications.c.id, notifications.c.kind, notifications.c.params)).all():
        params = row.params or {}
        subject, body = params.get("subject") or row.kind, params.get("body") or ""
        for name, value in params.items():
            if name.startswith("at_"):
                subject, body = subject.replace("{" + name + "}", value), body.replace("{" + name + "}", value)
        connection.execute(notifications.update().where(notifications.c.id == row.id)
                           .values(subject=subject[:300], body=body))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('subject', existing_type=sa.String(length=300), nullable=False)
        batch_op.alter_column('body', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('params')
