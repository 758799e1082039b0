"""Fixtures for the specialists tests: specialists with profiles, and problem+json checks."""
from __future__ import annotations

import pytest

NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


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

    def make(*, zone="Europe/London", disciplines=("radiology",), weekly_hours=None,
             languages=("en",), extra_roles=(), **profile):
        user = make_user("specialist", *extra_roles, languages=list(languages),
                         **{k: profile.pop(k) for k in ("email", "organization_", "name") if k in profile})
        values = {"disciplines": list(disciplines), "home_timezone": zone,
                  "weekly_hours": NINE_TO_FIVE if weekly_hours is None else weekly_hours, **profile}
        operations.save_profile(session, user, values)
        session.commit()
        return user

    return make


@pytest.fixture
def other_organization(session):
    from app.accounts.operations import create_organization

    org = create_organization(session, name="Kathmandu Valley Cancer Hospital", country="NP",
                              timezone="Asia/Kathmandu", residency_region="np")
    session.commit()
    return org
