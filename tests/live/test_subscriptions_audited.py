"""Subscribing to a live room whose events are patient data is a read, and leaves one audit row naming the
room: a case seen in full (its comments arrive with their bodies, its notes with their text) and a meeting.
The case's audit trail shows who receives it live. A case's summary room, a board's and one's own
notifications are not audited; a refused subscription writes nothing."""
from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db, socketio
from tests.conftest import PASSWORD

LIVE_READS = ("live.subscribed", "live.replayed")


def live_rows(actor=None) -> list[AuditEvent]:
    db.session.expire_all()
    statement = select(AuditEvent).where(AuditEvent.action.in_(LIVE_READS)).order_by(AuditEvent.id)
    if actor is not None:
        statement = statement.where(AuditEvent.actor_id == actor.id)
    rows = db.session.scalars(statement).all()
    db.session.commit()
    return rows


def connect(app, world, who):
    return socketio.test_client(app, auth={"token": world.token[who]})


def subscribe(live, room, **extra) -> dict:
    return live.emit("subscribe", {"room": room, **extra}, callback=True)


def test_subscribing_to_a_case_seen_in_full_is_recorded_and_what_follows_arrives_live(app, client, world):
    room = f"case:{world.case.id}"
    live = connect(app, world, "referrer")
    try:
        answer = subscribe(live, room)
        assert answer["ok"] is True and "level" not in answer
        [row] = live_rows(world.referrer)
        assert (row.action, row.target_type, row.target_id) == ("live.subscribed", "case", str(world.case.id))
        assert row.detail == {"room": room, "access": "full"}

        # What the subscription is for: a comment pushed afterwards arrives with its body.
        body = "Biopsy confirms adenocarcinoma; EGFR pending."
        response = client.post(f"/api/v1/cases/{world.case.id}/comments", json={"body": body},
                               headers=world.headers["referrer"])
        assert response.status_code == 201, response.get_json()
        pushed = [message["args"][0] for message in live.get_received() if message["name"] == "event"]
        assert [payload["data"].get("body") for payload in pushed if payload["type"] == "case.comment_added"] == [body]
        # Its reading is covered by the subscription row; nothing clinical is in that row.
        assert [r.action for r in live_rows(world.referrer)] == ["live.subscribed"]
        assert all(body not in str(r.detail) for r in live_rows())
    finally:
        live.disconnect()


def test_the_case_trail_shows_who_receives_the_case_live(app, client, world):
    live = connect(app, world, "seat_cn")
    try:
        assert subscribe(live, f"case:{world.case.id}")["ok"] is True
    finally:
        live.disconnect()
    assert client.post("/login", data={"email": world.chair.email, "password": PASSWORD}).status_code == 302
    html = client.get(f"/cases/{world.case.id}/audit").get_data(as_text=True)
    row = html.split('data-action="live.subscribed"', 1)[1].split("</tr>", 1)[0]
    assert "Radiologist Li" in row and f"case:{world.case.id}" in row


def test_one_row_per_subscription(app, client, world):
    room = f"case:{world.case.id}"
    live = connect(app, world, "seat_cn")
    try:
        first = subscribe(live, room)
        assert subscribe(live, room, since=first["seq"])["ok"] is True   # nothing missed: nothing replayed
        assert [r.action for r in live_rows(world.seat_cn)] == ["live.subscribed", "live.subscribed"]
        # A subscription that replays a backlog is recorded once, as the replay (which names the room).
        response = client.post(f"/api/v1/cases/{world.case.id}/comments", json={"body": "Reviewed."},
                               headers=world.headers["seat_cn"])
        assert response.status_code == 201
        again = subscribe(live, room, since=first["seq"])
        assert again["replayed"] == 1
        rows = live_rows(world.seat_cn)
        assert [r.action for r in rows] == ["live.subscribed", "live.subscribed", "live.replayed"]
        assert rows[-1].detail["room"] == room and rows[-1].target_id == str(world.case.id)
    finally:
        live.disconnect()


def test_subscribing_to_a_meeting_is_recorded_against_the_meeting(app, world):
    room = f"meeting:{world.meeting.id}"
    live = connect(app, world, "seat_cn")
    try:
        assert subscribe(live, room)["ok"] is True
    finally:
        live.disconnect()
    [row] = live_rows(world.seat_cn)
    assert (row.action, row.target_type, row.target_id, row.detail) == (
        "live.subscribed", "meeting", str(world.meeting.id), {"room": room})


def test_rooms_without_patient_data_and_refusals_write_nothing(app, world):
    summary = connect(app, world, "seat_de")   # no cross-border consent: the case's summary
    stranger = connect(app, world, "stranger")
    try:
        answer = subscribe(summary, f"case:{world.case.id}")
        assert answer["ok"] is True and answer["level"] == "summary"
        assert subscribe(summary, f"user:{world.seat_de.id}")["ok"] is True
        assert subscribe(stranger, f"case:{world.case.id}")["ok"] is False
        assert subscribe(stranger, f"meeting:{world.meeting.id}")["ok"] is False
    finally:
        summary.disconnect()
        stranger.disconnect()
    chair = connect(app, world, "chair")
    try:
        assert subscribe(chair, f"board:{world.board.id}")["ok"] is True
    finally:
        chair.disconnect()
    assert live_rows() == []
