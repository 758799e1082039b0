"""Attendance: stretches of presence, the quorum at the start, the API, and the report figures."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.meetings import attendance
from app.meetings.models import Attendance, Meeting
from app.timekeeping import UTC, now_utc


def minutes(n):
    return timedelta(minutes=n)


def make_meeting(session, world, starts_at, *, hours=2, status="scheduled", day=None):
    meeting = Meeting(board_id=world.board.id, occurrence_date=day or starts_at.date(), title="MDT",
                      kind="board", starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours),
                      host_timezone="Asia/Shanghai", status=status, chair_id=world.chair.id)
    session.add(meeting)
    session.flush()
    return meeting


def test_stretches_join_leave_and_rejoin(session, world):
    start = datetime(2025, 12, 3, 6, 0, tzinfo=UTC)
    meeting = make_meeting(session, world, start)
    user = world.radiologist
    first = attendance.mark_joined(session, meeting, user, at=start, source="live")
    again = attendance.mark_joined(session, meeting, user, at=start + minutes(5), source="coordinator")
    assert again.id == first.id and again.joined_at == start and again.source == "live"
    attendance.mark_left(session, meeting, user, at=start + minutes(20))
    assert attendance.mark_left(session, meeting, user, at=start + minutes(25)) is None  # not present
    attendance.mark_joined(session, meeting, user, at=start + minutes(30))
    attendance.mark_left(session, meeting, user, at=start + minutes(75))
    attendance.mark_joined(session, meeting, world.pathologist, at=start + minutes(10), source="coordinator")
    session.commit()

    rows = attendance.stretches(session, meeting, user.id)
    assert [(r.joined_at, r.left_at) for r in rows] == [
        (start, start + minutes(20)), (start + minutes(30), start + minutes(75))]
    assert attendance.minutes_present(rows, meeting) == 65
    assert attendance.present_user_ids(session, meeting, start + minutes(5)) == {user.id}
    assert attendance.present_user_ids(session, meeting, start + minutes(15)) == {user.id, world.pathologist.id}
    assert attendance.present_user_ids(session, meeting, start + minutes(25)) == {world.pathologist.id}
    assert attendance.present_user_ids(session, meeting, start + minutes(20)) == {world.pathologist.id}
    assert attendance.present_user_ids(session, meeting) == {user.id, world.pathologist.id}
    # An open stretch runs to the meeting's end (or to `at` while it runs).
    open_rows = attendance.stretches(session, meeting, world.pathologist.id)
    assert attendance.minutes_present(open_rows, meeting) == 110
    assert attendance.minutes_present(open_rows, meeting, start + minutes(40)) == 30


def test_cancelled_meeting_and_unknown_source_are_refused(session, world):
    from app.errors import Conflict, InvalidInput

    meeting = make_meeting(session, world, datetime(2025, 12, 3, 6, 0, tzinfo=UTC), status="cancelled")
    with pytest.raises(Conflict):
        attendance.mark_joined(session, meeting, world.radiologist, at=meeting.starts_at, source="live")
    meeting.status = "scheduled"
    with pytest.raises(InvalidInput) as error:
        attendance.mark_joined(session, meeting, world.radiologist, at=meeting.starts_at, source="zoom")
    assert error.value.field == "source"


def test_quorum_at_start_lists_present_seats_per_discipline(session, world):
    start = datetime(2025, 12, 10, 6, 0, tzinfo=UTC)
    meeting = make_meeting(session, world, start, day=date(2025, 12, 10))
    world.invite(meeting, world.radiologist, discipline="radiology")
    world.invite(meeting, world.absent_radiologist, discipline="radiology")
    world.invite(meeting, world.surgeon, discipline="thoracic-surgery")
    world.invite(meeting, world.pathologist, discipline="pathology", status="withdrawn")
    world.invite(meeting, world.observer, role="observer")
    for user in (world.radiologist, world.surgeon, world.pathologist, world.observer):
        attendance.mark_joined(session, meeting, user, at=start - minutes(2))
    attendance.mark_left(session, meeting, world.surgeon, at=start + minutes(1))  # gone before the start
    attendance.mark_joined(session, meeting, world.absent_radiologist, at=start + minutes(30))  # too late

    quorum = attendance.record_quorum_at_start(session, meeting, at=start + minutes(5))
    session.commit()
    session.expire_all()
    meeting = session.get(Meeting, meeting.id)
    assert quorum == {"pathology": [], "radiology": [world.radiologist.id], "thoracic-surgery": []}
    assert meeting.quorum_at_start == quorum
    assert meeting.started_at == start + minutes(5)


def test_coordinator_marks_presence_during_a_running_meeting(client, session, world, headers):
    now = now_utc()
    meeting = make_meeting(session, world, now - minutes(20), status="in_progress", day=date(2099, 1, 1))
    world.invite(meeting, world.radiologist, discipline="radiology")
    session.commit()
    url = f"/api/v1/meetings/{meeting.id}/attendance"

    response = client.post(url, json={"user_id": world.radiologist.id, "present": True},
                           headers=headers(world.coordinator))
    assert response.status_code == 200, response.get_json()
    person = next(p for p in response.get_json()["people"] if p["user_id"] == world.radiologist.id)
    assert person["present_now"] is True and person["stretches"][0]["source"] == "coordinator"
    assert person["stretches"][0]["left_at"] is None

    response = client.post(url, json={"user_id": world.radiologist.id, "present": False},
                           headers=headers(world.chair))
    person = next(p for p in response.get_json()["people"] if p["user_id"] == world.radiologist.id)
    assert person["present_now"] is False and person["stretches"][0]["left_at"].endswith("Z")

    session.expire_all()
    rows = session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    assert len(rows) == 1 and rows[0].left_at is not None


def test_after_the_meeting_marks_correct_the_record(client, session, world, headers, assert_problem):
    url = f"/api/v1/meetings/{world.meeting.id}/attendance"
    absent = world.absent_radiologist
    response = client.post(url, json={"user_id": absent.id, "present": True}, headers=headers(world.coordinator))
    assert response.status_code == 200
    person = next(p for p in response.get_json()["people"] if p["user_id"] == absent.id)
    assert person["attended"] is True and person["minutes_present"] == 120
    assert person["stretches"] == [{"joined_at": "2025-11-05T06:00:00Z", "left_at": "2025-11-05T08:00:00Z",
                                    "source": "coordinator"}]
    # Marked absent again: the hand-made stretch goes.
    response = client.post(url, json={"user_id": absent.id, "present": False}, headers=headers(world.coordinator))
    person = next(p for p in response.get_json()["people"] if p["user_id"] == absent.id)
    assert person["attended"] is False and person["stretches"] == []

    # Only the board's coordinators and the chair; only invitees.
    body = assert_problem(client.post(url, json={"user_id": absent.id, "present": True},
                                      headers=headers(world.radiologist)), 403)
    assert "coordinator" in body["detail"]
    body = assert_problem(client.post(url, json={"user_id": world.stranger.id, "present": True},
                                      headers=headers(world.coordinator)), 422)
    assert body["errors"][0]["field"] == "user_id"
    assert_problem(client.post(url, json={"user_id": absent.id, "present": "yes"},
                               headers=headers(world.coordinator)), 422)
    # Somebody who may not see the meeting is told it does not exist.
    assert_problem(client.get(url, headers=headers(world.stranger)), 404)


def test_attendance_marks_are_audited(client, session, world, headers):
    from app.audit.models import AuditEvent

    client.post(f"/api/v1/meetings/{world.meeting.id}/attendance",
                json={"user_id": world.absent_radiologist.id, "present": True}, headers=headers(world.coordinator))
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "attendance.marked")).one()
    assert event.actor_id == world.coordinator.id and event.target_id == str(world.meeting.id)
    assert event.detail == {"user_id": world.absent_radiologist.id, "present": True}


def test_get_attendance_lists_invitees_with_minutes(client, world, headers):
    response = client.get(f"/api/v1/meetings/{world.meeting.id}/attendance", headers=headers(world.surgeon))
    assert response.status_code == 200
    body = response.get_json()
    people = {p["user_id"]: p for p in body["people"]}
    assert people[world.surgeon.id]["minutes_present"] == 120
    assert people[world.surgeon.id]["discipline"] == "thoracic-surgery"
    assert people[world.absent_radiologist.id]["attended"] is False
    assert people[world.observer.id]["role"] == "observer"


def test_attendance_report_figures(client, session, world, headers, assert_problem):
    """Three meetings in the window (one cancelled), one outside it."""
    # world.meeting, 2025-11-05 06:00-08:00: everyone present 120 min except the absent radiologist
    second = make_meeting(session, world, datetime(2025, 11, 12, 6, 0, tzinfo=UTC), status="finished")
    cancelled = make_meeting(session, world, datetime(2025, 11, 19, 6, 0, tzinfo=UTC), status="cancelled")
    outside = make_meeting(session, world, datetime(2026, 1, 7, 6, 0, tzinfo=UTC), status="finished")
    world.invite(second, world.radiologist, discipline="radiology", status="declined")
    world.invite(second, world.absent_radiologist, discipline="radiology", status="accepted")
    world.invite(second, world.surgeon, discipline="thoracic-surgery", status="withdrawn")
    world.invite(cancelled, world.radiologist, discipline="radiology", status="accepted")
    world.invite(outside, world.radiologist, discipline="radiology", status="accepted")
    start = second.starts_at
    attendance.mark_joined(session, second, world.absent_radiologist, at=start + minutes(10))
    attendance.mark_left(session, second, world.absent_radiologist, at=start + minutes(40))
    attendance.mark_joined(session, second, world.absent_radiologist, at=start + minutes(50))
    attendance.mark_left(session, second, world.absent_radiologist, at=start + minutes(95))
    attendance.mark_joined(session, outside, world.radiologist, at=outside.starts_at)
    session.commit()

    since, until = datetime(2025, 11, 1, tzinfo=UTC), datetime(2025, 12, 1, tzinfo=UTC)
    rows = {row["user_id"]: row for row in attendance.attendance_report(
        session, board_id=world.board.id, since=since, until=until)}
    assert rows[world.radiologist.id] == {
        "user_id": world.radiologist.id, "name": world.radiologist.name, "disciplines": ["radiology"],
        "invited": 2, "accepted": 1, "attended": 1, "attendance_rate": 0.5, "minutes_present": 120}
    assert rows[world.absent_radiologist.id]["invited"] == 2
    assert rows[world.absent_radiologist.id]["attended"] == 1
    assert rows[world.absent_radiologist.id]["minutes_present"] == 75
    assert rows[world.absent_radiologist.id]["attendance_rate"] == 0.5
    assert rows[world.surgeon.id]["invited"] == 1 and rows[world.surgeon.id]["attendance_rate"] == 1.0
    assert rows[world.pathologist.id]["accepted"] == 0  # tentative
    assert world.observer.id not in rows and world.attendee.id not in rows  # no seat invitations
    # The chair held a seat too.
    assert rows[world.chair.id]["disciplines"] == ["medical-oncology"]
    only = attendance.attendance_report(session, user_id=world.radiologist.id, since=since,
                                        until=datetime(2026, 2, 1, tzinfo=UTC))
    assert [(r["invited"], r["attended"], r["minutes_present"]) for r in only] == [(3, 2, 240)]

    response = client.get("/api/v1/reports/attendance", query_string={
        "board_id": world.board.id, "since": "2025-11-01T00:00:00Z", "until": "2025-12-01T00:00:00Z"},
        headers=headers(world.coordinator))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["since"] == "2025-11-01T00:00:00Z" and body["board_id"] == world.board.id
    api_rows = {row["user_id"]: row for row in body["specialists"]}
    assert api_rows[world.radiologist.id]["attendance_rate"] == 0.5
    assert api_rows[world.absent_radiologist.id]["minutes_present"] == 75

    assert_problem(client.get("/api/v1/reports/attendance", headers=headers(world.radiologist)), 403)
    body = assert_problem(client.get("/api/v1/reports/attendance", query_string={
        "since": "2025-12-01T00:00:00Z", "until": "2025-11-01T00:00:00Z"}, headers=headers(world.admin)), 422)
    assert body["errors"][0]["field"] == "until"
    body = assert_problem(client.get("/api/v1/reports/attendance", query_string={"since": "yesterday"},
                                     headers=headers(world.admin)), 422)
    assert body["errors"][0]["field"] == "since"
    assert_problem(client.get("/api/v1/reports/attendance", query_string={"board_id": 9999},
                              headers=headers(world.admin)), 404)
