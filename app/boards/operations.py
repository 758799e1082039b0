"""Board operations: boards, their quorum and members, who may see their meetings, and keeping the
meetings of a board in step with its recurrence.

Plain Python over a SQLAlchemy session; callers commit. The current instant is passed in (`at`).
Every rule broken raises `InvalidInput` naming the field (`quorum[1].discipline`, `members[2]`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Organization, User
from app.accounts.operations import checked_zone
from app.audit.models import AuditEvent
from app.audit.operations import record as audit
from app.boards import recurrence
from app.boards.models import MEMBER_ROLES, REPLACE_DECLINES, Board, BoardMember, QuorumRequirement
from app.conferencing.operations import board_link_changed, clean_conference_url
from app.db import get_or_not_found
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.paging import DEFAULT_LIMIT, Page, keyset_page
from app.meetings.models import Invitation, Meeting
from app.specialists.operations import discipline_codes, find_profile
from app.timekeeping import Weekday, ensure_utc, to_local
from app.vocabulary import N_

EDITOR_ROLES = ("coordinator", "admin")
SEAT_ROLES = ("core", "deputy")
MEETINGS_AHEAD_WEEKS = 6
# Fields of a board that shape its meetings; changing one reschedules future meetings.
SCHEDULE_FIELDS = ("timezone", "weekday", "start_time", "duration_minutes", "interval_weeks", "anchor_date")
# name: (lowest, highest) for whole-number settings
LIMITS = {
    "duration_minutes": (15, 720),
    "cases_per_meeting": (1, 100),
    "minutes_per_case": (1, 240),
    "agenda_cutoff_hours": (0, 336),
}
MAX_QUORUM_COUNT = 10
DEFAULTS = {"duration_minutes": 120, "interval_weeks": 1, "cases_per_meeting": 12, "minutes_per_case": 10,
            "agenda_cutoff_hours": 24}
# How the sync marks a cancellation it made, so it may undo only its own (see `sync_board_meetings`).
CANCELLED_BY_SCHEDULE = "board_schedule"


# --- lookups and permissions ----------------------------------------------------------------------


def get_board(session: Session, board_id: int) -> Board:
    return get_or_not_found(session, Board, board_id, "board")


def boards_by_id(session: Session, board_ids, *options) -> dict[int, Board]:
    """The boards with these ids (None among them is skipped), in one statement whatever their number."""
    wanted = sorted({board_id for board_id in board_ids if board_id is not None})
    if not wanted:
        return {}
    return {board.id: board for board in session.scalars(select(Board).where(Board.id.in_(wanted)).options(*options))}


def boards_page(session: Session, *, active: bool | None = None, limit: int = DEFAULT_LIMIT,
                cursor: str | None = None) -> Page:
    """A page of boards by name, with their host, quorum and members (and the members' accounts) loaded."""
    statement = select(Board).options(selectinload(Board.host_organization), selectinload(Board.quorum),
                                      selectinload(Board.members).selectinload(BoardMember.user))
    if active is not None:
        statement = statement.where(Board.is_active.is_(active))
    return keyset_page(session, statement, columns=[Board.name, Board.id], limit=limit, cursor=cursor)


def list_boards(session: Session, *, active: bool | None = None) -> list[Board]:
    """Every board by name, for choosing one (a network has tens of boards, not thousands)."""
    statement = select(Board).order_by(Board.name)
    if active is not None:
        statement = statement.where(Board.is_active.is_(active))
    return list(session.scalars(statement))


def member_roles_of(board: Board, user: User) -> set[str]:
    return {member.role for member in board.members if member.user_id == user.id}


def is_board_coordinator(board: Board, user: User) -> bool:
    return "coordinator" in member_roles_of(board, user) and user.has_role("coordinator")


def may_manage_members(actor: User, board: Board) -> bool:
    """Admins, and the coordinators of this board, replace its member list."""
    return actor.has_role("admin") or is_board_coordinator(board, actor)


def require_member_manager(actor: User, board: Board) -> None:
    if not may_manage_members(actor, board):
        raise PermissionDenied(N_('Only the coordinators of %(board_name)s or an admin may change '
                                  'its members.'),
                               params={'board_name': board.name})


def require_board_manager(actor: User, board: Board) -> None:
    """Who changes a board's settings: the same people who manage its members."""
    if not may_manage_members(actor, board):
        raise PermissionDenied(N_('Only the coordinators of %(board_name)s or an admin may change '
                                  'it.'),
                               params={'board_name': board.name})


def may_manage_meeting(session: Session, actor: User, meeting: Meeting) -> bool:
    """Who edits a meeting's agenda, invitations and attendance: its board's coordinators and admins;
    for a meeting of no board, admins and the coordinator who booked or chairs it."""
    board = session.get(Board, meeting.board_id) if meeting.board_id else None
    if board is not None:
        return may_manage_members(actor, board)
    # A meeting of no board (booked from the time search) is run by whoever booked or chairs it.
    return actor.has_role("admin") or (actor.has_role("coordinator")
                                       and actor.id in (meeting.created_by_id, meeting.chair_id))


def sees_all_meetings(actor: User, board: Board) -> bool:
    """Admins, coordinators and every member of the board (core, deputy, coordinator, observer)."""
    return actor.has_role(*EDITOR_ROLES) or bool(member_roles_of(board, actor))


def is_invited(session: Session, actor: User, meeting: Meeting) -> bool:
    return session.scalar(select(Invitation.id).where(Invitation.meeting_id == meeting.id,
                                                      Invitation.user_id == actor.id)) is not None


def may_view_meeting(session: Session, actor: User, meeting: Meeting) -> bool:
    if meeting.board_id is not None and sees_all_meetings(actor, session.get(Board, meeting.board_id)):
        return True
    if meeting.board_id is None and actor.has_role(*EDITOR_ROLES):
        return True
    if actor.id in (meeting.created_by_id, meeting.chair_id):
        return True
    return is_invited(session, actor, meeting)


def visible_meetings_query(actor: User):
    """`select(Meeting)` limited to the meetings `may_view_meeting` lets `actor` see, for lists."""
    if actor.has_role(*EDITOR_ROLES):
        return select(Meeting)
    return select(Meeting).where(or_(
        Meeting.board_id.in_(select(BoardMember.board_id).where(BoardMember.user_id == actor.id)),
        Meeting.created_by_id == actor.id,
        Meeting.chair_id == actor.id,
        Meeting.id.in_(select(Invitation.meeting_id).where(Invitation.user_id == actor.id)),
    ))


def get_visible_meeting(session: Session, actor: User, meeting_id: int) -> Meeting:
    """The meeting, if `actor` may see it; otherwise 404 (whether or not it exists)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or not may_view_meeting(session, actor, meeting):
        raise NotFound(N_('No meeting with id %(meeting_id)s.'),
                       params={'meeting_id': meeting_id})
    return meeting


# The order of a board's meetings (a keyset: the last column is unique).
BOARD_MEETINGS_ORDER = (Meeting.starts_at, Meeting.id)


def board_meetings_for(session: Session, actor: User, board: Board, start: datetime,
                       end: datetime) -> list[Meeting]:
    """Meetings of `board` starting in [start, end) that `actor` may see, in order."""
    return list(session.scalars(board_meetings_query(session, actor, board, start, end)
                                .order_by(*BOARD_MEETINGS_ORDER)))


def board_meetings_query(session: Session, actor: User, board: Board, start: datetime, end: datetime):
    """`select(Meeting)` of `board`'s meetings starting in [start, end) that `actor` may see (unordered).

    Members, coordinators and admins see all; someone only invited sees the meetings they are
    invited to; anyone else gets NotFound.
    """
    statement = select(Meeting).where(Meeting.board_id == board.id,
                                      Meeting.starts_at >= ensure_utc(start),
                                      Meeting.starts_at < ensure_utc(end))
    if not sees_all_meetings(actor, board):
        invited = select(Invitation.meeting_id).where(Invitation.user_id == actor.id)
        if session.scalar(select(Meeting.id).where(Meeting.board_id == board.id,
                                                   Meeting.id.in_(invited)).limit(1)) is None:
            raise NotFound(N_('No meetings of board %(board_id)s for you: you are not a member or '
                              'invitee.'),
                           params={'board_id': board.id})
        statement = statement.where(Meeting.id.in_(invited))
    return statement


# --- validation of single fields ------------------------------------------------------------------


def _whole(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(name, N_("must be a whole number"))
    lowest, highest = LIMITS[name]
    if not lowest <= value <= highest:
        raise InvalidInput(name, N_('must be between %(lowest)s and %(highest)s'),
                                 params={'lowest': lowest, 'highest': highest})
    return value


def clean_name(session: Session, name, board: Board | None = None) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(text) <= 200:
        raise InvalidInput("name", N_("must be 1 to 200 characters"))
    clash = session.scalar(select(Board).where(func.lower(Board.name) == text.lower()))
    if clash is not None and clash is not board:
        raise Conflict(N_('A board named %(text)s already exists.'),
                       params={'text': repr(text)}, board_id=clash.id)
    return text


def clean_weekday(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        raise InvalidInput("weekday", N_("must be 0 (Monday) to 6 (Sunday), in the host's zone"))
    return value


def clean_start_time(value) -> time:
    if not isinstance(value, time) or value.tzinfo is not None:
        raise InvalidInput("start_time", N_("must be a wall-clock time such as 14:00 (no offset)"))
    if value.second or value.microsecond:
        raise InvalidInput("start_time", N_("must be whole minutes, e.g. 14:00"))
    return value


def clean_interval(value) -> int:
    if value not in (1, 2) or isinstance(value, bool):
        raise InvalidInput("interval_weeks", N_("must be 1 (weekly) or 2 (fortnightly)"))
    return value


def clean_replace_declines(value) -> str:
    if value not in REPLACE_DECLINES:
        raise InvalidInput("replace_declines", N_("must be one of %(choices)s"),
                           params={"choices": ", ".join(REPLACE_DECLINES)})
    return value


def clean_quorum(items, known: set[str], field: str = "quorum") -> dict[str, int]:
    """[{"discipline": code, "count": n}, ...] as {code: n}; at least one discipline."""
    if not isinstance(items, list | tuple) or not items:
        raise InvalidInput(field, N_("name at least one discipline, e.g. [{'discipline': 'radiology', 'count': 1}]"))
    cleaned: dict[str, int] = {}
    for index, item in enumerate(items):
        code = item.get("discipline")
        code = code.strip().lower() if isinstance(code, str) else code
        if code not in known:
            raise InvalidInput(f"{field}[{index}].discipline",
                               N_('%(discipline)s is not a discipline code; see GET '
                                  '/api/v1/disciplines'),
                               params={'discipline': repr(item.get('discipline'))})
        if code in cleaned:
            raise InvalidInput(f"{field}[{index}].discipline", N_('%(code)s is listed twice'),
                                                               params={'code': code})
        count = item.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_QUORUM_COUNT:
            raise InvalidInput(f"{field}[{index}].count", N_('must be between 1 and '
                                                             '%(max_quorum_count)s'),
                                                          params={'max_quorum_count': MAX_QUORUM_COUNT})
        cleaned[code] = count
    return cleaned


def clean_members(session: Session, items, *, known: set[str] | None = None,
                  field: str = "members") -> list[tuple[User, str, str | None]]:
    """[{"user_id", "role", "discipline"}, ...] as (user, role, discipline) after checking each:

    * core and deputy: a specialist whose profile holds the discipline;
    * coordinator: a user with the coordinator role;
    * observer (e.g. a trainee): any active user; observers watch but never sign.
    """
    if not isinstance(items, list | tuple):
        raise InvalidInput(field, N_("must be a list of members"))
    known = discipline_codes(session) if known is None else known
    seen: set[tuple[int, str]] = set()
    cleaned = []
    for index, item in enumerate(items):
        where = f"{field}[{index}]"
        user_id, role, discipline = item.get("user_id"), item.get("role"), item.get("discipline")
        if role not in MEMBER_ROLES:
            raise InvalidInput(f"{where}.role", N_('must be one of %(member_roles)s'),
                                                params={'member_roles': list(MEMBER_ROLES)})
        user = session.get(User, user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
        if user is None:
            raise InvalidInput(f"{where}.user_id", N_('no user has id %(user_id)s'),
                                                   params={'user_id': repr(user_id)})
        if not user.is_active:
            raise InvalidInput(where, N_('%(user_name)s is deactivated'),
                                      params={'user_name': user.name})
        if role in SEAT_ROLES:
            discipline = discipline.strip().lower() if isinstance(discipline, str) else discipline
            if discipline is None:
                raise InvalidInput(f"{where}.discipline", N_('a %(role)s member sits for a '
                                                             'discipline; name it'),
                                                          params={'role': role})
            if discipline not in known:
                raise InvalidInput(f"{where}.discipline", N_('%(discipline)s is not a discipline '
                                                             'code'),
                                                          params={'discipline': repr(discipline)})
            profile = find_profile(session, user.id) if user.has_role("specialist") else None
            if profile is None:
                raise InvalidInput(where, N_('%(user_name)s is not a specialist with a profile, '
                                             'so cannot sit as a %(role)s member'),
                                          params={'user_name': user.name, 'role': role})
            if discipline not in profile.discipline_codes:
                raise InvalidInput(where, N_("%(user_name)s's specialist profile does not hold "
                                             '%(discipline)s (it holds %(held)s)'),
                                          params={'user_name': user.name, 'discipline': discipline, 'held': ', '.join(profile.discipline_codes) or '-'})
        else:
            if discipline is not None:
                raise InvalidInput(f"{where}.discipline", N_("only core members and deputies sit for a discipline"))
            if role == "coordinator" and not user.has_role("coordinator"):
                raise InvalidInput(where, N_('%(user_name)s does not hold the coordinator role'),
                                          params={'user_name': user.name})
        if (user.id, role) in seen:
            raise InvalidInput(where, N_('%(user_name)s is listed twice as %(role)s'),
                                      params={'user_name': user.name, 'role': role})
        seen.add((user.id, role))
        cleaned.append((user, role, discipline))
    return cleaned


def _default_anchor(at: datetime, zone: str, weekday: int) -> date:
    today = to_local(at, zone).date()
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _check_anchor(anchor: date, weekday: int) -> None:
    if not isinstance(anchor, date) or isinstance(anchor, datetime):
        raise InvalidInput("anchor_date", N_("must be a date such as 2026-03-05"))
    if anchor.weekday() != weekday:
        raise InvalidInput("anchor_date", N_("is a %(anchor_weekday)s, but the board meets on a %(board_weekday)s"),
                           params={"anchor_weekday": Weekday(anchor.weekday()), "board_weekday": Weekday(weekday)})


def _check_capacity(values: dict, blame: str) -> None:
    needed = values["cases_per_meeting"] * values["minutes_per_case"]
    if needed > values["duration_minutes"]:
        raise InvalidInput(blame, N_('%(cases_per_meeting)s cases × %(minutes_per_case)s minutes '
                                     "= %(needed)s minutes, more than the meeting's "
                                     '%(duration_minutes)s'),
                                  params={'cases_per_meeting': values['cases_per_meeting'], 'minutes_per_case': values['minutes_per_case'], 'needed': needed, 'duration_minutes': values['duration_minutes']})


def _apply_quorum(board: Board, quorum: dict[str, int]) -> None:
    """Update in place (rows keyed by discipline), so a kept discipline is not deleted and re-added."""
    existing = {row.discipline_code: row for row in board.quorum}
    for code, row in existing.items():
        if code not in quorum:
            board.quorum.remove(row)
    for code, count in quorum.items():
        if code in existing:
            existing[code].count = count
        else:
            board.quorum.append(QuorumRequirement(discipline_code=code, count=count))


def _apply_members(board: Board, members: list[tuple[User, str, str | None]]) -> None:
    """Rows are keyed by (user, role) as the unique constraint is; kept rows are updated in place."""
    existing = {(row.user_id, row.role): row for row in board.members}
    wanted = {(user.id, role): (user, discipline) for user, role, discipline in members}
    for key, row in existing.items():
        if key not in wanted:
            board.members.remove(row)
    for key, (user, discipline) in wanted.items():
        if key in existing:
            existing[key].discipline_code = discipline
        else:
            board.members.append(BoardMember(user=user, role=key[1], discipline_code=discipline))


# --- boards ---------------------------------------------------------------------------------------


def create_board(session: Session, *, at: datetime, name, weekday, start_time, quorum,
                 host_organization_id: int | None = None, timezone: str | None = None,
                 duration_minutes=DEFAULTS["duration_minutes"], interval_weeks=DEFAULTS["interval_weeks"],
                 anchor_date: date | None = None, cases_per_meeting=DEFAULTS["cases_per_meeting"],
                 minutes_per_case=DEFAULTS["minutes_per_case"],
                 agenda_cutoff_hours=DEFAULTS["agenda_cutoff_hours"], members=None,
                 replace_declines="automatic", creator: User | None = None,
                 conference_url: str | None = None) -> Board:
    """A new active board. The zone defaults to the host organisation's (which defaults to the
    creator's); the anchor date to the first meeting day from today in that zone. A coordinator who
    creates a board without naming any coordinator becomes its coordinator."""
    at = ensure_utc(at)
    if host_organization_id is None:
        if creator is None:
            raise InvalidInput("host_organization_id", N_("is required"))
        host_organization_id = creator.organization_id
    host = session.get(Organization, host_organization_id)
    if host is None:
        raise InvalidInput("host_organization_id", N_('no organisation has id '
                                                      '%(host_organization_id)s'),
                                                   params={'host_organization_id': host_organization_id})
    values = {
        "name": clean_name(session, name),
        "timezone": checked_zone("timezone", timezone) or host.timezone,
        "weekday": clean_weekday(weekday),
        "start_time": clean_start_time(start_time),
        "duration_minutes": _whole("duration_minutes", duration_minutes),
        "interval_weeks": clean_interval(interval_weeks),
        "cases_per_meeting": _whole("cases_per_meeting", cases_per_meeting),
        "minutes_per_case": _whole("minutes_per_case", minutes_per_case),
        "agenda_cutoff_hours": _whole("agenda_cutoff_hours", agenda_cutoff_hours),
        "replace_declines": clean_replace_declines(replace_declines),
        "conference_url": clean_conference_url("conference_url", conference_url),
    }
    values["anchor_date"] = (anchor_date if anchor_date is not None
                             else _default_anchor(at, values["timezone"], values["weekday"]))
    _check_anchor(values["anchor_date"], values["weekday"])
    _check_capacity(values, "cases_per_meeting")
    known = discipline_codes(session)
    required = clean_quorum(quorum, known)
    member_list = list(members or [])
    cleaned_members = clean_members(session, member_list, known=known)
    if (creator is not None and creator.has_role("coordinator")
            and not any(role == "coordinator" for _, role, _ in cleaned_members)):
        cleaned_members.append((creator, "coordinator", None))
    board = Board(host_organization=host, is_active=True, created_at=at, **values)
    board.quorum, board.members = [], []
    _apply_quorum(board, required)
    _apply_members(board, cleaned_members)
    session.add(board)
    session.flush()
    return board


def _current(board: Board) -> dict:
    return {name: getattr(board, name) for name in (
        "name", "timezone", "weekday", "start_time", "duration_minutes", "interval_weeks", "anchor_date",
        "cases_per_meeting", "minutes_per_case", "agenda_cutoff_hours", "replace_declines", "is_active",
        "conference_url")}


def _plain(value):
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def update_board(session: Session, board: Board, changes: dict) -> dict:
    """Change any of the board's settings and its quorum (`changes` holds only what is changed).

    Changing the weekday without an anchor date moves the anchor to the new weekday of the same
    week, so a fortnightly board keeps its parity. Returns {field: {"from", "to"}} of real changes.
    Meetings are brought in step by `sync_board_meetings` (the caller runs it).
    """
    before = _current(board)
    values = dict(before)
    given = set(changes)
    if "name" in given:
        values["name"] = clean_name(session, changes["name"], board)
    if "timezone" in given:
        if changes["timezone"] is None:
            values["timezone"] = board.host_organization.timezone
        else:
            values["timezone"] = checked_zone("timezone", changes["timezone"])
    if "weekday" in given:
        values["weekday"] = clean_weekday(changes["weekday"])
    if "start_time" in given:
        values["start_time"] = clean_start_time(changes["start_time"])
    if "interval_weeks" in given:
        values["interval_weeks"] = clean_interval(changes["interval_weeks"])
    for name in LIMITS:
        if name in given:
            values[name] = _whole(name, changes[name])
    if "replace_declines" in given:
        values["replace_declines"] = clean_replace_declines(changes["replace_declines"])
    if changes.get("host_organization_id") not in (None, board.host_organization_id):
        host = session.get(Organization, changes["host_organization_id"])
        if host is None:
            raise InvalidInput("host_organization_id", N_("no organisation has id %(organization_id)s"),
                               params={"organization_id": changes["host_organization_id"]})
        board.host_organization = host
    if "is_active" in given:
        if not isinstance(changes["is_active"], bool):
            raise InvalidInput("is_active", N_("must be true or false"))
        values["is_active"] = changes["is_active"]
    if "conference_url" in given:
        values["conference_url"] = clean_conference_url("conference_url", changes["conference_url"])
    if changes.get("anchor_date") is not None:
        values["anchor_date"] = changes["anchor_date"]
    elif values["weekday"] != before["weekday"]:
        anchor = before["anchor_date"]
        values["anchor_date"] = anchor + timedelta(days=values["weekday"] - anchor.weekday())
    _check_anchor(values["anchor_date"], values["weekday"])
    blame = next((name for name in ("cases_per_meeting", "minutes_per_case", "duration_minutes") if name in given),
                 "cases_per_meeting")
    _check_capacity(values, blame)
    diff = {name: {"from": _plain(before[name]), "to": _plain(value)}
            for name, value in values.items() if before[name] != value}
    if changes.get("quorum") is not None:
        required = clean_quorum(changes["quorum"], discipline_codes(session))
        old = {row.discipline_code: row.count for row in board.quorum}
        if old != required:
            diff["quorum"] = {"from": old, "to": required}
        _apply_quorum(board, required)
    for name, value in values.items():
        setattr(board, name, value)
    session.flush()
    if "conference_url" in diff:
        board_link_changed(session, board)
    return diff


def replace_members(session: Session, board: Board, members) -> dict:
    """Replace the whole member list. Returns {"from": [...], "to": [...]} for the audit trail."""
    cleaned = clean_members(session, members)

    def listing(rows):
        return sorted([user_id, role, discipline] for user_id, role, discipline in rows)

    before = listing((row.user_id, row.role, row.discipline_code) for row in board.members)
    _apply_members(board, cleaned)
    session.flush()
    return {"from": before, "to": listing((user.id, role, discipline) for user, role, discipline in cleaned)}


def board_occurrences(board: Board, start: datetime, end: datetime) -> list[recurrence.Occurrence]:
    return recurrence.occurrences(board.weekday, board.start_time, board.timezone, board.interval_weeks,
                                  board.anchor_date, board.duration_minutes, start, end)


def board_occurrence_on(board: Board, local_date: date) -> recurrence.Occurrence | None:
    return recurrence.occurrence_on(local_date, board.weekday, board.start_time, board.timezone,
                                    board.interval_weeks, board.anchor_date, board.duration_minutes)


def next_meeting_time(board: Board, at: datetime) -> recurrence.Occurrence | None:
    if not board.is_active:
        return None
    return recurrence.next_occurrence(board.weekday, board.start_time, board.timezone, board.interval_weeks,
                                      board.anchor_date, board.duration_minutes, at)


# --- keeping meetings in step with the rule ----------------------------------------------------------


@dataclass
class SyncResult:
    created: int = 0
    rescheduled: int = 0
    cancelled: int = 0
    reinstated: int = 0


def _shift_invitations(meeting: Meeting, starts_at: datetime, ends_at: datetime) -> None:
    """Move the time each invitation holds (its buffers kept) along with the meeting."""
    start_delta = starts_at - ensure_utc(meeting.starts_at)
    end_delta = ends_at - ensure_utc(meeting.ends_at)
    for invitation in meeting.invitations:
        invitation.busy_from = ensure_utc(invitation.busy_from) + start_delta
        invitation.busy_until = ensure_utc(invitation.busy_until) + end_delta


def _cancel(session: Session, meeting: Meeting, at: datetime, reason: str) -> None:
    from app.meetings.booking import cancel_meeting  # booking builds on boards; imported here, one way

    cancel_meeting(session, meeting, at=at, reason=reason)
    audit(session, "meeting.cancelled", target_type="meeting", target_id=meeting.id,
          detail={"by": CANCELLED_BY_SCHEDULE, "board_id": meeting.board_id, "reason": reason,
                  "occurrence_date": meeting.occurrence_date.isoformat(), "sequence": meeting.sequence})


def _cancelled_by_schedule(session: Session, meeting: Meeting) -> bool:
    """Whether the last cancellation of this meeting was this module's (not a person's)."""
    last = session.scalar(select(AuditEvent)
                          .where(AuditEvent.target_type == "meeting", AuditEvent.target_id == str(meeting.id),
                                 AuditEvent.action == "meeting.cancelled")
                          .order_by(AuditEvent.id.desc()).limit(1))
    return last is not None and (last.detail or {}).get("by") == CANCELLED_BY_SCHEDULE


def _move(session: Session, board: Board, meeting: Meeting, occurrence, at: datetime, action: str) -> None:
    detail = {"board_id": board.id, "occurrence_date": meeting.occurrence_date.isoformat(),
              "from": [meeting.starts_at.isoformat(), meeting.ends_at.isoformat()],
              "to": [occurrence.starts_at.isoformat(), occurrence.ends_at.isoformat()]}
    _shift_invitations(meeting, occurrence.starts_at, occurrence.ends_at)
    meeting.starts_at, meeting.ends_at = occurrence.starts_at, occurrence.ends_at
    meeting.title, meeting.host_timezone = board.name, board.timezone
    meeting.status = "scheduled"
    meeting.sequence = (meeting.sequence or 0) + 1
    meeting.updated_at = at
    detail["sequence"] = meeting.sequence
    audit(session, action, target_type="meeting", target_id=meeting.id, detail=detail)


def _differs(meeting: Meeting, board: Board, occurrence) -> bool:
    return (ensure_utc(meeting.starts_at) != occurrence.starts_at or ensure_utc(meeting.ends_at) != occurrence.ends_at
            or meeting.title != board.name or meeting.host_timezone != board.timezone)


def sync_board_meetings(session: Session, board: Board, at: datetime, *,
                        weeks: int = MEETINGS_AHEAD_WEEKS) -> SyncResult:
    """Bring the board's meetings in step with its rule, as seen at `at`. Idempotent.

    * Creates the missing meetings starting in [at, at + weeks) (one per board and local date).
    * A scheduled meeting not yet started whose date is still on the rule but whose time, title or
      zone differ is moved (instants updated, open invitations' held time moved, sequence raised).
    * A scheduled meeting not yet started whose date is off the rule, whose new time has already
      passed, or whose board is inactive is cancelled (sequence raised; open invitations withdrawn).
    * A meeting this function cancelled whose date is back on the rule is scheduled again; one a
      person cancelled stays cancelled.
    Meetings that started, finished or are in progress are never touched, nor ad-hoc meetings, nor
    a meeting a person moved (`rescheduled_by_id`): it keeps its date's place in the series.
    """
    at = ensure_utc(at)
    result = SyncResult()
    earliest_date = to_local(at, board.timezone).date() - timedelta(days=2)
    known = {meeting.occurrence_date: meeting for meeting in session.scalars(
        select(Meeting).where(Meeting.board_id == board.id, Meeting.occurrence_date.is_not(None),
                              or_(Meeting.occurrence_date >= earliest_date, Meeting.starts_at > at)))}
    for meeting in sorted(known.values(), key=lambda m: m.occurrence_date):
        if (meeting.status != "scheduled" or ensure_utc(meeting.starts_at) <= at
                or meeting.rescheduled_by_id is not None):
            continue
        occurrence = board_occurrence_on(board, meeting.occurrence_date) if board.is_active else None
        if not board.is_active:
            _cancel(session, meeting, at, "the board is no longer active")
            result.cancelled += 1
        elif occurrence is None:
            _cancel(session, meeting, at, "the board no longer meets on this date")
            result.cancelled += 1
        elif occurrence.starts_at <= at:
            _cancel(session, meeting, at, "the board's new time for this date has already passed")
            result.cancelled += 1
        elif _differs(meeting, board, occurrence):
            _move(session, board, meeting, occurrence, at, "meeting.rescheduled")
            result.rescheduled += 1
    if board.is_active:
        for occurrence in board_occurrences(board, at, at + timedelta(weeks=weeks)):
            if occurrence.starts_at <= at:
                continue
            meeting = known.get(occurrence.local_date)
            if meeting is None:
                meeting = Meeting(board_id=board.id, occurrence_date=occurrence.local_date, title=board.name,
                                  kind="board", starts_at=occurrence.starts_at, ends_at=occurrence.ends_at,
                                  host_timezone=board.timezone, status="scheduled", sequence=0,
                                  created_at=at, updated_at=at)
                session.add(meeting)
                known[occurrence.local_date] = meeting
                result.created += 1
            elif meeting.status == "cancelled" and _cancelled_by_schedule(session, meeting):
                _move(session, board, meeting, occurrence, at, "meeting.reinstated")
                result.reinstated += 1
    session.flush()
    return result
