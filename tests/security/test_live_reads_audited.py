"""Reading the live meeting leaves an audit record: the live state over the API (notes) and the
events replayed to a subscriber who reconnects (comments, notes)."""
from __future__ import annotations

from datetime import datetime, timezone

import time_machine
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import socketio

DURING_THE_MEETING = datetime(2026, 11, 26, 1, 43, tzinfo=timezone.utc)


def audit_rows(session, action):
    session.expire_all()
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_the_live_state_over_the_api_is_audited_per_case(client, session, world):
    response = client.get(f"/api/v1/meetings/{world.meeting.id}/live", headers=world.headers["chair"])
    assert response.status_code == 200
    rows = [row for row in audit_rows(session, "case.viewed") if row.detail.get("via") == "live meeting API"]
    assert [(row.actor_id, row.target_id) for row in rows] == [(world.chair.id, str(world.case.id))]


def test_events_replayed_to_a_subscriber_are_audited(app, client, session, world):
    with time_machine.travel(DURING_THE_MEETING, tick=True):
        base = f"/api/v1/meetings/{world.meeting.id}/live"
        assert client.post(f"{base}/start", headers=world.headers["chair"]).status_code == 200
        assert client.put(f"{base}/notes", headers=world.headers["chair"],
                          json={"case_id": world.case.id, "notes": "T2N0; resectable."}).status_code == 200
        token = world.headers["chair"]["Authorization"].split()[1]
        live = socketio.test_client(app, auth={"token": token})
        try:
            answer = live.emit("subscribe", {"room": f"meeting:{world.meeting.id}", "since": 0}, callback=True)
        finally:
            live.disconnect()
    assert answer["ok"] is True and answer["replayed"] >= 2
    [row] = audit_rows(session, "live.replayed")
    assert row.actor_id == world.chair.id and row.target_id == str(world.meeting.id)
    assert row.detail["events"] == answer["replayed"] and row.detail["access"] == "full"
