"""Fixtures for the boards tests: specialists with profiles, a board body, problem+json checks."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
UTC = timezone.utc


def check_problem(response, status):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


@pytest.fixture
def assert_problem():
    return check_problem


@pytest.fixture
def make_specialist(session, make_user):
    """A user with the specialist role and a profile (weekly hours 09:00-17:00 Mon-Fri by default)."""
    from app.specialists import operations

    def make(*, zone="Europe/London", disciplines=("radiology",), weekly_hours=None, name="Dr Test",
             extra_roles=()):
        user = make_user("specialist", *extra_roles, name=name)
        operations.save_profile(session, user, {
            "disciplines": list(disciplines), "home_timezone": zone,
            "weekly_hours": NINE_TO_FIVE if weekly_hours is None else weekly_hours})
        session.commit()
        return user

    return make


@pytest.fixture
def board_body():
    def body(**overrides):
        values = {
            "name": "Thoracic Oncology MDT", "weekday": 3, "start_time": "14:00", "duration_minutes": 120,
            "quorum": [{"discipline": "radiology", "count": 1}, {"discipline": "pathology", "count": 1}],
        }
        values.update(overrides)
        return values

    return body


@pytest.fixture
def make_board(session, organization):
    """A board made through the operations (Thursdays 14:00 Asia/Shanghai unless told otherwise)."""
    from datetime import time

    from app.boards import operations

    def make(*, at=datetime(2026, 3, 1, tzinfo=UTC), members=(), quorum=None, **values):
        values.setdefault("name", "Thoracic Oncology MDT")
        values.setdefault("weekday", 3)
        values.setdefault("start_time", time(14))
        board = operations.create_board(
            session, at=at, host_organization_id=organization.id,
            quorum=quorum or [{"discipline": "radiology", "count": 1}, {"discipline": "pathology", "count": 1}],
            members=list(members), **values)
        session.commit()
        return board

    return make
