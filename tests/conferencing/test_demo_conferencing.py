"""Every demo meeting has a way to join: its board's standing link, or its own Jitsi room."""
from datetime import UTC, datetime

from sqlalchemy import select

from app.accounts.models import User
from app.conferencing.operations import call_link, service_of
from app.demo.boards import seed_boards
from app.demo.conferencing import seed_conferencing
from app.demo.network import seed_network
from app.demo.specialists import seed_specialists
from app.meetings.models import Meeting

AT = datetime(2027, 2, 1, 3, 0, tzinfo=UTC)


def _demo_boards(session):
    seed_network(session, "meridian-demo")
    seed_specialists(session, {u.email: u for u in session.scalars(select(User))}, AT, password="meridian-demo")
    boards = seed_boards(session, {u.email: u for u in session.scalars(select(User))}, AT)
    seed_conferencing(session)
    session.commit()
    return boards


def test_demo_boards_carry_standing_links(session):
    boards = _demo_boards(session)
    assert all(service_of(board.conference_url) for board in boards)
    meetings = session.scalars(select(Meeting)).all()
    assert meetings and all(call_link(session, meeting).startswith("https://") for meeting in meetings)


def test_with_jitsi_every_demo_meeting_has_its_room(session, jitsi):
    boards = _demo_boards(session)
    assert all(board.conference_url is None for board in boards)
    meetings = session.scalars(select(Meeting)).all()
    assert meetings and all(call_link(session, meeting) == f"/meetings/{meeting.id}/live" for meeting in meetings)
