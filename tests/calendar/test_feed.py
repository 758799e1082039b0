"""The private iCalendar feed: meetings and on-call shifts, correct times, stable UIDs, no patient data."""
from datetime import UTC, datetime, time, timedelta

import icalendar
import pytest
import time_machine

from app.meetings.models import Invitation, Meeting
from app.rotas.models import CoverRequest, OnCallShift, Rota
from app.timekeeping import parse_instant
from tests.sql_statements import recorded_statements


@pytest.fixture(autouse=True)
def clock_before_the_events():
    """The events below sit at fixed dates around Europe's 2027 clock change; the feed shows a window around
    now, so the clock stands four weeks before them."""
    with time_machine.travel(datetime(2027, 3, 1, 8, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def feed_url(client, api_auth):
    def issue(user):
        response = client.post("/api/v1/me/calendar-feed", headers=api_auth.headers(user))
        assert response.status_code == 201
        return response.get_json()["url"].replace("http://localhost", "")
    return issue


def events(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.data)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def add_meeting(session, user, *, title="Thoracic MDT", start="2027-03-28T00:30:00Z", status="accepted"):
    starts_at = parse_instant(start)
    meeting = Meeting(title=title, kind="board", starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                      host_timezone="Asia/Shanghai", status="scheduled", sequence=0)
    meeting.invitations.append(Invitation(user_id=user.id, discipline_code="radiology", role="seat",
                                          status=status, busy_from=starts_at, busy_until=meeting.ends_at))
    session.add(meeting)
    session.commit()
    return meeting


def add_shift(session, user, start="2027-03-29T00:00:00Z"):
    rota = Rota(name="Radiology on call", discipline_code="radiology", handoff_weekday=0,
                handoff_time=time(8, 0), timezone="Asia/Shanghai", period_weeks=1)
    starts_at = parse_instant(start)
    shift = OnCallShift(rota=rota, user_id=user.id, starts_at=starts_at, ends_at=starts_at + timedelta(days=7),
                        status="scheduled", sequence=0)
    session.add_all([rota, shift])
    session.commit()
    return shift


def test_feed_lists_meetings_and_shifts_at_exact_utc_times(client, session, make_user, feed_url):
    user = make_user("specialist")
    meeting = add_meeting(session, user)
    shift = add_shift(session, user)
    found = events(client, feed_url(user))
    item = found[f"meeting-{meeting.id}@meridian"]
    assert item.decoded("DTSTART") == parse_instant("2027-03-28T00:30:00Z")
    assert item.decoded("DTEND") == parse_instant("2027-03-28T02:30:00Z")
    assert item["STATUS"] == "CONFIRMED" and int(item["SEQUENCE"]) == 0
    on_call = found[f"oncall-{shift.id}@meridian"]
    assert on_call.decoded("DTSTART") == parse_instant("2027-03-29T00:00:00Z")
    assert str(on_call["SUMMARY"]) == "On call: Radiology on call"


def test_a_draft_shift_appears_in_the_calendar_only_once_published(client, session, make_user, feed_url):
    user = make_user("specialist")
    shift = add_shift(session, user)
    shift.published = False
    session.commit()
    assert f"oncall-{shift.id}@meridian" not in events(client, feed_url(user))
    shift.published = True
    session.commit()
    assert events(client, feed_url(user))[f"oncall-{shift.id}@meridian"]["STATUS"] == "CONFIRMED"


def test_changes_raise_sequence_and_cancellations_stay(client, session, make_user, feed_url):
    user = make_user("specialist")
    url = feed_url(user)
    meeting = add_meeting(session, user)
    meeting.starts_at += timedelta(hours=1)
    meeting.ends_at += timedelta(hours=1)
    meeting.sequence += 1
    session.commit()
    item = events(client, url)[f"meeting-{meeting.id}@meridian"]
    assert int(item["SEQUENCE"]) == 1
    assert item.decoded("DTSTART") == parse_instant("2027-03-28T01:30:00Z")
    meeting.status = "cancelled"
    meeting.sequence += 1
    session.commit()
    item = events(client, url)[f"meeting-{meeting.id}@meridian"]
    assert item["STATUS"] == "CANCELLED" and int(item["SEQUENCE"]) == 2


def test_declined_meeting_and_handed_over_shift_show_cancelled(client, session, make_user, feed_url):
    user, colleague = make_user("specialist"), make_user("specialist")
    meeting = add_meeting(session, user, status="declined")
    shift = add_shift(session, user)
    shift.user_id = colleague.id
    shift.sequence += 1
    session.add(CoverRequest(shift_id=shift.id, requested_by_id=user.id, covered_by_id=colleague.id,
                             status="approved"))
    session.commit()
    mine = events(client, feed_url(user))
    assert mine[f"meeting-{meeting.id}@meridian"]["STATUS"] == "CANCELLED"
    assert mine[f"oncall-{shift.id}@meridian"]["STATUS"] == "CANCELLED"
    theirs = events(client, feed_url(colleague))
    assert theirs[f"oncall-{shift.id}@meridian"]["STATUS"] == "CONFIRMED"
    assert int(theirs[f"oncall-{shift.id}@meridian"]["SEQUENCE"]) == 1


def test_feed_carries_no_patient_data(client, session, make_user, feed_url):
    user = make_user("specialist")
    add_meeting(session, user, title="Upper GI MDT")
    text = client.get(feed_url(user)).get_data(as_text=True)
    assert "Upper GI MDT" in text
    for field in ("ATTENDEE", "diagnosis", "patient"):
        assert field not in text


def test_regenerating_revokes_the_old_url(client, session, make_user, feed_url, api_auth):
    user = make_user("specialist")
    old = feed_url(user)
    new = feed_url(user)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.delete("/api/v1/me/calendar-feed", headers=api_auth.headers(user)).status_code == 204
    assert client.get(new).status_code == 404


def test_unknown_secret_is_404(client):
    assert client.get("/calendar/not-a-secret.ics").status_code == 404


def test_feed_summaries_are_in_the_owners_language(client, session, make_user, feed_url):
    user = make_user("specialist", locale="ru")
    shift = add_shift(session, user)
    found = events(client, feed_url(user))
    assert str(found[f"oncall-{shift.id}@meridian"]["SUMMARY"]) == "Дежурство: Radiology on call"


def test_meetings_are_tentative_until_accepted_remind_15_minutes_before_and_carry_the_call(
        client, session, make_user, feed_url):
    from datetime import timedelta as delta

    from app.boards.models import Board

    user = make_user("specialist")
    url = feed_url(user)
    board = Board(name="Thoracic MDT", host_organization_id=user.organization_id, timezone="Asia/Shanghai",
                  weekday=6, start_time=time(8, 30), anchor_date=datetime(2027, 3, 28).date(),
                  conference_url="https://zoom.us/j/93100456789")
    session.add(board)
    session.flush()
    meeting = add_meeting(session, user, status="pending")
    meeting.board_id = board.id
    session.commit()
    item = events(client, url)[f"meeting-{meeting.id}@meridian"]
    assert item["STATUS"] == "TENTATIVE"
    assert str(item["URL"]) == "https://zoom.us/j/93100456789"
    conference = item["CONFERENCE"]
    assert str(conference) == "https://zoom.us/j/93100456789"
    assert conference.params["VALUE"] == "URI" and "VIDEO" in conference.params["FEATURE"]
    assert conference.params["LABEL"] == "Join the call"
    alarm = item.walk("VALARM")[0]
    assert alarm["ACTION"] == "DISPLAY" and alarm.decoded("TRIGGER") == -delta(minutes=15)
    assert str(alarm["DESCRIPTION"]) == "Thoracic MDT starts in 15 minutes"

    meeting.invitations[0].status = "accepted"
    session.commit()
    assert events(client, url)[f"meeting-{meeting.id}@meridian"]["STATUS"] == "CONFIRMED"

    meeting.invitations[0].status = "declined"
    session.commit()
    declined = events(client, url)[f"meeting-{meeting.id}@meridian"]
    assert declined["STATUS"] == "CANCELLED"
    assert "CONFERENCE" not in declined and "URL" not in declined and not declined.walk("VALARM")


def test_a_jitsi_meeting_links_to_its_live_page_in_the_owners_language(client, session, make_user, feed_url, app):
    from app.conferencing import operations as conferencing

    user = make_user("specialist", locale="zh")
    conferencing.configure("https://meet.meridian.example", "meridian", "test-secret")
    try:
        meeting = add_meeting(session, user)
        item = events(client, feed_url(user))[f"meeting-{meeting.id}@meridian"]
    finally:
        conferencing.configure(None)
    assert str(item["CONFERENCE"]).endswith(f"/meetings/{meeting.id}/live")
    assert item["CONFERENCE"].params["LABEL"] == "加入通话"


def test_changing_the_boards_link_makes_calendars_take_the_new_one(client, session, make_user, feed_url, api_auth):
    from app.boards.models import Board, BoardMember

    user = make_user("specialist")
    coordinator = make_user("coordinator")
    url = feed_url(user)
    board = Board(name="Thoracic MDT", host_organization_id=user.organization_id, timezone="Asia/Shanghai",
                  weekday=6, start_time=time(8, 30), anchor_date=datetime(2027, 3, 28).date(),
                  conference_url="https://zoom.us/j/93100456789")
    session.add(board)
    session.flush()
    session.add(BoardMember(board_id=board.id, user_id=coordinator.id, role="coordinator"))
    following = add_meeting(session, user)
    own_link = add_meeting(session, user, title="Thoracic MDT (special)", start="2027-03-21T00:30:00Z")
    following.board_id = own_link.board_id = board.id
    own_link.conference_url = "https://teams.microsoft.com/l/meetup-join/special"
    session.commit()
    before = events(client, url)
    assert before[f"meeting-{following.id}@meridian"]["SEQUENCE"] == 0
    assert str(before[f"meeting-{following.id}@meridian"]["URL"]) == "https://zoom.us/j/93100456789"

    answer = client.patch(f"/api/v1/boards/{board.id}", json={"conference_url": "https://example.webex.com/meet/mdt"},
                          headers=api_auth.headers(coordinator))
    assert answer.status_code == 200
    after = events(client, url)
    moved = after[f"meeting-{following.id}@meridian"]
    assert moved["SEQUENCE"] == 1
    assert str(moved["URL"]) == str(moved["CONFERENCE"]) == "https://example.webex.com/meet/mdt"
    kept = after[f"meeting-{own_link.id}@meridian"]
    assert kept["SEQUENCE"] == before[f"meeting-{own_link.id}@meridian"]["SEQUENCE"]
    assert str(kept["URL"]) == "https://teams.microsoft.com/l/meetup-join/special"


def test_the_feed_reads_as_many_statements_for_meetings_on_many_boards_as_on_one(
        client, session, make_user, feed_url, app):
    from app.boards.models import Board
    from app.extensions import db

    user = make_user("specialist")
    url = feed_url(user)

    def meeting_on_a_board_of_its_own(n: int) -> None:
        board = Board(name=f"Board {n}", host_organization_id=user.organization_id, timezone="Asia/Shanghai",
                      weekday=6, start_time=time(8, 30), anchor_date=datetime(2027, 3, 28).date(),
                      conference_url=f"https://zoom.us/j/9310045678{n}")
        session.add(board)
        session.flush()
        add_meeting(session, user, title=f"Board {n}", start=f"2027-03-{10 + n}T00:30:00Z").board_id = board.id
        session.commit()

    def statements() -> int:
        # Each request with a session of its own, as in production (the test's would lend it what it holds).
        with app.app_context():
            events(client, url)  # warm
        with app.app_context(), recorded_statements(db.engine) as seen:
            events(client, url)
        return len(seen)

    meeting_on_a_board_of_its_own(1)
    one_board = statements()
    for n in (2, 3, 4):
        meeting_on_a_board_of_its_own(n)
    assert statements() == one_board
