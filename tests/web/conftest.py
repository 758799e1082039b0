"""Fixtures for the page tests: the demo network, and signing in through the login form."""
from __future__ import annotations

import pytest

DEMO_PASSWORD = "demo-password-for-tests"
DOMAIN = "demo.meridian.health"


def _seed_demo_into(database_url: str, folder: str) -> None:
    """The demo seeded, at the run's clock, into a migrated database."""
    from app import create_app
    from app.demo.seed import seed_demo
    from app.extensions import db
    from tests.conftest import make_config

    application = create_app(make_config(database_url, folder))
    with application.app_context():
        seed_demo(db.session, DEMO_PASSWORD)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template, tmp_path_factory):
    """The migrated SQLite template with the demo seeded once per worker; a test that takes `demo`
    starts from a copy of it (see `database_url`) instead of seeding for seconds."""
    import shutil

    folder = tmp_path_factory.mktemp("sqlite-demo")
    path = folder / "demo.sqlite"
    shutil.copyfile(sqlite_template, path)
    _seed_demo_into(f"sqlite:///{path}", str(folder))
    return path


@pytest.fixture(scope="session")
def postgres_demo_template(fresh_postgres_database, postgres_server_url, tmp_path_factory):
    """A PostgreSQL database migrated, with the demo seeded once per worker: the template each test of
    the demo is copied from (as `sqlite_demo_template` is on SQLite)."""
    from tests.conftest import migrate_to_head

    url = fresh_postgres_database("demo")
    folder = str(tmp_path_factory.mktemp("pg-demo"))
    migrate_to_head(url, folder)
    _seed_demo_into(url, folder)
    return url


@pytest.fixture
def demo(session):
    """The full demo (sites, people, specialists, boards with meetings, rotas); users by local part.
    The database already holds it (a copy of `sqlite_demo_template` or `postgres_demo_template`); a
    database without it is seeded here."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.demo.seed import seed_demo

    if session.scalar(select(User.id).limit(1)) is None:
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
