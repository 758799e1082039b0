"""Attendance: who was present at a meeting, when, and for how long.

Presence is kept as stretches (`Attendance` rows): a person who joins, drops out and rejoins has
one row per stretch. Joining while already present does nothing; leaving while absent does nothing.
The live board records stretches as people come and go (source "live"); a board coordinator or the
chair may mark someone present or absent by hand (source "coordinator").

Plain Python over a SQLAlchemy session; callers commit. The current instant is passed in (`at`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.boards.models import BoardMember, QuorumRequirement
from app.errors import Conflict, InvalidInput, PermissionDenied
from app.meetings.models import Attendance, Invitation, Meeting
from app.timekeeping import ensure_utc
from app.vocabulary import N_

SOURCES = ("live", "coordinator")
# A coordinator may mark people present this long before the scheduled start (people join early).
EARLY_JOIN = timedelta(minutes=30)
# Invitation states that no longer hold a place at the meeting.
GONE = ("withdrawn",)


# --- reading --------------------------------------------------------------------------------------


def stretches(session: Session, meeting: Meeting, user_id: int | None = None) -> list[Attendance]:
    statement = select(Attendance).where(Attendance.meeting_id == meeting.id)
    if user_id is not None:
        statement = statement.where(Attendance.user_id == user_id)
    return list(session.scalars(statement.order_by(Attendance.joined_at, Attendance.id)))


def open_stretch(session: Session, meeting: Meeting, user_id: int) -> Attendance | None:
    """`user_id`'s stretch at the meeting that has not ended, if they are present."""
    return session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.user_id == user_id,
                                 Attendance.left_at.is_(None))
        .order_by(Attendance.joined_at.desc(), Attendance.id.desc()).limit(1))


def present_user_ids(session: Session, meeting: Meeting, at: datetime | None = None) -> set[int]:
    """Who is present at `at` (a stretch covering it), or, with no `at`, who was ever present."""
    statement = select(Attendance.user_id).where(Attendance.meeting_id == meeting.id)
    if at is not None:
        at = ensure_utc(at)
        statement = statement.where(Attendance.joined_at <= at,
                                    (Attendance.left_at.is_(None)) | (Attendance.left_at > at))
    return set(session.scalars(statement.distinct()))


def was_present(session: Session, meeting: Meeting, user_id: int) -> bool:
    return session.scalar(select(Attendance.id).where(Attendance.meeting_id == meeting.id,
                                                      Attendance.user_id == user_id).limit(1)) is not None


def meeting_window(meeting: Meeting) -> tuple[datetime, datetime]:
    """When the meeting actually ran: opened (or scheduled) to finished (or scheduled end)."""
    start = ensure_utc(meeting.started_at or meeting.starts_at)
    end = ensure_utc(meeting.finished_at or meeting.ends_at)
    return start, max(start, end)


def stretch_end(row: Attendance, meeting: Meeting, at: datetime | None = None) -> datetime:
    """When a stretch ended; an open one runs to the meeting's finish, else to `at`, else to its end."""
    joined = ensure_utc(row.joined_at)
    if row.left_at is not None:
        return max(joined, ensure_utc(row.left_at))
    if meeting.finished_at is not None:
        return max(joined, ensure_utc(meeting.finished_at))
    if at is not None:
        return max(joined, ensure_utc(at))
    return max(joined, ensure_utc(meeting.ends_at))


def minutes_present(rows, meeting: Meeting, at: datetime | None = None) -> int:
    """Whole minutes covered by the stretches (overlaps counted once), rounded to the nearest minute."""
    spans = sorted((ensure_utc(row.joined_at), stretch_end(row, meeting, at)) for row in rows)
    total = timedelta(0)
    current_start = current_end = None
    for start, end in spans:
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return int(round(total.total_seconds() / 60))


# --- recording ------------------------------------------------------------------------------------


def _check_source(source: str) -> str:
    if source not in SOURCES:
        raise InvalidInput("source", N_('must be one of %(sources)s'),
                                     params={'sources': ', '.join(SOURCES)})
    return source


def _check_not_cancelled(meeting: Meeting) -> None:
    if meeting.status == "cancelled":
        raise Conflict(N_("This meeting was cancelled; nobody can attend it."), meeting_status=meeting.status)


def mark_joined(session: Session, meeting: Meeting, user: User, *, at: datetime,
                source: str = "live") -> Attendance:
    """Start a stretch of presence at `at`; if `user` is already present, return that stretch."""
    _check_source(source)
    _check_not_cancelled(meeting)
    at = ensure_utc(at)
    current = open_stretch(session, meeting, user.id)
    if current is not None:
        return current
    row = Attendance(meeting_id=meeting.id, user_id=user.id, joined_at=at, left_at=None, source=source)
    session.add(row)
    session.flush()
    return row


def mark_left(session: Session, meeting: Meeting, user: User, *, at: datetime,
              source: str = "live") -> Attendance | None:
    """End `user`'s open stretch at `at`; None (and nothing changes) when they are not present."""
    _check_source(source)
    at = ensure_utc(at)
    current = open_stretch(session, meeting, user.id)
    if current is None:
        return None
    current.left_at = max(at, ensure_utc(current.joined_at))
    session.flush()
    return current


def record_quorum_at_start(session: Session, meeting: Meeting, *, at: datetime) -> dict[str, list[int]]:
    """Store who was present for each discipline when the meeting opened, and when it opened.

    `{discipline: [ids of people present at `at` holding a seat invitation for it]}`; every
    discipline of the board's quorum is listed, with an empty list when nobody of it is present.
    """
    _check_not_cancelled(meeting)
    at = ensure_utc(at)
    present = present_user_ids(session, meeting, at)
    by_discipline: dict[str, list[int]] = {}
    if meeting.board_id is not None:
        for code in session.scalars(select(QuorumRequirement.discipline_code)
                                    .where(QuorumRequirement.board_id == meeting.board_id)):
            by_discipline[code] = []
    for invitation in session.scalars(select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.role == "seat",
            Invitation.discipline_code.is_not(None), Invitation.status.not_in(GONE))):
        by_discipline.setdefault(invitation.discipline_code, [])
        if invitation.user_id in present:
            by_discipline[invitation.discipline_code].append(invitation.user_id)
    quorum = {code: sorted(ids) for code, ids in sorted(by_discipline.items())}
    meeting.quorum_at_start = quorum
    if meeting.started_at is None:
        meeting.started_at = at
    session.flush()
    return quorum


# --- marking by hand (board coordinators and the chair) ------------------------------------------


def is_chair(session: Session, meeting: Meeting, user: User) -> bool:
    if meeting.chair_id == user.id:
        return True
    return session.scalar(select(Invitation.id).where(
        Invitation.meeting_id == meeting.id, Invitation.user_id == user.id, Invitation.role == "chair",
        Invitation.status.not_in(GONE + ("declined",))).limit(1)) is not None


def is_coordinator_of(session: Session, board_id: int | None, user: User) -> bool:
    if board_id is None:
        return False
    return session.scalar(select(BoardMember.id).where(
        BoardMember.board_id == board_id, BoardMember.user_id == user.id,
        BoardMember.role == "coordinator").limit(1)) is not None


def may_mark_attendance(session: Session, meeting: Meeting, user: User) -> bool:
    return is_coordinator_of(session, meeting.board_id, user) or is_chair(session, meeting, user)


def is_over(meeting: Meeting, at: datetime) -> bool:
    """Finished, or past its scheduled end without being open now."""
    if meeting.status == "finished" or meeting.finished_at is not None:
        return True
    return meeting.status != "in_progress" and ensure_utc(at) >= ensure_utc(meeting.ends_at)


def invitation_of(session: Session, meeting: Meeting, user_id: int) -> Invitation | None:
    return session.scalar(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                   Invitation.user_id == user_id))


@dataclass(frozen=True)
class Marked:
    changed: bool
    present_now: bool


def set_presence(session: Session, meeting: Meeting, user: User, present: bool, *, by: User,
                 at: datetime, signed_user_ids=frozenset()) -> Marked:
    """A board coordinator or the chair marks `user` present or absent (source "coordinator").

    While the meeting runs, this starts or ends a stretch at `at`. After the meeting is over it
    corrects the record instead: "present" adds one stretch covering the meeting (unless some
    presence is already recorded); "absent" removes the stretches marked by hand and closes any
    left open at the meeting's end (stretches the live board recorded are evidence and stay).
    `signed_user_ids`: people whose signature on an outcome rests on this meeting's attendance;
    their presence cannot be removed.
    """
    at = ensure_utc(at)
    if not may_mark_attendance(session, meeting, by):
        raise PermissionDenied(N_("Only a coordinator of this meeting's board or its chair may mark attendance."))
    _check_not_cancelled(meeting)
    invitation = invitation_of(session, meeting, user.id)
    if meeting.chair_id != user.id and (invitation is None or invitation.status in GONE):
        raise InvalidInput("user_id", N_('user %(user_id)s is not invited to this meeting'),
                                      params={'user_id': user.id})
    if at < ensure_utc(meeting.starts_at) - EARLY_JOIN:
        raise Conflict(N_('The meeting has not begun; attendance can be marked from '
                          '%(minutes)s minutes before its start.'),
                       params={'minutes': int(EARLY_JOIN.total_seconds() // 60)})
    if not is_over(meeting, at):
        if present:
            before = open_stretch(session, meeting, user.id)
            mark_joined(session, meeting, user, at=at, source="coordinator")
            return Marked(changed=before is None, present_now=True)
        closed = mark_left(session, meeting, user, at=at, source="coordinator")
        return Marked(changed=closed is not None, present_now=False)

    start, end = meeting_window(meeting)
    rows = stretches(session, meeting, user.id)
    if present:
        if rows:
            return Marked(changed=False, present_now=False)
        session.add(Attendance(meeting_id=meeting.id, user_id=user.id, joined_at=start, left_at=end,
                               source="coordinator"))
        session.flush()
        return Marked(changed=True, present_now=False)
    if user.id in signed_user_ids:
        raise Conflict(N_("This person has signed an outcome of this meeting as present; their attendance "
                       "cannot be removed."))
    changed = False
    for row in rows:
        if row.source == "coordinator":
            session.delete(row)
            changed = True
        elif row.left_at is None:
            row.left_at = max(ensure_utc(row.joined_at), end)
            changed = True
    session.flush()
    return Marked(changed=changed, present_now=False)


# --- what the meeting page and the report show ---------------------------------------------------


def meeting_attendance(session: Session, meeting: Meeting, *, at: datetime) -> list[dict]:
    """One entry per invitee (and anyone else recorded present), with their stretches."""
    at = ensure_utc(at)
    rows_by_user: dict[int, list[Attendance]] = defaultdict(list)
    for row in stretches(session, meeting):
        rows_by_user[row.user_id].append(row)
    invitations = {inv.user_id: inv for inv in session.scalars(
        select(Invitation).where(Invitation.meeting_id == meeting.id).order_by(Invitation.id))}
    user_ids = list(invitations) + [uid for uid in rows_by_user if uid not in invitations]
    if meeting.chair_id is not None and meeting.chair_id not in user_ids:
        user_ids.append(meeting.chair_id)
    users = {user.id: user for user in session.scalars(select(User).where(User.id.in_(user_ids)))}
    now_present = present_user_ids(session, meeting, at) if not is_over(meeting, at) else set()
    people = []
    for user_id in user_ids:
        invitation = invitations.get(user_id)
        rows = rows_by_user.get(user_id, [])
        people.append({
            "user_id": user_id,
            "name": users[user_id].name if user_id in users else "",
            "role": invitation.role if invitation else ("chair" if user_id == meeting.chair_id else None),
            "discipline": invitation.discipline_code if invitation else None,
            "invitation_status": invitation.status if invitation else None,
            "present_now": user_id in now_present,
            "attended": bool(rows),
            "minutes_present": minutes_present(rows, meeting, at),
            "stretches": [{"joined_at": row.joined_at, "left_at": row.left_at, "source": row.source}
                          for row in rows],
        })
    return people


def attendance_report(session: Session, *, board_id: int | None = None, user_id: int | None = None,
                      since: datetime, until: datetime) -> list[dict]:
    """Per specialist, over the meetings starting in [since, until) that were not cancelled:
    how many they held a seat invitation to (not withdrawn), accepted, attended (any presence
    recorded), the attendance rate (attended / invited), and the minutes they were present."""
    since, until = ensure_utc(since), ensure_utc(until)
    if until <= since:
        raise InvalidInput("until", N_("must be after since"))
    statement = (select(Invitation, Meeting).join(Meeting, Meeting.id == Invitation.meeting_id)
                 .where(Invitation.role == "seat", Invitation.status.not_in(GONE),
                        Meeting.status != "cancelled", Meeting.starts_at >= since, Meeting.starts_at < until))
    if board_id is not None:
        statement = statement.where(Meeting.board_id == board_id)
    if user_id is not None:
        statement = statement.where(Invitation.user_id == user_id)
    pairs = session.execute(statement).all()
    meeting_ids = {meeting.id for _, meeting in pairs}
    user_ids = {invitation.user_id for invitation, _ in pairs}
    rows_by_key: dict[tuple[int, int], list[Attendance]] = defaultdict(list)
    if meeting_ids:
        for row in session.scalars(select(Attendance).where(Attendance.meeting_id.in_(meeting_ids),
                                                            Attendance.user_id.in_(user_ids))):
            rows_by_key[(row.meeting_id, row.user_id)].append(row)
    users = {user.id: user for user in session.scalars(select(User).where(User.id.in_(user_ids)))}
    tally: dict[int, dict] = {}
    for invitation, meeting in pairs:
        entry = tally.setdefault(invitation.user_id, {
            "user_id": invitation.user_id, "name": users[invitation.user_id].name, "disciplines": set(),
            "invited": 0, "accepted": 0, "attended": 0, "minutes_present": 0})
        if invitation.discipline_code:
            entry["disciplines"].add(invitation.discipline_code)
        entry["invited"] += 1
        entry["accepted"] += invitation.status == "accepted"
        rows = rows_by_key.get((meeting.id, invitation.user_id), [])
        if rows:
            entry["attended"] += 1
            entry["minutes_present"] += minutes_present(rows, meeting)
    report = []
    for entry in tally.values():
        entry["disciplines"] = sorted(entry["disciplines"])
        entry["attendance_rate"] = round(entry["attended"] / entry["invited"], 3) if entry["invited"] else None
        report.append(entry)
    return sorted(report, key=lambda e: (e["name"].lower(), e["user_id"]))
