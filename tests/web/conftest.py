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


@pytest.fixture
def night_review(demo, sign_in, client, session):
    """A meeting at 02:00 in the Chinese pathologist's zone (outside anyone's hours), made on the page by
    the signed-in coordinator, and its invitations page with a seat invitation's form for the pathologist."""
    from datetime import datetime, timedelta

    from sqlalchemy import select

    from app.meetings.models import Meeting
    from app.specialists.models import SpecialistProfile
    from app.timekeeping import from_local, now_utc, to_local
    from tests.web.page_helpers import csrf_of, text

    coordinator, pathologist = demo["coordinator"], demo["pathologist.fcg"]
    zone = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == pathologist.id)).home_timezone
    day = (to_local(now_utc(), zone) + timedelta(days=4)).date()
    starts_at = from_local(datetime.combine(day, datetime.min.time()).replace(hour=2), zone)
    local = to_local(starts_at, coordinator.timezone)
    sign_in(coordinator)
    html = text(client.get("/coordinator/meetings/new"))
    created = client.post("/coordinator/meetings/new", data={
        "csrf_token": csrf_of(html), "title": "Night review", "board_id": "", "date": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"), "duration_minutes": "30"})
    assert created.status_code == 302
    page = text(client.get(created.headers["Location"]))
    return {"meeting": session.scalar(select(Meeting).where(Meeting.title == "Night review")),
            "pathologist": pathologist,
            "page": page, "form": {"csrf_token": csrf_of(page), "user_id": pathologist.email, "role": "seat",
                                   "discipline": "pathology"}}
