"""What a coordinator does to a meeting after it exists: a decline's note reaches them, a declined seat
goes to the next eligible person (at once or in one click, as the board's rule says), invitations are
withdrawn, meetings are created ad hoc, moved (everyone asked again and told in their own time) and
cancelled with a reason."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.boards.models import BoardMember
from app.boards.operations import sync_board_meetings
from app.errors import Conflict, InvalidInput
from app.meetings import booking
from app.notifications.models import Notification
from app.notifications.texts import render
from app.timekeeping import now_utc
from tests.meetings.conftest import in_hours


def notifications_of(session, user, kind):
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                           Notification.kind == kind)))


def seat_board(session, board, rule, *people):
    board.replace_declines = rule
    for user, role in people:
        board.members.append(BoardMember(user_id=user.id, role=role, discipline_code="radiology"))
    session.commit()


def test_a_decline_with_a_note_reaches_the_coordinators_and_waits_for_them_on_a_manual_board(
        session, specialist, board, meeting_at):
    first, second = specialist("Dr First", ["radiology"]), specialist("Dr Second", ["radiology"])
    seat_board(session, board, "manual", (first, "core"), (second, "deputy"))
    meeting = meeting_at(in_hours(50), board=board)
    invitation = booking.invite(session, meeting, first, discipline_code="radiology", at=now_utc())
    added = booking.respond(session, invitation, first, "declined", at=now_utc(), note="In theatre all day")
    assert added == [] and [i.user_id for i in meeting.invitations] == [first.id]
    [told] = notifications_of(session, board.coordinator, "meeting.declined")
    shown = render(told.kind, told.params, locale="en", zone="UTC")
    assert "Dr First declined" in shown.subject and shown.body == "Note: In theatre all day"
    assert told.link == f"/coordinator/meetings/{meeting.id}/invitations"

    replacement = booking.invite_next_eligible(session, invitation, at=now_utc())
    assert replacement.user_id == second.id and replacement.status == "pending"
    with pytest.raises(Conflict, match="Nobody else eligible"):
        booking.invite_next_eligible(session, invitation, at=now_utc())
    session.rollback()


def test_a_decline_on_an_automatic_board_invites_the_next_person_at_once(session, specialist, board, meeting_at):
    first, second = specialist("Dr First", ["radiology"]), specialist("Dr Second", ["radiology"])
    seat_board(session, board, "automatic", (first, "core"), (second, "deputy"))
    meeting = meeting_at(in_hours(50), board=board)
    invitation = booking.invite(session, meeting, first, discipline_code="radiology", at=now_utc())
    added = booking.respond(session, invitation, first, "declined", at=now_utc())
    assert [i.user_id for i in added if i.discipline_code == "radiology"] == [second.id]
    [told] = notifications_of(session, board.coordinator, "meeting.declined")
    assert render(told.kind, told.params, locale="en", zone="UTC").body == "No note was given."


def test_the_next_eligible_person_skips_anyone_on_leave_or_outside_their_hours(session, specialist, board, meeting_at):
    from app.specialists.models import Leave

    start = in_hours(50)
    first = specialist("Dr First", ["radiology"])
    away = specialist("Dr Away", ["radiology"])
    asleep = specialist("Dr Asleep", ["radiology"], hours={})
    free = specialist("Dr Free", ["radiology"])
    from app.specialists.operations import find_profile

    away_profile = find_profile(session, away.id)
    away_profile.leave.append(Leave(starts_at=start - timedelta(days=1), ends_at=start + timedelta(days=1)))
    seat_board(session, board, "manual", (first, "core"), (away, "core"), (asleep, "core"))
    meeting = meeting_at(start, board=board)
    invitation = booking.invite(session, meeting, first, discipline_code="radiology", at=now_utc())
    booking.respond(session, invitation, first, "declined", at=now_utc())
    assert booking.invite_next_eligible(session, invitation, at=now_utc()).user_id == free.id


def test_withdrawing_frees_the_time_and_tells_the_person(session, specialist, board, meeting_at):
    user = specialist("Dr Sen", ["radiology"])
    meeting = meeting_at(in_hours(30), board=board)
    invitation = booking.invite(session, meeting, user, discipline_code="radiology", at=now_utc())
    booking.withdraw_invitation(session, invitation, at=now_utc())
    assert invitation.status == "withdrawn"
    assert len(notifications_of(session, user, "meeting.invitation_withdrawn")) == 1
    with pytest.raises(Conflict):
        booking.withdraw_invitation(session, invitation, at=now_utc())
    other = meeting_at(in_hours(30))
    booking.invite(session, other, user, discipline_code="radiology", at=now_utc())


def test_moving_a_meeting_asks_everyone_again_in_their_own_zone_and_language(session, specialist, board, meeting_at):
    shanghai = specialist("Dr Li", ["radiology"], zone="Asia/Shanghai")
    shanghai.locale, shanghai.display_timezone = "zh", "Asia/Shanghai"
    moscow = specialist("Dr Petrova", ["pathology"], zone="Europe/Moscow")
    moscow.locale, moscow.display_timezone = "ru", "Europe/Moscow"
    meeting = meeting_at(in_hours(50), board=board)
    accepted = booking.invite(session, meeting, shanghai, discipline_code="radiology", at=now_utc())
    booking.respond(session, accepted, shanghai, "accepted", at=now_utc())
    booking.invite(session, meeting, moscow, discipline_code="pathology", at=now_utc())
    booking.invite(session, meeting, board.coordinator, role="chair", at=now_utc())
    new_start = in_hours(74)
    booking.reschedule_meeting(session, meeting, starts_at=new_start, ends_at=new_start + timedelta(hours=1),
                               at=now_utc(), by=board.coordinator)
    assert {i.user_id: i.status for i in meeting.invitations} == {
        shanghai.id: "pending", moscow.id: "pending", board.coordinator.id: "accepted"} and meeting.sequence == 1
    assert notifications_of(session, board.coordinator, "meeting.rescheduled") == []
    assert all(i.busy_from == new_start for i in meeting.invitations)
    for user, zone, locale, hour in ((shanghai, "Asia/Shanghai", "zh", (new_start + timedelta(hours=8)).hour),
                                     (moscow, "Europe/Moscow", "ru", (new_start + timedelta(hours=3)).hour)):
        [told] = notifications_of(session, user, "meeting.rescheduled")
        shown = render(told.kind, told.params, locale=locale, zone=zone)
        assert f"{hour:02d}:00" in shown.subject, shown.subject
        assert "MDT" in shown.subject and shown.subject != render(told.kind, told.params, locale="en", zone=zone).subject
    # The board's rule no longer moves it back.
    sync_board_meetings(session, board, now_utc())
    assert meeting.starts_at == new_start


def test_a_move_that_would_double_book_someone_changes_nothing(session, specialist, board, meeting_at):
    user = specialist("Dr Busy", ["radiology"])
    meeting, other = meeting_at(in_hours(30), board=board), meeting_at(in_hours(54), title="Other")
    booking.invite(session, meeting, user, discipline_code="radiology", at=now_utc())
    booking.invite(session, other, user, discipline_code="radiology", at=now_utc())
    before = meeting.starts_at
    with pytest.raises(Conflict, match="Dr Busy is already booked"):
        booking.reschedule_meeting(session, meeting, starts_at=in_hours(54), ends_at=in_hours(55),
                                   at=now_utc(), by=board.coordinator)
    assert meeting.starts_at == before and meeting.sequence == 0


def test_an_ad_hoc_meeting_needs_a_future_time_and_a_title(session, board):
    with pytest.raises(InvalidInput) as past:
        booking.create_meeting(session, title="Urgent review", starts_at=in_hours(-2), ends_at=in_hours(-1),
                               host_timezone="UTC", at=now_utc(), created_by=board.coordinator)
    assert past.value.field == "date"
    with pytest.raises(InvalidInput) as untitled:
        booking.create_meeting(session, title=" ", starts_at=in_hours(2), ends_at=in_hours(3),
                               host_timezone="UTC", at=now_utc(), created_by=board.coordinator)
    assert untitled.value.field == "title"
    meeting = booking.create_meeting(session, title="Urgent review", starts_at=in_hours(2), ends_at=in_hours(3),
                                     host_timezone="UTC", at=now_utc(), created_by=board.coordinator,
                                     board_id=board.id)
    assert meeting.chair_id == board.coordinator.id and meeting.kind == "adhoc"
    sync_board_meetings(session, board, now_utc())  # an ad-hoc meeting of a board is not the rule's
    assert meeting.status == "scheduled" and meeting.starts_at == in_hours(2)
