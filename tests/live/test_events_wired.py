"""Each event type arrives: live meeting (API), presence, booking, agenda, notifications, case changes."""
from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.timekeeping import now_utc


def test_live_meeting_over_the_api(live_server, world, clients, client):
    room = f"meeting:{world.meeting.id}"
    base = f"/api/v1/meetings/{world.meeting.id}/live"
    seat = clients(live_server.url, world.token["seat_cn"])
    seat.subscribe(room)
    joined = seat.wait_type(room, "presence.joined")
    assert joined["data"]["user_id"] == world.seat_cn.id
    assert joined["data"]["timezone"] == "Asia/Shanghai" and len(joined["data"]["local_time"]) == 5
    case_room = f"case:{world.case.id}"
    seat.subscribe(case_room)
    summary = clients(live_server.url, world.token["seat_de"])
    summary.subscribe(room)
    summary.subscribe(case_room)
    seat.wait_for(room, lambda evs: [e["type"] for e in evs].count("presence.joined") == 2)

    assert client.post(base + "/start", headers=world.headers["seat_cn"]).status_code == 403
    assert client.post(base + "/start", headers=world.headers["stranger"]).status_code == 404
    response = client.post(base + "/start", headers=world.headers["chair"])
    assert response.status_code == 200, response.get_json()
    started = seat.wait_type(room, "meeting.started")
    assert started["data"]["current_position"] == 0 and "current_case_id" not in started["data"]
    assert started["data"]["quorum_at_start"]["radiology"] == [world.seat_cn.id]

    second = world.cases[1].id
    response = client.post(base + "/current-case", json={"case_id": second}, headers=world.headers["chair"])
    assert response.status_code == 200, response.get_json()
    assert seat.wait_type(room, "meeting.current_case")["data"] == {"meeting_id": world.meeting.id, "position": 1}
    client.post(base + "/current-case", json={"case_id": world.case.id}, headers=world.headers["chair"])

    # Notes: the seat in China edits; the German seat (summary access) may not, and never sees the text.
    text = "Consensus: lobectomy; staging PET first."
    response = client.put(base + "/notes", json={"case_id": world.case.id, "notes": text},
                          headers=world.headers["seat_de"])
    assert response.status_code == 403
    response = client.put(base + "/notes", json={"case_id": world.case.id, "notes": text},
                          headers=world.headers["seat_cn"])
    assert response.status_code == 200, response.get_json()
    assert seat.wait_type(case_room, "notes.updated")["data"]["notes"] == text
    assert "notes" not in seat.wait_type(room, "notes.updated")["data"]
    assert "notes" not in summary.wait_type(case_room, "notes.updated")["data"]
    summary.wait_type(room, "notes.updated")
    assert all(text not in str(p) for p in summary.raw)

    state = client.get(base, headers=world.headers["seat_de"]).get_json()
    assert {p["user_id"] for p in state["present"]} == {world.seat_cn.id, world.seat_de.id}
    assert state["agenda"][0]["notes"] is None and state["agenda"][0]["access"] == "summary"
    state = client.get(base, headers=world.headers["seat_cn"]).get_json()
    assert state["agenda"][0]["notes"] == text and state["current_case_id"] == world.case.id
    assert {p["timezone"] for p in state["present"]} == {"Asia/Shanghai", "Europe/Berlin"}

    summary.unsubscribe(room)
    left = seat.wait_type(room, "presence.left")
    assert left["data"]["user_id"] == world.seat_de.id

    response = client.post(base + "/finish", headers=world.headers["chair"])
    assert response.status_code == 200, response.get_json()
    assert seat.wait_type(room, "meeting.finished")["data"]["meeting_id"] == world.meeting.id


def test_disconnect_records_leaving(live_server, world, clients):
    room = f"meeting:{world.meeting.id}"
    watcher = clients(live_server.url, world.token["chair"])
    watcher.subscribe(room)
    seat = clients(live_server.url, world.token["seat_cn"])
    seat.subscribe(room)
    watcher.wait_for(room, lambda evs: any(e["type"] == "presence.joined" and e["data"]["user_id"] == world.seat_cn.id
                                          for e in evs))
    seat.close()
    watcher.wait_for(room, lambda evs: any(e["type"] == "presence.left" and e["data"]["user_id"] == world.seat_cn.id
                                          for e in evs))


def test_booking_agenda_notification_and_case_events(live_server, world, clients, app):
    from app.cases.models import Case
    from app.cases.workflow import transition
    from app.meetings import agenda, booking
    from app.meetings.models import Invitation, Meeting

    meeting_room = f"meeting:{world.meeting.id}"
    chair = clients(live_server.url, world.token["chair"])
    chair.subscribe(meeting_room)
    chair.subscribe(f"board:{world.board.id}")
    seat = clients(live_server.url, world.token["seat_cn"])
    seat.subscribe(f"user:{world.seat_cn.id}")
    seat.subscribe(f"case:{world.case.id}")
    summary = clients(live_server.url, world.token["seat_de"])
    summary.subscribe(f"case:{world.case.id}")

    # An upcoming meeting of the same board: invitations, answers, agenda, cancellation.
    start = now_utc() + timedelta(days=2)
    upcoming = Meeting(title="Next", kind="adhoc", board_id=None, starts_at=start, ends_at=start + timedelta(hours=1),
                       host_timezone="UTC", status="scheduled", sequence=0, chair_id=world.chair.id)
    db.session.add(upcoming)
    db.session.commit()
    up_room = f"meeting:{upcoming.id}"
    chair.subscribe(up_room)
    seat.subscribe(up_room)
    invitation = booking.invite(db.session, upcoming, world.seat_cn, role="attendee", at=now_utc())
    db.session.commit()
    chair.wait_type(up_room, "invitation.created")
    note = seat.wait_type(f"user:{world.seat_cn.id}", "notification.created")
    assert note["data"]["unread"] >= 1 and note["data"]["kind"] == "meeting.invitation"
    booking.respond(db.session, db.session.get(Invitation, invitation.id), world.seat_cn, "accepted", at=now_utc())
    db.session.commit()
    assert chair.wait_type(up_room, "invitation.answered")["data"]["answer"] == "accepted"
    chair.wait_type(up_room, "quorum.changed")

    case = db.session.get(Case, world.cases[1].id)
    case.state = "triaged"
    db.session.commit()
    agenda.add_case(db.session, db.session.get(Meeting, upcoming.id), case, world.chair, at=now_utc(),
                    as_coordinator=True)
    db.session.commit()
    assert chair.wait_type(up_room, "agenda.changed")["data"] == {"meeting_id": upcoming.id, "items": 1}

    booking.cancel_meeting(db.session, db.session.get(Meeting, upcoming.id), at=now_utc(), reason="Public holiday")
    db.session.commit()
    chair.wait_type(up_room, "meeting.cancelled")

    # A case state change: full viewers get the reason, the board room does not. Withdrawing takes
    # the case off the agenda, so the invitee abroad, who saw it only as an invited summary viewer,
    # is taken out of its room before the change is announced.
    first = db.session.get(Case, world.case.id)
    transition(db.session, first, "withdrawn", world.chair, at=now_utc(), reason="Patient moved away, private")
    db.session.commit()
    full = seat.wait_type(f"case:{world.case.id}", "case.state_changed")
    assert full["data"]["reason"] == "Patient moved away, private"
    summary.wait_revoked(f"case:{world.case.id}")
    assert not any(event["type"] == "case.state_changed" for event in summary.raw)
    board_event = chair.wait_type(f"board:{world.board.id}", "case.state_changed")
    assert "reason" not in board_event["data"]
