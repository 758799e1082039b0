"""The job that creates meetings ahead: idempotent, and board edits move or cancel future meetings."""
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.boards import operations
from app.boards.jobs import create_meetings_ahead
from app.meetings.models import Invitation, Meeting

UTC = timezone.utc
AT = datetime(2026, 3, 1, tzinfo=UTC)  # a Sunday


def meetings(session, board):
    session.expire_all()
    return session.scalars(select(Meeting).where(Meeting.board_id == board.id).order_by(Meeting.occurrence_date)).all()


def test_creates_six_weeks_once(session, make_board):
    board = make_board()
    fortnightly = make_board(name="Colorectal MDT", weekday=1, start_time=time(9), interval_weeks=2,
                             duration_minutes=90, cases_per_meeting=9, anchor_date=date(2026, 3, 3))
    assert create_meetings_ahead(session, AT) == 6 + 3
    session.commit()
    weekly = meetings(session, board)
    assert [m.occurrence_date for m in weekly] == [date(2026, 3, 5) + timedelta(weeks=n) for n in range(6)]
    first = weekly[0]
    assert (first.starts_at, first.ends_at) == (datetime(2026, 3, 5, 6, tzinfo=UTC), datetime(2026, 3, 5, 8, tzinfo=UTC))
    assert (first.kind, first.title, first.host_timezone, first.status, first.sequence) == \
        ("board", "Thoracic Oncology MDT", "Asia/Shanghai", "scheduled", 0)
    assert [m.occurrence_date for m in meetings(session, fortnightly)] == [
        date(2026, 3, 3), date(2026, 3, 17), date(2026, 3, 31)]
    # running again, or late, creates nothing twice
    assert create_meetings_ahead(session, AT) == 0
    assert create_meetings_ahead(session, AT + timedelta(hours=5)) == 0
    session.commit()
    # a week on, one more week comes into view: a meeting for each board (16 and 14 April)
    assert create_meetings_ahead(session, AT + timedelta(weeks=1)) == 2
    # and a week later only the weekly board's (the fortnightly's next is on 28 April)
    assert create_meetings_ahead(session, AT + timedelta(weeks=2)) == 1
    session.commit()
    assert {m.sequence for m in meetings(session, board)} == {0}


def test_a_new_time_moves_future_meetings_and_raises_sequence(session, make_board, make_specialist):
    board = make_board()
    create_meetings_ahead(session, AT)
    session.commit()
    first, second = meetings(session, board)[:2]
    surgeon = make_specialist(disciplines=("thoracic-surgery",))
    session.add(Invitation(meeting_id=second.id, user_id=surgeon.id, discipline_code="thoracic-surgery",
                           status="accepted", busy_from=second.starts_at - timedelta(minutes=15),
                           busy_until=second.ends_at + timedelta(minutes=10)))
    session.commit()
    # the edit is made while the first meeting is under way: that one is left alone
    during_first = datetime(2026, 3, 5, 7, tzinfo=UTC)
    operations.update_board(session, board, {"start_time": time(15), "duration_minutes": 150})
    create_meetings_ahead(session, during_first)
    session.commit()
    after = meetings(session, board)
    assert (after[0].starts_at, after[0].sequence) == (datetime(2026, 3, 5, 6, tzinfo=UTC), 0)
    for meeting in after[1:6]:
        assert meeting.starts_at.astimezone(UTC).hour == 7 and meeting.sequence == 1
        assert meeting.ends_at - meeting.starts_at == timedelta(minutes=150)
    invitation = session.scalars(select(Invitation)).one()
    assert (invitation.busy_from, invitation.busy_until) == (
        datetime(2026, 3, 12, 6, 45, tzinfo=UTC), datetime(2026, 3, 12, 9, 40, tzinfo=UTC))
    # nothing changes on another run: the sequence is raised once per change
    create_meetings_ahead(session, during_first)
    session.commit()
    assert [m.sequence for m in meetings(session, board)][1:6] == [1] * 5
    assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.rescheduled")).all()) == 5


def test_a_new_weekday_cancels_off_rule_meetings_and_moving_back_reinstates_them(session, make_board, make_user,
                                                                                 make_specialist):
    board = make_board()
    create_meetings_ahead(session, AT)
    session.commit()
    thursdays = meetings(session, board)
    radiologist = make_specialist()
    session.add(Invitation(meeting_id=thursdays[1].id, user_id=radiologist.id, discipline_code="radiology",
                           status="pending", busy_from=thursdays[1].starts_at, busy_until=thursdays[1].ends_at))
    # a person cancels the 4th meeting (a public holiday), outside this module
    thursdays[3].status, thursdays[3].sequence = "cancelled", 1
    session.add(AuditEvent(occurred_at=AT, action="meeting.cancelled", target_type="meeting",
                           target_id=str(thursdays[3].id), detail={"reason": "holiday"}))
    session.commit()

    operations.update_board(session, board, {"weekday": 2})  # Wednesdays from now on
    create_meetings_ahead(session, AT)
    session.commit()
    everything = meetings(session, board)
    cancelled = [m for m in everything if m.status == "cancelled"]
    assert [m.occurrence_date.weekday() for m in cancelled] == [3] * 6
    assert [m.sequence for m in cancelled] == [1, 1, 1, 1, 1, 1]  # the holiday was not cancelled twice
    wednesdays = [m for m in everything if m.status == "scheduled"]
    assert [m.occurrence_date for m in wednesdays] == [date(2026, 3, 4) + timedelta(weeks=n) for n in range(6)]
    assert session.scalars(select(Invitation)).one().status == "withdrawn"  # no longer holds their time

    operations.update_board(session, board, {"weekday": 3})  # back to Thursdays
    create_meetings_ahead(session, AT)
    session.commit()
    by_date = {m.occurrence_date: m for m in meetings(session, board)}
    assert [(by_date[date(2026, 3, 5) + timedelta(weeks=n)].status, by_date[date(2026, 3, 5) + timedelta(weeks=n)].sequence)
            for n in range(6)] == [("scheduled", 2)] * 3 + [("cancelled", 1)] + [("scheduled", 2)] * 2
    assert {by_date[date(2026, 3, 4) + timedelta(weeks=n)].status for n in range(6)} == {"cancelled"}


def test_fortnightly_parity_change_and_deactivation(session, make_board):
    board = make_board(interval_weeks=2, anchor_date=date(2026, 3, 5))
    assert create_meetings_ahead(session, AT) == 3
    operations.update_board(session, board, {"anchor_date": date(2026, 3, 12)})
    assert create_meetings_ahead(session, AT) == 3
    session.commit()
    states = {m.occurrence_date.day: m.status for m in meetings(session, board) if m.occurrence_date.month == 3}
    assert states == {5: "cancelled", 12: "scheduled", 19: "cancelled", 26: "scheduled"}
    operations.update_board(session, board, {"is_active": False})
    assert create_meetings_ahead(session, AT + timedelta(weeks=3)) == 0
    session.commit()
    future = [m for m in meetings(session, board) if m.starts_at > AT + timedelta(weeks=3)]
    assert future and {m.status for m in future} == {"cancelled"}


def test_a_member_in_london_sees_the_shanghai_board_move_across_both_changes(session, make_board):
    """Shanghai has no DST: the board is 06:00Z all year; London's wall clock reads 06:00 or 07:00."""
    from app.timekeeping import to_local

    board = make_board()
    create_meetings_ahead(session, datetime(2026, 3, 20, tzinfo=UTC), weeks=3)
    create_meetings_ahead(session, datetime(2026, 10, 20, tzinfo=UTC), weeks=2)
    session.commit()
    seen = {m.occurrence_date: to_local(m.starts_at, "Europe/London").strftime("%H:%M %Z")
            for m in meetings(session, board)}
    assert seen == {date(2026, 3, 26): "06:00 GMT", date(2026, 4, 2): "07:00 BST", date(2026, 4, 9): "07:00 BST",
                    date(2026, 10, 22): "07:00 BST", date(2026, 10, 29): "06:00 GMT"}
    assert {to_local(m.starts_at, "Asia/Shanghai").strftime("%H:%M") for m in meetings(session, board)} == {"14:00"}


def test_a_london_board_keeps_its_wall_clock(session, make_board, organization):
    board = make_board(name="London MDT", timezone="Europe/London")
    create_meetings_ahead(session, datetime(2026, 3, 20, tzinfo=UTC), weeks=2)
    session.commit()
    assert [(m.occurrence_date, m.starts_at.hour) for m in meetings(session, board)] == [
        (date(2026, 3, 26), 14), (date(2026, 4, 2), 13)]
    assert {m.host_timezone for m in meetings(session, board)} == {"Europe/London"}
