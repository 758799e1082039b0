"""Demo boards: two MDT boards hosted at the Fangchenggang hub, their members, and six weeks of meetings.

Plain Python over a session; the caller commits. Members whose user or specialist profile is
missing (or whose profile lacks the discipline) are skipped, so this works with or without the
demo specialists. Safe to call again: a board that already exists is left alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organization, User
from app.boards import operations
from app.boards.jobs import create_meetings_ahead
from app.boards.models import Board
from app.meetings.agenda import next_meeting_with_room
from app.meetings.models import Invitation
from app.specialists.operations import booked_intervals, find_profile
from app.timekeeping import ensure_utc, to_local

HUB = "Fangchenggang Regional Cancer Centre"


@dataclass(frozen=True)
class DemoBoard:
    name: str
    weekday: int
    start: time
    duration_minutes: int
    interval_weeks: int
    cases_per_meeting: int
    minutes_per_case: int
    quorum: tuple[tuple[str, int], ...]
    # (local part of the e-mail, role, discipline)
    members: tuple[tuple[str, str, str | None], ...]
    # seat answers for the first meeting, to show the quorum status: {local part: status}
    first_meeting: dict


BOARDS = (
    DemoBoard(
        "Thoracic Oncology MDT", 3, time(14), 120, 1, 12, 10,
        (("radiology", 1), ("pathology", 1), ("medical-oncology", 1), ("thoracic-surgery", 1)),
        (("coordinator", "coordinator", None), ("coordinator.fcg", "coordinator", None),
         ("radiologist.kolkata", "core", "radiology"), ("radiologist.almaty", "deputy", "radiology"),
         ("pathologist.kathmandu", "core", "pathology"), ("pathologist.fcg", "deputy", "pathology"),
         ("oncologist.moscow", "core", "medical-oncology"), ("oncologist.karachi", "deputy", "medical-oncology"),
         ("surgeon.dubai", "core", "thoracic-surgery"), ("surgeon.tashkent", "deputy", "thoracic-surgery"),
         ("referrer", "observer", None)),
        {"radiologist.kolkata": "accepted", "pathologist.kathmandu": "tentative",
         "oncologist.moscow": "accepted", "surgeon.dubai": "pending"},
    ),
    DemoBoard(
        "Colorectal MDT", 1, time(9), 90, 2, 9, 10,
        (("radiology", 1), ("pathology", 1), ("medical-oncology", 1), ("clinical-oncology", 1)),
        (("coordinator", "coordinator", None),
         ("radiologist.almaty", "core", "radiology"), ("radiologist.kolkata", "deputy", "radiology"),
         ("pathologist.fcg", "core", "pathology"), ("pathologist.kathmandu", "deputy", "pathology"),
         ("oncologist.karachi", "core", "medical-oncology"), ("oncologist.moscow", "deputy", "medical-oncology"),
         ("clinonc.nairobi", "core", "clinical-oncology"), ("referrer", "observer", None)),
        {"radiologist.almaty": "accepted", "pathologist.fcg": "accepted", "oncologist.karachi": "accepted",
         "clinonc.nairobi": "declined"},
    ),
)


def _usable(session: Session, user: User | None, role: str, discipline: str | None) -> bool:
    if user is None or not user.is_active:
        return False
    if role in operations.SEAT_ROLES:
        profile = find_profile(session, user.id)
        return profile is not None and discipline in profile.discipline_codes
    if role == "coordinator":
        return user.has_role("coordinator")
    return True


def _invite_first_meeting(session: Session, board: Board, users: dict[str, User], demo: DemoBoard,
                          domain: str, at: datetime) -> None:
    # The meeting whose agenda is still open: the one the demo's cases are put on, whatever the time of week.
    meeting = next_meeting_with_room(session, board, at=at)
    if meeting is None:
        return
    seats = {(member.user_id): member.discipline_code for member in board.members if member.role == "core"}
    for local_part, status in demo.first_meeting.items():
        user = users.get(f"{local_part}@{domain}")
        if user is None or user.id not in seats:
            continue
        profile = find_profile(session, user.id)
        busy_from = meeting.starts_at - timedelta(minutes=profile.buffer_before_minutes)
        busy_until = meeting.ends_at + timedelta(minutes=profile.buffer_after_minutes)
        if booked_intervals(session, user.id, busy_from, busy_until):
            continue  # never double-book someone the rest of the demo already booked
        session.add(Invitation(meeting_id=meeting.id, user_id=user.id, discipline_code=seats[user.id], role="seat",
                               status=status, busy_from=busy_from, busy_until=busy_until, invited_at=at,
                               responded_at=None if status == "pending" else at))
    session.flush()


def seed_boards(session: Session, users_by_email: dict[str, User], at: datetime) -> list[Board]:
    """Create the demo boards (if absent) and their meetings for the next six weeks from `at`;
    invite the core members to each new board's first meeting with a mix of answers."""
    from app.demo.network import EMAIL_DOMAIN

    at = ensure_utc(at)
    users = dict(users_by_email)
    coordinator = users.get(f"coordinator@{EMAIL_DOMAIN}")
    hub = session.scalar(select(Organization).where(Organization.name == HUB))
    if hub is None and coordinator is not None:
        hub = coordinator.organization
    if hub is None:
        return []
    created = []
    for demo in BOARDS:
        if session.scalar(select(Board).where(func.lower(Board.name) == demo.name.lower())) is not None:
            continue
        members = [{"user_id": users[f"{local}@{EMAIL_DOMAIN}"].id, "role": role, "discipline": discipline}
                   for local, role, discipline in demo.members
                   if _usable(session, users.get(f"{local}@{EMAIL_DOMAIN}"), role, discipline)]
        today = to_local(at, hub.timezone).date()
        anchor: date = today + timedelta(days=(demo.weekday - today.weekday()) % 7)
        board = operations.create_board(
            session, at=at, name=demo.name, host_organization_id=hub.id, timezone=hub.timezone,
            weekday=demo.weekday, start_time=demo.start, duration_minutes=demo.duration_minutes,
            interval_weeks=demo.interval_weeks, anchor_date=anchor, cases_per_meeting=demo.cases_per_meeting,
            minutes_per_case=demo.minutes_per_case,
            quorum=[{"discipline": code, "count": count} for code, count in demo.quorum],
            members=members, creator=coordinator)
        created.append((board, demo))
    create_meetings_ahead(session, at)
    for board, demo in created:
        _invite_first_meeting(session, board, users, demo, EMAIL_DOMAIN, at)
    return [board for board, _ in created]
