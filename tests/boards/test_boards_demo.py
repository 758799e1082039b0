"""The demo boards: hosted at the hub, members from the demo specialists, six weeks of meetings."""
from sqlalchemy import select

from app.accounts.models import User
from app.boards.models import Board
from app.boards.quorum import meeting_quorum
from app.demo.boards import seed_boards
from app.demo.network import EMAIL_DOMAIN, seed_network
from app.meetings.agenda import next_meeting_with_room
from app.meetings.models import Meeting
from app.timekeeping import now_utc, to_local


def users(session):
    return {user.email: user for user in session.scalars(select(User))}


def test_demo_boards_with_the_demo_specialists(session):
    from app.demo.specialists import seed_specialists

    seed_network(session, "meridian-demo")
    at = now_utc()
    seed_specialists(session, users(session), at, password="meridian-demo")
    boards = seed_boards(session, users(session), at)
    session.commit()
    assert [b.name for b in boards] == ["Thoracic Oncology MDT", "Colorectal MDT"]
    thoracic, colorectal = boards
    assert thoracic.host_organization.name.startswith("Fangchenggang") and thoracic.timezone == "Asia/Shanghai"
    assert {(q.discipline_code, q.count) for q in thoracic.quorum} == {
        ("radiology", 1), ("pathology", 1), ("medical-oncology", 1), ("thoracic-surgery", 1)}
    roles = {(m.user.email.split("@")[0], m.role) for m in thoracic.members}
    assert {("coordinator", "coordinator"), ("radiologist.kolkata", "core"), ("referrer", "observer")} <= roles
    assert colorectal.interval_weeks == 2 and colorectal.start_time.hour == 9
    for board, expected in ((thoracic, 6), (colorectal, 3)):
        meetings = session.scalars(select(Meeting).where(Meeting.board_id == board.id)).all()
        assert len(meetings) == expected
        assert {to_local(m.starts_at, board.timezone).weekday() for m in meetings} == {board.weekday}
    # The core members are invited to the first meeting whose agenda is still open, whatever the day.
    first = next_meeting_with_room(session, thoracic, at=at)
    assert meeting_quorum(session, first).state == "at_risk"
    # again: nothing new
    assert seed_boards(session, users(session), at) == []
    assert len(session.scalars(select(Board)).all()) == 2


def test_demo_boards_tolerate_missing_profiles(session):
    seed_network(session, "meridian-demo")
    boards = seed_boards(session, users(session), now_utc())
    session.commit()
    assert len(boards) == 2
    for board in boards:
        expected = {(f"coordinator@{EMAIL_DOMAIN}", "coordinator"), (f"referrer@{EMAIL_DOMAIN}", "observer")}
        if board.name == "Thoracic Oncology MDT":  # its second coordinator, who reads Meridian in Chinese
            expected.add((f"coordinator.fcg@{EMAIL_DOMAIN}", "coordinator"))
        assert {(m.user.email, m.role) for m in board.members} == expected
