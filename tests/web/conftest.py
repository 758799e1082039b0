"""Fixtures for the page tests: the demo network, and signing in through the login form."""
from __future__ import annotations

import pytest

DEMO_PASSWORD = "demo-password-for-tests"
DOMAIN = "demo.meridian.health"


@pytest.fixture
def demo(session):
    """The full demo (sites, people, specialists, boards with meetings, rotas); users by local part."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.demo.seed import seed_demo

    seed_demo(session, DEMO_PASSWORD)
    session.commit()
    return {user.email.split("@")[0]: user for user in session.scalars(select(User))}


def demo_meeting(session, board_name: str = "Thoracic Oncology MDT"):
    """The board's next meeting whose agenda is still open: the one the demo lists its cases on and
    invites the core members to, whatever the time of week the demo was seeded at."""
    from sqlalchemy import select

    from app.boards.models import Board
    from app.meetings.agenda import next_meeting_with_room
    from app.timekeeping import now_utc

    return next_meeting_with_room(session, session.scalar(select(Board).where(Board.name == board_name)),
                                  at=now_utc())


@pytest.fixture
def sign_in(client):
    def sign_in_as(user, password=DEMO_PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in_as
