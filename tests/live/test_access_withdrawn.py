"""A subscriber whose access ends while subscribed (here mostly the specialist in Germany, who sees the
Chinese cases only as an invited summary viewer) is taken out of the room at once: told with
`unsubscribed`, and sent nothing more from it. Access narrowed to a case's summary means subscribing
again at that level."""
from __future__ import annotations

import time

from app.accounts.models import User
from app.boards.models import BoardMember
from app.cases.models import Case
from app.extensions import db
from app.live.publish import publish
from app.meetings.models import Invitation


def _ping(room: str, n: int) -> None:
    publish(db.session, room, "ping", {"n": n})
    db.session.commit()


def _still_receives(watcher, gone, room: str, n: int) -> None:
    """Publish to `room`; the watcher gets it, the one taken out does not."""
    _ping(room, n)
    watcher.wait_for(room, lambda evs: any(e["type"] == "ping" and e["data"]["n"] == n for e in evs))
    assert not any(e["room"] == room and e["type"] == "ping" and e["data"]["n"] == n for e in gone.raw)


def test_a_withdrawn_invitation_takes_the_specialist_out_of_the_case_rooms(live_server, world, clients):
    seat = clients(live_server.url, world.token["seat_de"])
    chair = clients(live_server.url, world.token["chair"])
    case_room, meeting_room = f"case:{world.case.id}", f"meeting:{world.meeting.id}"
    for room in (case_room, meeting_room):
        assert seat.subscribe(room)["ok"] is True
    assert chair.subscribe(case_room)["ok"] is True
    invitation = db.session.query(Invitation).filter_by(user_id=world.seat_de.id).one()

    invitation.status = "withdrawn"
    db.session.commit()

    assert seat.wait_revoked(case_room) == {"room": case_room, "code": "access_withdrawn",
                                              "reason": "access withdrawn"}
    _still_receives(chair, seat, case_room, 1)
    # Someone once invited may still see the meeting itself (as over the API): that room stays.
    assert all(notice["room"] != meeting_room for notice in seat.revoked)
    assert seat.subscribe(case_room) == {"ok": False, "code": "not_allowed", "error": "not allowed, or no such room"}


def test_taking_a_case_off_the_agenda_takes_its_invitees_out(live_server, world, clients, client):
    seat = clients(live_server.url, world.token["seat_de"])
    chair = clients(live_server.url, world.token["chair"])
    removed, kept = (f"case:{case.id}" for case in world.cases)
    for room in (removed, kept):
        assert seat.subscribe(room)["ok"] is True
    chair.subscribe(removed)

    response = client.post(f"/api/v1/meetings/{world.meeting.id}/agenda/{world.cases[0].id}/remove",
                           json={"reason": "needs a repeat biopsy first"}, headers=world.headers["chair"])
    assert response.status_code in (200, 204), response.get_json()

    seat.wait_revoked(removed)
    _still_receives(chair, seat, removed, 2)
    publish(db.session, kept, "ping", {"n": 3}, summary_data={"n": 3})
    db.session.commit()
    seat.wait_for(kept, lambda evs: any(e["type"] == "ping" and e["data"]["n"] == 3 for e in evs))
    assert [notice["room"] for notice in seat.revoked] == [removed]


def test_consent_withdrawn_leaves_a_cross_border_viewer_only_the_summary(live_server, world, clients):
    room = f"case:{world.case.id}"
    db.session.get(Case, world.case.id).cross_border_consent = True
    db.session.commit()
    abroad = clients(live_server.url, world.token["seat_de"])
    at_home = clients(live_server.url, world.token["seat_cn"])
    assert "level" not in abroad.subscribe(room)       # full access while consent holds
    at_home.subscribe(room)

    db.session.get(Case, world.case.id).cross_border_consent = False
    db.session.commit()

    abroad.wait_revoked(room)
    publish(db.session, room, "case.updated", {"diagnosis": "adenocarcinoma"}, summary_data={"state": "scheduled"})
    db.session.commit()
    at_home.wait_type(room, "case.updated")
    assert not any(event["type"] == "case.updated" for event in abroad.raw)
    again = abroad.subscribe(room, since=0)
    assert again["ok"] is True and again["level"] == "summary"
    replayed = abroad.wait_type(room, "case.updated")
    assert replayed["data"] == {"state": "scheduled"}


def test_a_specialist_removed_from_the_board_leaves_its_room(live_server, world, clients):
    room = f"board:{world.board.id}"
    db.session.add(BoardMember(board_id=world.board.id, user_id=world.seat_de.id, role="core",
                               discipline_code="pathology"))
    db.session.commit()
    member = clients(live_server.url, world.token["seat_de"])
    second_tab = clients(live_server.url, world.token["seat_de"])
    chair = clients(live_server.url, world.token["chair"])
    for connection in (member, second_tab, chair):
        assert connection.subscribe(room)["ok"] is True

    db.session.delete(db.session.query(BoardMember).filter_by(board_id=world.board.id,
                                                              user_id=world.seat_de.id).one())
    db.session.commit()

    member.wait_revoked(room)
    second_tab.wait_revoked(room)   # every connection of theirs, not just one
    _still_receives(chair, member, room, 4)
    assert chair.revoked == []
    assert member.subscribe(room)["ok"] is False


def test_a_deactivated_account_is_taken_out_of_every_room_and_leaves_the_meeting(live_server, world, clients):
    meeting_room, case_room, own_room = f"meeting:{world.meeting.id}", f"case:{world.case.id}", f"user:{world.seat_cn.id}"
    seat = clients(live_server.url, world.token["seat_cn"])
    chair = clients(live_server.url, world.token["chair"])
    chair.subscribe(meeting_room)
    for room in (meeting_room, case_room, own_room):
        assert seat.subscribe(room)["ok"] is True
    chair.wait_for(meeting_room, lambda evs: any(e["type"] == "presence.joined"
                                                 and e["data"]["user_id"] == world.seat_cn.id for e in evs))

    db.session.get(User, world.seat_cn.id).is_active = False
    db.session.commit()

    for room in (meeting_room, case_room, own_room):
        seat.wait_revoked(room)
    left = chair.wait_type(meeting_room, "presence.left")
    assert left["data"]["user_id"] == world.seat_cn.id
    _still_receives(chair, seat, meeting_room, 5)


def test_access_is_rechecked_at_the_real_commit_not_at_a_savepoint(live_server, world, clients):
    """Declining an invitation books the next person inside a savepoint; that must not use up the recheck."""
    seat = clients(live_server.url, world.token["seat_de"])
    room = f"case:{world.case.id}"
    assert seat.subscribe(room)["ok"] is True
    db.session.query(Invitation).filter_by(user_id=world.seat_de.id).one().status = "declined"
    with db.session.begin_nested():
        db.session.flush()
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    time.sleep(0.3)
    assert seat.revoked == []            # nothing is committed yet
    db.session.commit()
    seat.wait_revoked(room)
