"""On-call rotas: members, generated shifts, cover requests, and who is on call.

Plain Python over a SQLAlchemy session; callers commit. The current time is passed in (`at`).
Who takes which period is decided by `app.rotas.generation` (no database); this module turns a
rota into periods (handoff wall-clock time in the rota's zone, converted with the zone's real
offsets), works out eligibility, and writes shifts. docs/rotas.md states the rules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.boards.models import Board
from app.db import get_or_not_found
from app.errors import Conflict, InvalidInput, InvalidValue, NotFound, PermissionDenied, in_readers_language
from app.notifications.operations import notify
from app.paging import DEFAULT_LIMIT, Page, keyset_page
from app.rotas import generation
from app.rotas.models import CoverRequest, OnCallShift, Rota, RotaMember
from app.specialists.models import Discipline, SpecialistProfile
from app.timekeeping import (Weekday, check_supported_year, ensure_utc, format_instant, from_local, parse_instant,
                              to_local, validate_zone)
from app.vocabulary import N_, label_text

# The API's `handoff_weekday_name` (a code, as English as the field names). Messages carry a `Weekday` (an
# index, in params named `*weekday`), which the edge shows in the reader's language.
WEEKDAYS = Weekday.ENGLISH
MAX_WEEKS = 52
# A handoff is sociable for a member when it falls between these wall-clock times (inclusive)
# in the member's own home zone; anything earlier or later is unsocial.
SOCIAL_FROM = time(8, 0)
SOCIAL_UNTIL = time(20, 0)
EDITOR_ROLES = ("coordinator", "admin")
OPEN_COVER_STATES = ("open", "accepted")
DECISION_REASON_LIMIT = 500  # a rejection's reason, told to the requester and the volunteer
# What may happen next to a cover request in each state (the 409 answers list these).
COVER_ACTIONS = {
    "open": ("accept", "withdraw", "reject"),
    "accepted": ("approve", "reject", "withdraw"),
    "approved": (),
    "rejected": (),
    "withdrawn": (),
}
NOTIFICATION_KIND = "rota.cover"

_HH_MM = re.compile(r"^(\d{2}):(\d{2})$")
_LOCAL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- rotas ----------------------------------------------------------------------------------


def get_rota(session: Session, rota_id: int, *, for_update: bool = False) -> Rota:
    return get_or_not_found(session, Rota, rota_id, "rota", for_update=for_update)


def rotas_page(session: Session, *, discipline_code: str | None = None, limit: int = DEFAULT_LIMIT,
               cursor: str | None = None) -> Page:
    """A page of rotas by name, each with its members and their accounts loaded."""
    statement = select(Rota).options(selectinload(Rota.members).selectinload(RotaMember.user))
    if discipline_code is not None:
        statement = statement.where(Rota.discipline_code == discipline_code)
    return keyset_page(session, statement, columns=[Rota.name, Rota.id], limit=limit, cursor=cursor)


def member_home_zones(session: Session, rotas) -> dict[int, str]:
    """Each member's home zone (user id -> zone) for the members of `rotas`, in one query."""
    user_ids = {member.user_id for rota in rotas for member in rota.members}
    if not user_ids:
        return {}
    return dict(session.execute(select(SpecialistProfile.user_id, SpecialistProfile.home_timezone)
                                .where(SpecialistProfile.user_id.in_(sorted(user_ids)))).all())


def parse_handoff_time(text: str, field: str = "handoff_time") -> time:
    match = _HH_MM.match(text.strip()) if isinstance(text, str) else None
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise InvalidInput(field, N_("must be a 24-hour wall-clock time HH:MM, e.g. 08:00"))
    return time(int(match.group(1)), int(match.group(2)))


def find_profile(session: Session, user_id: int) -> SpecialistProfile | None:
    return session.scalar(
        select(SpecialistProfile).where(SpecialistProfile.user_id == user_id)
        .options(selectinload(SpecialistProfile.disciplines), selectinload(SpecialistProfile.leave),
                 selectinload(SpecialistProfile.licences)))


def _clean_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise InvalidInput("name", N_("must not be blank"))
    return cleaned


def _refuse_duplicate_name(session: Session, name: str, rota_id: int | None = None) -> None:
    statement = select(Rota).where(func.lower(Rota.name) == name.lower())
    if rota_id is not None:
        statement = statement.where(Rota.id != rota_id)
    existing = session.scalar(statement)
    if existing is not None:
        raise Conflict(N_('A rota named %(existing_name)s already exists.'),
                       params={'existing_name': repr(existing.name)}, rota_id=existing.id)


def check_members(session: Session, discipline_code: str, user_ids) -> list[User]:
    """The users, in order; each must be an active specialist whose profile lists the discipline."""
    users, seen = [], set()
    for index, user_id in enumerate(user_ids):
        where = f"members[{index}]"
        if user_id in seen:
            raise InvalidInput(where, N_('user %(user_id)s is listed twice'),
                                      params={'user_id': user_id})
        seen.add(user_id)
        user = session.get(User, user_id)
        if user is None:
            raise InvalidInput(where, N_('no user has id %(user_id)s'),
                                      params={'user_id': user_id})
        if not user.is_active:
            raise InvalidInput(where, N_('%(user_name)s (user %(user_id)s) is deactivated'),
                                      params={'user_name': user.name, 'user_id': user_id})
        if not user.has_role("specialist"):
            raise InvalidInput(where, N_('%(user_name)s (user %(user_id)s) does not have the '
                                         'specialist role'),
                                      params={'user_name': user.name, 'user_id': user_id})
        profile = find_profile(session, user_id)
        if profile is None:
            raise InvalidInput(where, N_('%(user_name)s (user %(user_id)s) has no specialist '
                                         'profile'),
                                      params={'user_name': user.name, 'user_id': user_id})
        if discipline_code not in profile.discipline_codes:
            raise InvalidInput(where, N_("%(user_name)s (user %(user_id)s)'s specialist profile "
                                         'does not list %(discipline_code)s'),
                                      params={'user_name': user.name, 'user_id': user_id, 'discipline_code': discipline_code})
        users.append(user)
    return users


def create_rota(session: Session, *, name: str, discipline_code: str, handoff_weekday: int,
                handoff_time: str | time, timezone: str, period_weeks: int = 1, members=(),
                board_id: int | None = None, created_by: User | None = None,
                at: datetime | None = None) -> Rota:
    name = _clean_name(name)
    if board_id is not None and session.get(Board, board_id) is None:
        raise InvalidInput("board_id", N_('no board has id %(board_id)s'),
                                       params={'board_id': board_id})
    if session.get(Discipline, discipline_code) is None:
        raise InvalidInput("discipline_code",
                           N_('%(discipline_code)s is not a known discipline (see GET '
                              '/api/v1/disciplines)'),
                           params={'discipline_code': repr(discipline_code)})
    if not isinstance(handoff_weekday, int) or not 0 <= handoff_weekday <= 6:
        raise InvalidInput("handoff_weekday", N_("must be 0 (Monday) to 6 (Sunday)"))
    if not isinstance(handoff_time, time):
        handoff_time = parse_handoff_time(handoff_time)
    try:
        validate_zone(timezone)
    except InvalidValue as exc:
        raise InvalidInput("timezone", exc.template, exc.params) from None
    if period_weeks not in (1, 2):
        raise InvalidInput("period_weeks", N_("must be 1 (weekly) or 2 (fortnightly)"))
    users = check_members(session, discipline_code, members)
    _refuse_duplicate_name(session, name)
    rota = Rota(name=name, discipline_code=discipline_code, handoff_weekday=handoff_weekday,
                handoff_time=handoff_time.replace(second=0, microsecond=0), timezone=timezone,
                period_weeks=period_weeks, board_id=board_id, created_by_id=getattr(created_by, "id", None))
    if at is not None:
        rota.created_at = ensure_utc(at)
    rota.members = [RotaMember(user_id=user.id, position=index) for index, user in enumerate(users)]
    session.add(rota)
    session.flush()
    return rota


def update_rota(session: Session, rota: Rota, *, name: str | None = None, members=None) -> Rota:
    """Rename, or replace the member list (the new order is the rota order).

    Existing shifts are left as they are; regenerate to apply a new membership."""
    if name is not None:
        name = _clean_name(name)
        _refuse_duplicate_name(session, name, rota.id)
        rota.name = name
    if members is not None:
        users = check_members(session, rota.discipline_code, members)
        by_user = {member.user_id: member for member in rota.members}
        kept = []
        for index, user in enumerate(users):
            member = by_user.get(user.id) or RotaMember(user_id=user.id)
            member.position = index
            kept.append(member)
        rota.members = kept
    session.flush()
    return rota


def member_ids(rota: Rota) -> list[int]:
    return [member.user_id for member in sorted(rota.members, key=lambda m: m.position)]


# --- periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    starts_at: datetime
    ends_at: datetime
    local_date: date  # the handoff date in the rota's zone


def handoff_at(rota: Rota, day: date) -> datetime:
    """The handoff instant on a local date. A handoff time that the clocks skip that day is
    moved forward by the gap (02:30 in a 02:00-03:00 gap is 03:30); one that happens twice is
    the first occurrence."""
    wall_clock = datetime.combine(day, rota.handoff_time.replace(second=0, microsecond=0))
    return from_local(wall_clock, rota.timezone, nonexistent="shift", ambiguous="earlier")


def periods_from(rota: Rota, first_day: date, count: int) -> list[Period]:
    """`count` contiguous periods: each ends exactly when the next begins."""
    step = timedelta(weeks=rota.period_weeks)
    days = [first_day + index * step for index in range(count + 1)]
    bounds = [handoff_at(rota, day) for day in days]
    return [Period(bounds[index], bounds[index + 1], days[index]) for index in range(count)]


def _cycle_anchor(session: Session, rota: Rota) -> date | None:
    """A handoff date of the rota's existing shifts, so a fortnightly rota keeps its rhythm."""
    latest = session.scalar(select(OnCallShift.starts_at).where(OnCallShift.rota_id == rota.id)
                            .order_by(OnCallShift.starts_at.desc()).limit(1))
    return None if latest is None else to_local(latest, rota.timezone).date()


def first_handoff_day(session: Session, rota: Rota, start: date | datetime) -> date:
    """A local date must itself be a handoff day; an instant means the first handoff at or
    after it (on a fortnightly rota, in step with the shifts it already has)."""
    if isinstance(start, datetime):
        instant = ensure_utc(start)
        day = to_local(instant, rota.timezone).date() - timedelta(days=1)
        while day.weekday() != rota.handoff_weekday or handoff_at(rota, day) < instant:
            day += timedelta(days=1)
        anchor = _cycle_anchor(session, rota) if rota.period_weeks == 2 else None
        if anchor is not None and (day - anchor).days % 14:
            day += timedelta(weeks=1)
        return day
    if start.weekday() != rota.handoff_weekday:
        back = (start.weekday() - rota.handoff_weekday) % 7
        earlier, later = start - timedelta(days=back), start + timedelta(days=7 - back)
        raise InvalidInput("start", N_("%(start_on)s is a %(start_weekday)s; this rota's handoff day is "
                                       "%(handoff_weekday)s (e.g. %(earlier_on)s or %(later_on)s)"),
                           params={"start_on": start.isoformat(), "start_weekday": Weekday(start.weekday()),
                                   "handoff_weekday": Weekday(rota.handoff_weekday), "earlier_on": earlier.isoformat(),
                                   "later_on": later.isoformat()})
    return start


def _check_start_year(start: date | datetime) -> None:
    """Refuse a start outside the years Meridian supports (422 on `start`), before any date arithmetic
    near the ends of `datetime` could overflow."""
    try:
        check_supported_year(start)
    except InvalidValue as refusal:
        raise InvalidInput("start", refusal.template, params=refusal.params) from None


def parse_start(text: str) -> date | datetime:
    """`YYYY-MM-DD` (a local handoff date) or an ISO 8601 instant with an offset."""
    text = (text or "").strip()
    if _LOCAL_DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput("start", N_("%(value)s is not a real date"), params={"value": repr(text)}) from None
        _check_start_year(day)
        return day
    try:
        return parse_instant(text)
    except InvalidValue as refusal:  # a real instant outside the years Meridian supports
        raise InvalidInput("start", refusal.template, params=refusal.params) from None
    except ValueError:
        raise InvalidInput("start", N_("must be the local date of the first handoff (YYYY-MM-DD) or an instant "
                                       "with its zone, e.g. 2026-11-26T06:00:00Z")) from None


# --- eligibility ----------------------------------------------------------------------------


@dataclass
class MemberFacts:
    user: User
    profile: SpecialistProfile | None

    @property
    def home_zone(self) -> str:
        return self.profile.home_timezone if self.profile is not None else self.user.timezone


def member_facts(session: Session, user_ids) -> dict[int, MemberFacts]:
    facts = {}
    for user_id in user_ids:
        user = session.get(User, user_id)
        if user is not None:
            facts[user_id] = MemberFacts(user, find_profile(session, user_id))
    return facts


def why_not(facts: MemberFacts, discipline_code: str, starts_at: datetime,
            ends_at: datetime) -> InvalidValue | None:
    """Why this member cannot be on call for [starts_at, ends_at) (a template and its values; `str()` of
    it is English), or None when they can."""
    user, profile = facts.user, facts.profile
    if not user.is_active:
        return InvalidValue(N_("the account is deactivated"))
    if not user.has_role("specialist"):
        return InvalidValue(N_("no longer has the specialist role"))
    if profile is None:
        return InvalidValue(N_("has no specialist profile"))
    if discipline_code not in profile.discipline_codes:
        return InvalidValue(N_("the specialist profile no longer lists %(discipline)s"),
                            {"discipline": discipline_code})
    for leave in profile.leave:
        if leave.starts_at < ends_at and leave.ends_at > starts_at:
            return InvalidValue(N_("on leave from %(leave_starts_at)s to %(leave_ends_at)s"),
                                {"leave_starts_at": format_instant(leave.starts_at),
                                 "leave_ends_at": format_instant(leave.ends_at)})
    if not any(licence.is_valid_at(starts_at) for licence in profile.licences):
        return InvalidValue(N_("holds no valid licence at %(starts_at)s"),
                            {"starts_at": format_instant(starts_at)})
    return None


def is_unsocial(instant: datetime, zone: str) -> bool:
    """True when `instant` falls outside 08:00-20:00 (inclusive) on the wall clock of `zone`."""
    reading = to_local(instant, zone).time().replace(tzinfo=None)
    return reading < SOCIAL_FROM or reading > SOCIAL_UNTIL


# --- generation -----------------------------------------------------------------------------


@dataclass
class GenerationResult:
    rota: Rota
    first_handoff: datetime
    already_started: list[Period]
    shifts: list[OnCallShift]  # scheduled shifts of the generated periods, in order
    uncovered: list[dict]  # {"starts_at", "ends_at", "reasons": [{"user_id", "name", "reason"}]}
    members: list[dict]  # {"user_id", "name", "periods", "unsocial_handoffs", "fair_share"}
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0
    withdrawn_cover_requests: list[int] = field(default_factory=list)


def _straddling_conflict(straddling: list[OnCallShift], range_start: datetime, range_end: datetime) -> Conflict:
    """409: scheduled shifts cross the edge of the range to generate (at most one at each edge, as a rota's
    shifts never overlap; the first and the last are named, every one is in `shift_ids`)."""
    first, last = straddling[0], straddling[-1]
    params = {"range_starts_at": format_instant(range_start), "range_ends_at": format_instant(range_end),
              "shift_id": first.id, "shift_starts_at": format_instant(first.starts_at),
              "shift_ends_at": format_instant(first.ends_at)}
    if first is last:
        return Conflict(N_("Existing shift %(shift_id)s, from %(shift_starts_at)s to %(shift_ends_at)s, would cross "
                           "the edge of the range to generate (%(range_starts_at)s to %(range_ends_at)s). Choose a "
                           "start and length whose handoffs match it."),
                        params=params, shift_ids=[first.id])
    params.update({"other_shift_id": last.id, "other_shift_starts_at": format_instant(last.starts_at),
                   "other_shift_ends_at": format_instant(last.ends_at)})
    return Conflict(N_("Existing shifts %(shift_id)s, from %(shift_starts_at)s to %(shift_ends_at)s, and "
                       "%(other_shift_id)s, from %(other_shift_starts_at)s to %(other_shift_ends_at)s, would cross "
                       "the edges of the range to generate (%(range_starts_at)s to %(range_ends_at)s). Choose a "
                       "start and length whose handoffs match them."),
                    params=params, shift_ids=[shift.id for shift in straddling])


def _raise_sequence(shift: OnCallShift, at: datetime) -> None:
    shift.sequence = (shift.sequence or 0) + 1
    shift.updated_at = at


def generate(session: Session, rota: Rota, *, start: date | datetime, weeks: int,
             at: datetime, publish: bool = True) -> GenerationResult:
    """Generate (or regenerate) the shifts of `weeks` weeks from `start`. With `publish` False, new or
    changed shifts are drafts that members do not see until `publish(rota)`.

    Periods that have already begun at `at` are left exactly as they are. For the rest, future
    scheduled shifts in the range are replaced: a shift whose period keeps its holder is left
    untouched; one that changes holder, or comes back, has its sequence raised; one that no
    longer has a period (or whose period is now uncovered) is cancelled, and kept as a row so
    calendars see it cancelled. A shift covered through an approved cover request keeps its
    holder. Open cover requests on shifts that change or go are withdrawn.
    """
    at = ensure_utc(at)
    if not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput("weeks", N_('must be a whole number of weeks from 1 to %(max_weeks)s'),
                                    params={'max_weeks': MAX_WEEKS})
    if weeks % rota.period_weeks:
        raise InvalidInput("weeks", N_("this rota's period is two weeks, so weeks must be even"))
    _check_start_year(start)
    if not rota.members:
        raise Conflict(N_("This rota has no members; add members before generating shifts."))
    first_day = first_handoff_day(session, rota, start)
    periods = periods_from(rota, first_day, weeks // rota.period_weeks)
    started = [period for period in periods if period.starts_at <= at]
    future = [period for period in periods if period.starts_at > at]
    if not future:
        upcoming_at = handoff_at(rota, first_handoff_day(session, rota, at + timedelta(microseconds=1)))
        raise InvalidInput("start", N_("every period from this start has already begun; the next handoff is at "
                                       "%(upcoming_at)s"),
                           params={"upcoming_at": format_instant(upcoming_at)})
    range_start, range_end = future[0].starts_at, future[-1].ends_at

    overlapping = session.scalars(
        select(OnCallShift).where(OnCallShift.rota_id == rota.id,
                                  OnCallShift.starts_at < range_end, OnCallShift.ends_at > range_start)
        .order_by(OnCallShift.starts_at)).all()
    straddling = [shift for shift in overlapping if shift.status == "scheduled"
                  and (shift.starts_at < range_start or shift.ends_at > range_end)]
    if straddling:
        raise _straddling_conflict(straddling, range_start, range_end)
    rows = {shift.starts_at: shift for shift in overlapping if shift.starts_at >= range_start}
    before = session.scalar(select(OnCallShift.user_id).where(
        OnCallShift.rota_id == rota.id, OnCallShift.status == "scheduled",
        OnCallShift.ends_at == range_start))
    after = session.scalar(select(OnCallShift.user_id).where(
        OnCallShift.rota_id == rota.id, OnCallShift.status == "scheduled",
        OnCallShift.starts_at == range_end))
    recent = session.execute(
        select(OnCallShift.user_id, func.max(OnCallShift.starts_at).label("latest"))
        .where(OnCallShift.rota_id == rota.id, OnCallShift.status == "scheduled",
               OnCallShift.starts_at < range_start)
        .group_by(OnCallShift.user_id).order_by("latest")).all()
    pinned = _pinned_by_cover(session, [row for row in rows.values() if row.status == "scheduled"])

    members = member_ids(rota)
    facts = member_facts(session, set(members) | set(pinned.values()))
    slots = []
    for period in future:
        row = rows.get(period.starts_at)
        pin = pinned.get(row.id) if row is not None and row.ends_at == period.ends_at else None
        ineligible = {}
        for user_id in members:
            reason = (why_not(facts[user_id], rota.discipline_code, period.starts_at, period.ends_at)
                      if user_id in facts else InvalidValue(N_("the user no longer exists")))
            if reason is not None:
                ineligible[user_id] = reason
        unsocial = frozenset(user_id for user_id in set(members) | ({pin} if pin else set())
                             if user_id in facts and is_unsocial(period.starts_at, facts[user_id].home_zone))
        slots.append(generation.Slot(ineligible=ineligible, unsocial=unsocial, pinned=pin))
    outcome = generation.plan(members, slots, before=before, after=after,
                              recent=[user_id for user_id, _ in recent])

    result = GenerationResult(rota=rota, first_handoff=periods[0].starts_at, already_started=started,
                              shifts=[], uncovered=[], members=[])
    changed_shift_ids = []
    wanted_starts = set()
    for period, holder in zip(future, outcome.assignees):
        wanted_starts.add(period.starts_at)
        row = rows.get(period.starts_at)
        if holder is None:
            if row is not None and row.status == "scheduled":
                row.status = "cancelled"
                _raise_sequence(row, at)
                result.cancelled += 1
                changed_shift_ids.append(row.id)
            continue
        if row is None:
            row = OnCallShift(rota=rota, user_id=holder, starts_at=period.starts_at,
                              ends_at=period.ends_at, status="scheduled", sequence=0, updated_at=at,
                              published=publish)
            session.add(row)
            result.created += 1
        elif row.status == "scheduled" and row.user_id == holder and row.ends_at == period.ends_at:
            result.unchanged += 1
        else:
            if row.status == "scheduled" and row.user_id != holder:
                changed_shift_ids.append(row.id)
            row.user_id, row.ends_at, row.status = holder, period.ends_at, "scheduled"
            _raise_sequence(row, at)
            row.published = row.published and publish
            result.updated += 1
        result.shifts.append(row)
    for starts_at, row in rows.items():
        if starts_at not in wanted_starts and row.status == "scheduled":
            row.status = "cancelled"
            _raise_sequence(row, at)
            result.cancelled += 1
            changed_shift_ids.append(row.id)
    if changed_shift_ids:
        for request in session.scalars(select(CoverRequest).where(
                CoverRequest.shift_id.in_(changed_shift_ids),
                CoverRequest.status.in_(OPEN_COVER_STATES))):
            request.status, request.decided_at = "withdrawn", at
            result.withdrawn_cover_requests.append(request.id)
    session.flush()

    def name_of(user_id):
        return facts[user_id].user.name if user_id in facts else f"user {user_id}"

    for item in outcome.uncovered:
        period = future[item.index]
        result.uncovered.append({
            "starts_at": period.starts_at, "ends_at": period.ends_at,
            "reasons": [{"user_id": user_id, "name": name_of(user_id), "reason": str(reason)}
                        for user_id, reason in item.reasons.items()],
        })
    for user_id in outcome.counts:
        result.members.append({
            "user_id": user_id, "name": name_of(user_id), "periods": outcome.counts[user_id],
            "unsocial_handoffs": outcome.unsocial_counts[user_id],
            "fair_share": float(outcome.shares[user_id]),
        })
    return result


def draft_count(session: Session, rota: Rota) -> int:
    """Scheduled shifts of `rota` generated but not yet published."""
    return session.scalar(select(func.count()).select_from(OnCallShift).where(
        OnCallShift.rota_id == rota.id, OnCallShift.status == "scheduled", OnCallShift.published.is_(False)))


def publish(session: Session, rota: Rota, *, at: datetime) -> int:
    """Publish the rota's draft shifts; each member with a newly published shift is told once. Returns
    how many shifts were published."""
    at = ensure_utc(at)
    drafts = list(session.scalars(select(OnCallShift).where(
        OnCallShift.rota_id == rota.id, OnCallShift.status == "scheduled", OnCallShift.published.is_(False))
        .order_by(OnCallShift.starts_at)))
    for shift in drafts:
        shift.published, shift.updated_at = True, at
    session.flush()
    firsts: dict[int, OnCallShift] = {}
    for shift in drafts:
        firsts.setdefault(shift.user_id, shift)
    for user_id, shift in firsts.items():
        notify(session, user_id=user_id, kind="rota.published",
               dedupe_key=f"rota-published:{rota.id}:{shift.id}:user:{user_id}",
               params={"text": "rota.published", "rota": rota.name,
                       "shift_starts_at": format_instant(shift.starts_at)},
               link="/my/shifts", at=at)
    return len(drafts)


def _pinned_by_cover(session: Session, shifts) -> dict[int, int]:
    """shift id -> holder, for shifts whose current holder took them over by approved cover."""
    by_id = {shift.id: shift for shift in shifts}
    if not by_id:
        return {}
    pinned = {}
    for request in session.scalars(select(CoverRequest).where(
            CoverRequest.shift_id.in_(list(by_id)), CoverRequest.status == "approved")):
        if by_id[request.shift_id].user_id == request.covered_by_id:
            pinned[request.shift_id] = request.covered_by_id
    return pinned


# --- reading shifts and who is on call ------------------------------------------------------


def shifts_between(session: Session, rota: Rota, start: datetime, end: datetime, *,
                   include_cancelled: bool = False) -> list[OnCallShift]:
    """Shifts overlapping [start, end), in order."""
    statement = _shifts_overlapping(rota, start, end, include_cancelled).order_by(OnCallShift.starts_at)
    return list(session.scalars(statement))


def shifts_page(session: Session, rota: Rota, start: datetime, end: datetime, *, include_cancelled: bool = False,
                limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> Page:
    """A page of the shifts overlapping [start, end), in order of start."""
    return keyset_page(session, _shifts_overlapping(rota, start, end, include_cancelled),
                       columns=[OnCallShift.starts_at, OnCallShift.id], limit=limit, cursor=cursor)


def _shifts_overlapping(rota: Rota, start: datetime, end: datetime, include_cancelled: bool):
    statement = select(OnCallShift).where(OnCallShift.rota_id == rota.id, OnCallShift.starts_at < ensure_utc(end),
                                          OnCallShift.ends_at > ensure_utc(start))
    if not include_cancelled:
        statement = statement.where(OnCallShift.status == "scheduled")
    return statement


def on_call_shift(session: Session, rota_id: int, at: datetime) -> OnCallShift | None:
    """The shift in force covering `at`. Shifts are [starts_at, ends_at): exactly at a
    handoff the incoming member is on call."""
    at = ensure_utc(at)
    return session.scalar(
        select(OnCallShift).where(OnCallShift.rota_id == rota_id, OnCallShift.in_force(),
                                  OnCallShift.starts_at <= at, OnCallShift.ends_at > at)
        .order_by(OnCallShift.starts_at.desc()).limit(1))


def on_call_user_ids(session: Session, discipline_code: str, at: datetime, *,
                     board_id: int | None = None) -> list[int]:
    """Users on call at `at` for the discipline (no repeats): the rotas of `board_id` first, then
    rotas that serve no particular board; rotas of other boards are not asked."""
    at = ensure_utc(at)
    serves = Rota.board_id.is_(None) if board_id is None else or_(Rota.board_id.is_(None),
                                                                   Rota.board_id == board_id)
    user_ids = session.scalars(
        select(OnCallShift.user_id).join(Rota, Rota.id == OnCallShift.rota_id)
        .where(Rota.discipline_code == discipline_code, OnCallShift.in_force(),
               OnCallShift.starts_at <= at, OnCallShift.ends_at > at, serves)
        .order_by(Rota.board_id.is_(None), Rota.id, OnCallShift.starts_at))
    return list(dict.fromkeys(user_ids))


def why_nobody_on_call(session: Session, rota: Rota, at: datetime) -> NotFound:
    at = ensure_utc(at)
    cancelled = session.scalar(
        select(OnCallShift).where(OnCallShift.rota_id == rota.id, OnCallShift.status == "cancelled",
                                  OnCallShift.starts_at <= at, OnCallShift.ends_at > at).limit(1))
    later = session.scalar(
        select(func.min(OnCallShift.starts_at)).where(OnCallShift.rota_id == rota.id, OnCallShift.in_force(),
                                                      OnCallShift.starts_at > at))
    params = {"rota": repr(rota.name), "asked_at": format_instant(at)}
    if later is not None:
        params["next_at"] = format_instant(later)
        if cancelled is not None:
            return NotFound(N_("Nobody is on call for rota %(rota)s at %(asked_at)s: the shift for that time was cancelled "
                               "(no eligible member, or regenerated); the next scheduled shift starts at "
                               "%(next_at)s."), params=params)
        return NotFound(N_("Nobody is on call for rota %(rota)s at %(asked_at)s: no shift has been generated for that "
                           "time; the next scheduled shift starts at %(next_at)s."), params=params)
    if cancelled is not None:
        return NotFound(N_("Nobody is on call for rota %(rota)s at %(asked_at)s: the shift for that time was cancelled "
                           "(no eligible member, or regenerated)."), params=params)
    return NotFound(N_("Nobody is on call for rota %(rota)s at %(asked_at)s: no shift has been generated for that "
                       "time."), params=params)


# --- cover requests -------------------------------------------------------------------------


def get_shift(session: Session, shift_id: int, *, for_update: bool = False) -> OnCallShift:
    return get_or_not_found(session, OnCallShift, shift_id, "on-call shift", for_update=for_update)


def get_cover_request(session: Session, request_id: int, *, for_update: bool = False) -> CoverRequest:
    return get_or_not_found(session, CoverRequest, request_id, "cover request", for_update=for_update)


def open_cover_count(session: Session) -> int:
    """Cover requests still waiting for a decision, across every rota."""
    return session.scalar(select(func.count()).select_from(CoverRequest)
                          .where(CoverRequest.status.in_(OPEN_COVER_STATES)))


def cover_requests_page(session: Session, rota: Rota, *, status: str | None = None, limit: int = DEFAULT_LIMIT,
                        cursor: str | None = None) -> Page:
    """A page of `rota`'s cover requests in order of their shifts' start, with the people they name."""
    statement = (select(CoverRequest).join(OnCallShift, OnCallShift.id == CoverRequest.shift_id)
                 .where(OnCallShift.rota_id == rota.id)
                 .options(selectinload(CoverRequest.shift).selectinload(OnCallShift.user),
                          selectinload(CoverRequest.requested_by), selectinload(CoverRequest.covered_by)))
    if status is not None:
        statement = statement.where(CoverRequest.status == status)
    return keyset_page(session, statement, columns=[OnCallShift.starts_at, CoverRequest.id], limit=limit,
                       cursor=cursor, values_of=lambda cover: (cover.shift.starts_at, cover.id))


def rota_grid(session: Session, start: datetime, end: datetime, *, limit: int = 20,
              cursor: str | None = None) -> tuple[Page, dict[int, list[OnCallShift]], dict[int, list[CoverRequest]]]:
    """A page of rotas (by name), with each one's scheduled shifts overlapping [start, end) and its open
    cover requests: three queries whatever the number of rotas or shifts."""
    rotas = keyset_page(session, select(Rota), columns=[Rota.name, Rota.id], limit=limit, cursor=cursor)
    rota_ids = [rota.id for rota in rotas.rows]
    shifts: dict[int, list[OnCallShift]] = {rota_id: [] for rota_id in rota_ids}
    for shift in session.scalars(
            select(OnCallShift).options(selectinload(OnCallShift.user))
            .where(OnCallShift.rota_id.in_(rota_ids), OnCallShift.status == "scheduled",
                   OnCallShift.starts_at < ensure_utc(end), OnCallShift.ends_at > ensure_utc(start))
            .order_by(OnCallShift.starts_at)):
        shifts[shift.rota_id].append(shift)
    cover: dict[int, list[CoverRequest]] = {rota_id: [] for rota_id in rota_ids}
    for request, rota_id in session.execute(
            select(CoverRequest, OnCallShift.rota_id).join(OnCallShift, OnCallShift.id == CoverRequest.shift_id)
            .options(selectinload(CoverRequest.shift), selectinload(CoverRequest.requested_by),
                     selectinload(CoverRequest.covered_by))
            .where(OnCallShift.rota_id.in_(rota_ids), CoverRequest.status.in_(OPEN_COVER_STATES))
            .order_by(OnCallShift.starts_at, CoverRequest.id)):
        cover[rota_id].append(request)
    return rotas, shifts, cover


def allowed_actions(request: CoverRequest) -> list[str]:
    return list(COVER_ACTIONS.get(request.status, ()))


# What each refused action would have done, as the refusal says it ("... so it cannot be accepted").
_ACTION_DONE = {"accepted": N_("accepted"), "approved": N_("approved"), "rejected": N_("rejected"),
                "withdrawn": N_("withdrawn")}


def _refuse_transition(request: CoverRequest, action: str) -> None:
    allowed = allowed_actions(request)
    params = {"request_id": request.id, "cover_status": in_readers_language(label_text(request.status)),
              "action": in_readers_language(_ACTION_DONE[action]),
              "allowed": ", ".join(in_readers_language(_ACTION_NAMES[name]) for name in allowed)}
    if request.status == "open":
        message = N_("Cover request %(request_id)s is open (it is waiting for another member of the rota to "
                     "accept it), so it cannot be %(action)s. Allowed now: %(allowed)s.")
    elif request.status == "accepted":
        message = N_("Cover request %(request_id)s is accepted (a member has accepted it and it is waiting for a "
                     "coordinator), so it cannot be %(action)s. Allowed now: %(allowed)s.")
    elif allowed:
        message = N_("Cover request %(request_id)s is %(cover_status)s (it is closed), so it cannot be "
                     "%(action)s. Allowed now: %(allowed)s.")
    else:
        message = N_("Cover request %(request_id)s is %(cover_status)s (it is closed), so it cannot be "
                     "%(action)s. No further action is possible.")
    raise Conflict(message, params=params, cover_status=request.status, allowed=allowed)


# The actions a refusal offers instead, by their codes (COVER_ACTIONS).
_ACTION_NAMES = {"accept": N_("accept"), "approve": N_("approve"), "reject": N_("reject"),
                 "withdraw": N_("withdraw")}


def _require_future(shift: OnCallShift, at: datetime) -> None:
    if shift.starts_at <= at:
        raise Conflict(N_('This shift started at %(starts_at)s; cover can only be arranged for '
                          'shifts that have not started yet.'),
                       params={'starts_at': format_instant(shift.starts_at)},
                       shift_id=shift.id, starts_at=format_instant(shift.starts_at), allowed=[])


def _tell(session: Session, user: User, request: CoverRequest, event: str, text: str, at: datetime,
          **names) -> None:
    """Notify one person of a step of a cover request; the shift's times are rendered in their zone."""
    shift = request.shift
    params = {"text": f"rota.cover.{text}", "rota": shift.rota.name,
              "shift_starts_at": format_instant(shift.starts_at), "shift_ends_at": format_instant(shift.ends_at),
              **names}
    notify(session, user_id=user.id, kind=NOTIFICATION_KIND,
           dedupe_key=f"cover-{event}:{request.id}:user:{user.id}", params=params,
           link="/my/shifts", at=at)


def request_cover(session: Session, shift: OnCallShift, requester: User, *, reason: str,
                  at: datetime) -> CoverRequest:
    at = ensure_utc(at)
    if shift.user_id != requester.id:
        raise PermissionDenied(N_("Only the member on call for this shift can ask for cover for it."))
    if shift.status != "scheduled":
        raise Conflict(N_("This shift is cancelled; there is nothing to cover."), shift_id=shift.id,
                       allowed=[])
    _require_future(shift, at)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", N_("say why you need cover"))
    existing = session.scalar(select(CoverRequest).where(
        CoverRequest.shift_id == shift.id, CoverRequest.status.in_(OPEN_COVER_STATES)))
    if existing is not None:
        raise Conflict(N_('Cover for this shift is already requested (request %(existing_id)s, '
                          '%(existing_status)s).'),
                       params={'existing_id': existing.id, 'existing_status': existing.status}, cover_request_id=existing.id,
                       cover_status=existing.status, allowed=allowed_actions(existing))
    request = CoverRequest(shift=shift, requested_by_id=requester.id, status="open", reason=reason,
                           created_at=at)
    session.add(request)
    session.flush()
    rota = shift.rota
    for member in rota.members:
        if member.user_id != requester.id and member.user.is_active:
            _tell(session, member.user, request, "requested", "requested", at, requester=requester.name,
                  reason=reason)
    return request


def accept_cover(session: Session, request: CoverRequest, member: User, *, at: datetime) -> CoverRequest:
    at = ensure_utc(at)
    shift = request.shift
    rota = shift.rota
    if member.id not in member_ids(rota):
        raise PermissionDenied(N_('Only members of the rota %(rota_name)s can cover its shifts.'),
                               params={'rota_name': repr(rota.name)})
    if request.status != "open":
        _refuse_transition(request, "accepted")
    if member.id == request.requested_by_id:
        raise Conflict(N_("You asked for this cover yourself; another member of the rota has to accept "
                       "it. Allowed for you: withdraw."), cover_status=request.status,
                       allowed=["withdraw"])
    _require_future(shift, at)
    _refuse_if_ineligible(session, rota, member, shift, yourself=True)
    _refuse_if_on_call_then(session, member, shift, yourself=True)
    request.status, request.covered_by_id, request.accepted_at = "accepted", member.id, at
    session.flush()
    _tell(session, request.requested_by, request, "accepted", "accepted", at, coverer=member.name)
    return request


def _refuse_if_on_call_then(session: Session, user: User, shift: OnCallShift, yourself: bool) -> None:
    """Nobody holds two on-call shifts at once (on this rota or another); `yourself`: `user` is asking."""
    clash = session.scalar(select(OnCallShift).where(
        OnCallShift.user_id == user.id, OnCallShift.status == "scheduled", OnCallShift.id != shift.id,
        OnCallShift.starts_at < shift.ends_at, OnCallShift.ends_at > shift.starts_at).limit(1))
    if clash is not None:
        message = (N_("You are already on call then (%(rota)s, %(starts_at)s to %(ends_at)s).") if yourself
                   else N_("%(who)s is already on call then (%(rota)s, %(starts_at)s to %(ends_at)s)."))
        raise Conflict(message,
                       params={"who": user.name, "rota": clash.rota.name, "starts_at": format_instant(clash.starts_at),
                               "ends_at": format_instant(clash.ends_at)},
                       allowed=[], clashing_shift_id=clash.id)


def open_cover_for(session: Session, user: User, at: datetime) -> list[CoverRequest]:
    """Open cover requests on future shifts of the rotas `user` belongs to, that someone else asked."""
    return list(session.scalars(
        select(CoverRequest).join(OnCallShift, OnCallShift.id == CoverRequest.shift_id)
        .join(RotaMember, RotaMember.rota_id == OnCallShift.rota_id)
        .where(RotaMember.user_id == user.id, CoverRequest.status == "open",
               CoverRequest.requested_by_id != user.id, OnCallShift.starts_at > ensure_utc(at))
        .order_by(OnCallShift.starts_at).limit(50)))


def shifts_of(session: Session, user: User, start: datetime, end: datetime) -> list[OnCallShift]:
    """`user`'s published scheduled on-call shifts overlapping [start, end), in time order."""
    return list(session.scalars(
        select(OnCallShift).where(OnCallShift.user_id == user.id, OnCallShift.status == "scheduled",
                                  OnCallShift.published.is_(True),
                                  OnCallShift.starts_at < ensure_utc(end), OnCallShift.ends_at > ensure_utc(start))
        .order_by(OnCallShift.starts_at).limit(200)))


def _refuse_if_ineligible(session: Session, rota: Rota, user: User, shift: OnCallShift,
                          yourself: bool) -> None:
    """Refuses cover by `user` (the one asking when `yourself`, else the one who accepted)."""
    facts = MemberFacts(user, find_profile(session, user.id))
    reason = why_not(facts, rota.discipline_code, shift.starts_at, shift.ends_at)
    if reason is not None:
        said = in_readers_language(reason.template, reason.params)
        if yourself:
            raise Conflict(N_("You cannot cover this shift: %(reason)s."), params={"reason": said}, allowed=[])
        raise Conflict(N_("%(who)s cannot cover this shift: %(reason)s."),
                       params={"who": user.name, "reason": said}, allowed=[])
    if not works_during(facts.profile, shift.starts_at, shift.ends_at):
        params = {"who": user.name, "starts_at": format_instant(shift.starts_at),
                  "ends_at": format_instant(shift.ends_at)}
        if yourself:
            message = N_("You cannot cover this shift: none of the working hours in your specialist profile "
                         "fall between %(starts_at)s and %(ends_at)s.")
        else:
            message = N_("%(who)s cannot cover this shift: none of the working hours in the specialist "
                         "profile fall between %(starts_at)s and %(ends_at)s.")
        raise Conflict(message, params=params, allowed=[], outside_working_hours=True)


def works_during(profile: SpecialistProfile, starts_at: datetime, ends_at: datetime) -> bool:
    """True when some of the profile's working hours (weekly hours and date overrides, in its zone)
    fall within [starts_at, ends_at): on call for a whole period, one need not work all of it, but a
    volunteer who never works then (e.g. days off for the whole week) would cover it in name only."""
    from app.scheduling.availability import working_intervals
    from app.specialists.operations import engine_spec

    return bool(working_intervals(engine_spec(profile), ensure_utc(starts_at), ensure_utc(ends_at)))


def approve_cover(session: Session, request: CoverRequest, coordinator: User, *,
                  at: datetime) -> CoverRequest:
    at = ensure_utc(at)
    if request.status != "accepted":
        _refuse_transition(request, "approved")
    shift = request.shift
    _require_future(shift, at)
    if shift.status != "scheduled" or shift.user_id != request.requested_by_id:
        raise Conflict(N_("The shift has changed since cover was requested (it was regenerated or "
                       "cancelled); reject this request."), cover_status=request.status,
                       allowed=["reject"])
    coverer = request.covered_by
    _refuse_if_ineligible(session, shift.rota, coverer, shift, yourself=False)
    _refuse_if_on_call_then(session, coverer, shift, yourself=False)
    shift.user_id = coverer.id
    _raise_sequence(shift, at)
    request.status, request.decided_by_id, request.decided_at = "approved", coordinator.id, at
    session.flush()
    requester = request.requested_by
    _tell(session, requester, request, "approved", "approved.requester", at, coverer=coverer.name)
    _tell(session, coverer, request, "approved", "approved.coverer", at, requester=requester.name)
    return request


def reject_cover(session: Session, request: CoverRequest, coordinator: User, *,
                 at: datetime, reason: str | None = None) -> CoverRequest:
    """Reject; `reason` (told to the requester and the volunteer) is kept with the decision."""
    at = ensure_utc(at)
    if request.status not in OPEN_COVER_STATES:
        _refuse_transition(request, "rejected")
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > DECISION_REASON_LIMIT:
        raise InvalidInput("reason", N_("must be at most %(limit)s characters"), params={"limit": DECISION_REASON_LIMIT})
    request.decision_reason = reason
    request.status, request.decided_by_id, request.decided_at = "rejected", coordinator.id, at
    session.flush()
    for person in (request.requested_by, request.covered_by):
        if person is not None:
            _tell(session, person, request, "rejected", "rejected.reason" if reason else "rejected", at,
                  coordinator=coordinator.name, requester=request.requested_by.name,
                  **({"reason": reason} if reason else {}))
    return request


def decision_audit(request: CoverRequest) -> tuple[str, dict]:
    """The audit event's name and detail for the move just made on a cover request (its new status),
    from the page or the API alike."""
    return f"rota.cover_{request.status}", {
        "shift_id": request.shift_id, **({"reason": request.decision_reason} if request.decision_reason else {})}


def withdraw_cover(session: Session, request: CoverRequest, requester: User, *,
                   at: datetime) -> CoverRequest:
    at = ensure_utc(at)
    if requester.id != request.requested_by_id:
        raise PermissionDenied(N_("Only the member who asked for cover can withdraw the request."))
    if request.status not in OPEN_COVER_STATES:
        _refuse_transition(request, "withdrawn")
    request.status, request.decided_at = "withdrawn", at
    session.flush()
    if request.covered_by is not None:
        _tell(session, request.covered_by, request, "withdrawn", "withdrawn", at, requester=requester.name)
    return request
