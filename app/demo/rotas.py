"""Demo rotas: weekly radiology (Monday 08:00 Asia/Shanghai) and fortnightly pathology
(Friday 17:00 Asia/Kathmandu), with shifts from the period under way through the next 8 weeks
and one open cover request.

Plain Python over a session; the caller commits. Call after `app.demo.specialists.seed_specialists`:
members are the demo specialists whose profiles list the discipline (the named ones first), so a
missing profile just makes a rota smaller. Safe to call again: rotas that exist are left alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.rotas import operations
from app.rotas.models import Rota
from app.specialists.models import Discipline, SpecialistProfile, specialist_disciplines
from app.timekeeping import ensure_utc, to_local

WEEKS_AHEAD = 8


@dataclass(frozen=True)
class DemoRota:
    name: str
    discipline_code: str
    handoff_weekday: int  # 0 = Monday
    handoff_time: str
    timezone: str
    period_weeks: int
    preferred: tuple[str, ...]  # e-mail local parts, first in rota order


ROTAS = (
    DemoRota("Radiology on call", "radiology", 0, "08:00", "Asia/Shanghai", 1,
             ("radiologist.kolkata", "radiologist.almaty")),
    DemoRota("Pathology on call", "pathology", 4, "17:00", "Asia/Kathmandu", 2,
             ("pathologist.kathmandu", "pathologist.fcg")),
)
COVER_REASON = "Presenting at the regional oncology congress that week"


def _members(session: Session, demo: DemoRota, domain: str) -> list[User]:
    """Active demo specialists whose profile lists the discipline: the preferred ones first."""
    found = session.scalars(
        select(User).join(SpecialistProfile, SpecialistProfile.user_id == User.id)
        .join(specialist_disciplines, specialist_disciplines.c.profile_id == SpecialistProfile.id)
        .where(specialist_disciplines.c.discipline_code == demo.discipline_code,
               User.is_active.is_(True), User.email.like(f"%@{domain}"))
        .order_by(User.email)).all()
    found = [user for user in found if user.has_role("specialist")]
    rank = {f"{local}@{domain}": index for index, local in enumerate(demo.preferred)}
    return sorted(found, key=lambda user: (rank.get(user.email, len(rank)), user.email))


def _current_handoff_day(rota: Rota, at: datetime):
    """The local date of the latest handoff at or before `at` (the period under way)."""
    day = to_local(at, rota.timezone).date()
    day -= timedelta(days=(day.weekday() - rota.handoff_weekday) % 7)
    if operations.handoff_at(rota, day) > at:
        day -= timedelta(weeks=1)
    return day


def seed_rotas(session: Session, users_by_email: dict[str, User], at: datetime) -> list[Rota]:
    from app.demo.network import EMAIL_DOMAIN

    at = ensure_utc(at)
    session.flush()
    coordinator = users_by_email.get(f"coordinator@{EMAIL_DOMAIN}")
    created = []
    for demo in ROTAS:
        if session.get(Discipline, demo.discipline_code) is None:
            continue
        if session.scalar(select(Rota).where(Rota.name == demo.name)) is not None:
            continue
        members = _members(session, demo, EMAIL_DOMAIN)
        if not members:
            continue
        rota = operations.create_rota(
            session, name=demo.name, discipline_code=demo.discipline_code,
            handoff_weekday=demo.handoff_weekday, handoff_time=demo.handoff_time,
            timezone=demo.timezone, period_weeks=demo.period_weeks,
            members=[user.id for user in members], created_by=coordinator, at=at)
        # Start with the period under way, so someone is on call from the moment the demo
        # opens (the database is fresh, so nothing is rewritten), and run past the next 8 weeks.
        first_day = _current_handoff_day(rota, at)
        operations.generate(session, rota, start=first_day,
                            weeks=WEEKS_AHEAD + demo.period_weeks,
                            at=operations.handoff_at(rota, first_day) - timedelta(seconds=1))
        created.append(rota)
    if created:
        _open_cover_request(session, created[0], at)
    session.flush()
    return created


def _open_cover_request(session: Session, rota: Rota, at: datetime) -> None:
    """The holder of a shift two to three weeks out asks for cover; nobody has answered yet."""
    shift = next((shift for shift in rota.shifts if shift.status == "scheduled"
                  and shift.starts_at >= at + timedelta(days=14)), None)
    if shift is not None:
        operations.request_cover(session, shift, shift.user, reason=COVER_REASON, at=at)
