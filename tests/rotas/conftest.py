"""Fixtures for the rota tests: specialists with profiles, a coordinator, a settable clock."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

UTC = timezone.utc
NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def clock(monkeypatch):
    """The time the rota API believes it is (tokens still use the real clock)."""

    class Clock:
        now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    current = Clock()
    monkeypatch.setattr("app.rotas.api.now_utc", lambda: current.now)
    return current


@pytest.fixture
def make_specialist(session, make_user):
    """A user with the specialist role and a profile: disciplines, home zone, one licence, and
    working hours 09:00-17:00 Monday to Friday (cover stays within a volunteer's working hours)."""
    from app.specialists.models import Discipline, Leave, Licence, SpecialistProfile

    counter = iter(range(1, 1000))

    def make(*disciplines, zone="Asia/Shanghai", name=None, licence_expires=date(2030, 12, 31),
             verified=True, leave=(), roles=("specialist",)):
        number = next(counter)
        user = make_user(*roles, name=name or f"Specialist {number}",
                         email=f"specialist{number}@example.org")
        profile = SpecialistProfile(user_id=user.id, home_timezone=zone, weekly_hours=NINE_TO_FIVE)
        profile.disciplines = [session.get(Discipline, code) for code in (disciplines or ("radiology",))]
        if licence_expires is not None:
            profile.licences.append(Licence(
                jurisdiction="CN", registration_number=f"REG-{number}", expires_on=licence_expires,
                verified_at=datetime(2025, 1, 1, tzinfo=UTC) if verified else None))
        for starts_at, ends_at in leave:
            profile.leave.append(Leave(starts_at=starts_at, ends_at=ends_at, reason="Leave"))
        session.add(profile)
        session.commit()
        return user

    return make


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", name="Coordinator", email="coordinator@example.org")


@pytest.fixture
def new_rota(session):
    """Create a rota through the operations layer (defaults: radiology, Monday 08:00 Shanghai)."""
    from app.rotas import operations

    def make(members, **values):
        settings = {"name": f"Rota {len(values)}-{id(members)}", "discipline_code": "radiology",
                    "handoff_weekday": 0, "handoff_time": "08:00", "timezone": "Asia/Shanghai",
                    "period_weeks": 1}
        settings.update(values)
        rota = operations.create_rota(session, members=[m.id for m in members], **settings)
        session.commit()
        return rota

    return make

