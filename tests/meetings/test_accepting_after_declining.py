"""Accepting an invitation after declining it books the person again, so the no-double-booking rule
applies: a clash is 409 naming the clashing meeting (on SQLite and on PostgreSQL, whose exclusion
constraint would otherwise refuse the write with a 500), nothing changes; once free, the invitation
holds the meeting's time as it is now (it may have moved since the decline)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.meetings import booking
from app.meetings.models import BOOKING_STATES, Invitation
from app.timekeeping import format_instant, now_utc
from tests.conftest import check_problem
from tests.meetings.conftest import in_hours


def _answer(client, headers, invitation_id, answer):
    return client.post(f"/api/v1/invitations/{invitation_id}/answer", headers=headers, json={"answer": answer})


def test_accepting_a_declined_invitation_into_a_clash_is_409_naming_the_meeting(client, session, specialist, board,
                                                                                  meeting_at, api_auth):
    radiologist = specialist("Dr Rad", ["radiology"])
    starts_at = in_hours(30)
    board_meeting = meeting_at(starts_at, board=board, title="Thoracic MDT")
    invitation = booking.invite(session, board_meeting, radiologist, discipline_code="radiology", at=now_utc())
    session.commit()
    mine, coordinator = api_auth.headers(radiologist), api_auth.headers(board.coordinator)
    assert _answer(client, mine, invitation.id, "declined").status_code == 200

    # Their time is free again: the coordinator books them into an overlapping ad-hoc meeting, and they accept.
    created = client.post("/api/v1/meetings", headers=coordinator, json={
        "title": "Second opinion", "starts_at": format_instant(starts_at + timedelta(minutes=30)),
        "duration_minutes": 60, "board_id": board.id})
    assert created.status_code == 201, created.get_json()
    adhoc_id = created.get_json()["id"]
    other = client.post(f"/api/v1/meetings/{adhoc_id}/invitations", headers=coordinator,
                        json={"user_id": radiologist.id, "discipline": "radiology"})
    assert other.status_code == 201, other.get_json()
    assert _answer(client, mine, other.get_json()["id"], "accepted").status_code == 200

    for answer in ("accepted", "tentative"):
        body = check_problem(_answer(client, mine, invitation.id, answer), 409)
        assert body["clashing_meeting_id"] == adhoc_id and "Second opinion" in body["detail"]
    session.expire_all()
    assert session.get(Invitation, invitation.id).status == "declined"
    held = session.scalars(select(Invitation).where(Invitation.user_id == radiologist.id,
                                                    Invitation.status.in_(BOOKING_STATES))).all()
    assert [i.meeting_id for i in held] == [adhoc_id]   # one meeting holds that time, not two

    # Once the other booking is withdrawn, they may accept after all.
    assert client.post(f"/api/v1/invitations/{other.get_json()['id']}/withdraw", headers=coordinator).status_code == 200
    accepted = _answer(client, mine, invitation.id, "accepted")
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"


def test_accepting_after_declining_holds_the_meetings_time_as_it_is_now(client, session, specialist, board, meeting_at,
                                                                         api_auth):
    radiologist = specialist("Dr Rad", ["radiology"], buffer_before_minutes=10, buffer_after_minutes=5)
    first_time, new_time = in_hours(30), in_hours(54)
    meeting = meeting_at(first_time, board=board, title="Thoracic MDT")
    invitation = booking.invite(session, meeting, radiologist, discipline_code="radiology", at=now_utc())
    session.commit()
    mine = api_auth.headers(radiologist)
    assert _answer(client, mine, invitation.id, "declined").status_code == 200
    moved = client.post(f"/api/v1/meetings/{meeting.id}/reschedule", headers=api_auth.headers(board.coordinator),
                        json={"starts_at": format_instant(new_time)})
    assert moved.status_code == 200
    # Something else of theirs now sits where the meeting used to be: no clash any more.
    earlier = meeting_at(first_time, title="Tumour board")
    booking.invite(session, earlier, radiologist, discipline_code="radiology", at=now_utc())
    session.commit()

    assert _answer(client, mine, invitation.id, "accepted").status_code == 200
    session.expire_all()
    again = session.get(Invitation, invitation.id)
    assert (again.status, again.busy_from, again.busy_until) == (
        "accepted", new_time - timedelta(minutes=10), new_time + timedelta(minutes=65))
