"""The whole demo: the network of sites and people, then specialists, boards, rotas, cases and
outcomes built on it. Plain Python over a session; the caller commits."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.demo.boards import seed_boards
from app.demo.cases import seed_cases
from app.demo.network import (EMAIL_DOMAIN, DemoLogin, database_is_empty, demo_logins,  # noqa: F401
                              seed_network)
from app.demo.outcomes import seed_outcomes
from app.demo.rotas import seed_rotas
from app.demo.specialists import seed_specialists
from app.timekeeping import now_utc


def seed_demo(session: Session, password: str, at: datetime | None = None) -> list[DemoLogin]:
    """The whole demo: sites and people, then specialists, boards, rotas, cases and outcomes."""
    at = at or now_utc()
    logins = seed_network(session, password)
    users_by_email = {user.email: user for user in session.scalars(select(User))}
    seed_specialists(session, users_by_email, at, password=password)
    users_by_email = {user.email: user for user in session.scalars(select(User))}
    seed_boards(session, users_by_email, at)
    seed_rotas(session, users_by_email, at)
    seed_cases(session, users_by_email, at)
    seed_outcomes(session, users_by_email, at)
    return logins
