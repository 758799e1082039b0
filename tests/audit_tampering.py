"""Writing to the audit trail behind the application's back, as its table's owner could: for the tests
that check the trail's hash chain finds it."""
from __future__ import annotations

from sqlalchemy import text


def tamper(session, statement, **values):
    """Run `statement` on the trail past the database's own refusal (its UPDATE/DELETE triggers), and commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        session.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        session.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
    session.execute(text(statement), values)
    session.commit()
