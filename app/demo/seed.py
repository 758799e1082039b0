"""The whole demo: the network of sites and people, then specialists, boards, rotas, cases and
outcomes built on it. Plain Python over a session; the caller commits."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.boards.models import BoardMember
from app.cases.models import Case
from app.cases.workflow import transition
from app.demo.boards import seed_boards
from app.demo.cases import seed_cases
from app.demo.licence_checks import seed_licence_checks
from app.demo.declines import seed_declined_invitation
from app.demo.history import seed_history
from app.demo.conferencing import seed_conferencing
from app.demo.network import DemoLogin, seed_network
from app.demo.follow_ups import seed_follow_up
from app.demo.outcomes import seed_outcomes
from app.demo.rotas import seed_rotas
from app.demo.specialists import seed_specialists
from app.meetings.agenda import fill_agendas
from app.meetings.jobs import send_invitations
from app.timekeeping import now_utc


def seed_demo(session: Session, password: str, at: datetime | None = None) -> list[DemoLogin]:
    """The whole demo: sites and people, then specialists, boards, rotas, cases and outcomes."""
    at = at or now_utc()
    logins = seed_network(session, password)
    users_by_email = {user.email: user for user in session.scalars(select(User))}
    seed_specialists(session, users_by_email, at, password=password)
    seed_licence_checks(session, at)
    users_by_email = {user.email: user for user in session.scalars(select(User))}
    seed_boards(session, users_by_email, at)
    seed_conferencing(session)
    seed_rotas(session, users_by_email, at)
    seed_cases(session, users_by_email, at)
    seed_follow_up(session, seed_outcomes(session, users_by_email, at), at)
    # What the scheduler would do first: agendas filled and seats invited.
    fill_agendas(session, at)
    send_invitations(session, at)
    seed_declined_invitation(session, at)
    _show_remaining_states(session, at)
    # Months of finished work for the quality and equity reports.
    seed_history(session, {user.email: user for user in session.scalars(select(User))}, at)
    return logins


def _show_remaining_states(session: Session, at: datetime) -> None:
    """Two waiting referrals move on, so the demo shows a triaged and a closed case too."""
    waiting = session.scalars(select(Case).where(Case.state == "submitted", Case.board_id.is_not(None))
                              .order_by(Case.id)).all()
    for case, moves in zip(waiting, (
        [("triaged", None)],
        [("listed_not_discussed", "Standard of care applies: adjuvant chemotherapy per guideline."),
         ("closed", None)],
    )):
        coordinator = session.scalar(select(User).join(BoardMember, BoardMember.user_id == User.id).where(
            BoardMember.board_id == case.board_id, BoardMember.role == "coordinator"))
        for state, reason in moves:
            transition(session, case, state, coordinator, at=at, reason=reason)
