"""The audit trail records sign-in, sign-out and tokens, and cannot be rewritten."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from app.audit.models import AuditEvent, AuditTrailIsAppendOnly
from tests.conftest import PASSWORD


def actions(session):
    session.expire_all()
    return [(e.action, e.actor_id) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_sign_in_sign_out_and_tokens_are_audited(client, session, make_user, api_auth):
    user = make_user()
    client.post("/login", data={"email": user.email, "password": "wrong password"},
                environ_base={"REMOTE_ADDR": "203.0.113.7"})
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    client.post("/logout")
    headers = api_auth.headers(user)
    client.delete("/api/v1/auth/token", headers=headers)
    assert actions(session) == [
        ("auth.sign_in_refused", None),
        ("auth.sign_in", user.id),
        ("auth.sign_out", user.id),
        ("auth.token_created", user.id),
        ("auth.token_revoked", user.id),
    ]
    refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_refused")).one()
    assert refused.source_address == "203.0.113.7"
    assert refused.detail["email"] == user.email
    assert refused.occurred_at.utcoffset().total_seconds() == 0


def test_admin_reads_the_trail_through_the_api(client, make_user, api_auth):
    admin = make_user("admin")
    headers = api_auth.headers(admin)
    response = client.get("/api/v1/audit-events?action=auth.token_created", headers=headers)
    assert response.status_code == 200
    rows = response.get_json()
    assert [row["action"] for row in rows] == ["auth.token_created"]
    assert rows[0]["occurred_at"].endswith("Z")
    bad = client.get("/api/v1/audit-events?limit=0", headers=headers)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "limit"


def test_changes_to_audit_rows_are_refused_by_the_orm(session, make_user):
    from app.audit.operations import record

    event = record(session, "test.event", actor=make_user())
    session.commit()
    event.action = "rewritten"
    with pytest.raises(AuditTrailIsAppendOnly):
        session.commit()
    session.rollback()
    session.delete(event)
    with pytest.raises(AuditTrailIsAppendOnly):
        session.commit()
    session.rollback()


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"])
def test_changes_to_audit_rows_are_refused_by_the_database(session, make_user, statement):
    from app.audit.operations import record

    record(session, "test.event", actor=make_user())
    session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text(statement))
    session.rollback()
    assert actions(session)[-1][0] == "test.event"
