"""The search for a meeting time: gather candidates from the database, ask the matching engine,
rank what it finds, and explain what it could not.

Plain Python over a session. Nothing here writes; booking a slot is a separate step.
"""
from __future__ import annotations

import dataclasses
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice

from sqlalchemy import Text, case, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.boards.models import Board, BoardMember
from app.errors import InvalidInput, fill
from app.meetings.models import BOOKING_STATES, Invitation, Meeting
from app.rotas.models import OnCallShift, Rota
from app.scheduling import (MatchRequest, Requirement, SpecialistSpec, available_intervals,
                            iter_feasible_slots, parse_request, rank_slots, working_intervals)
from app.specialists.models import (DateOverride, Discipline, Leave, Licence, SpecialistProfile,
                                     licence_valid_at, specialist_disciplines)
from app.specialists.operations import engine_spec
from app.scheduling.availability import available_seconds, busy_seconds, subtract, working_seconds
from app.scheduling.zones import to_epoch_seconds, to_epoch_seconds_ceil
from app.timekeeping import ensure_utc, local_midnight, to_local
from app.vocabulary import N_

# People without a specialist profile (e.g. a referring clinician) are taken to work these hours.
DEFAULT_ATTENDEE_HOURS = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
# How far past the window to look for "the earliest feasible slot after the window".
LOOK_AHEAD = timedelta(days=28)
# How many feasible slots to rank before cutting to the limit.
RANKING_POOL = 400
RECENT_LOAD_PERIOD = timedelta(days=30)
# How many of the people ruled out an explanation names per discipline (the counts are always whole).
EXPLAINED_PEOPLE = 20

REASON_LICENCE = "no valid licence"
REASON_LANGUAGE = "no shared language"
REASON_URGENT = "does not take urgent requests"
REASON_HOURS = "outside working hours"
REASON_LEAVE = "on leave"
REASON_NOTICE = "needs more notice"
REASON_BUSY = "busy"
REASON_CAP = "over their meeting cap"
WINDOW_REASONS = (REASON_HOURS, REASON_LEAVE, REASON_NOTICE, REASON_BUSY, REASON_CAP)
# The reasons are stable values (the API returns them as they are); a page puts them into words.
_REASON_WORDING = {
    REASON_LICENCE: N_("no valid licence"),
    REASON_LANGUAGE: N_("no shared language"),
    REASON_URGENT: N_("does not take urgent requests"),
    REASON_HOURS: N_("outside working hours"),
    REASON_LEAVE: N_("on leave"),
    REASON_NOTICE: N_("needs more notice"),
    REASON_BUSY: N_("busy"),
    REASON_CAP: N_("over their meeting cap"),
}
_LICENCE_IN = f"{REASON_LICENCE} in "


def licence_reason(country: str | None) -> str:
    """Why someone was ruled out for want of a licence (in `country`, when one was asked for)."""
    return f"{_LICENCE_IN}{country}" if country else REASON_LICENCE


def reason_wording(reason: str) -> tuple[str, dict]:
    """A reason for ruling someone out as a translatable template and its values: for a licence in a
    country, `{"country": code}`."""
    if reason.startswith(_LICENCE_IN):
        return N_("no valid licence in %(country)s"), {"country": reason[len(_LICENCE_IN):]}
    return _REASON_WORDING.get(reason, reason), {}


def reason_text(reason: str, gettext, country_name=lambda code: code) -> str:
    """A reason for ruling someone out in the language of `gettext` (the reader's), a licence's country
    as `country_name` names it."""
    template, values = reason_wording(reason)
    if "country" in values:
        values = {"country": country_name(values["country"])}
    return fill(gettext(template), values)


def reasons_given(requirements: list[dict], attendees: list[dict]) -> set[str]:
    """Every reason an explanation gives: counted or named per discipline, or for an attendee."""
    given = {reason for requirement in requirements for reason in requirement["excluded"]}
    given.update(person["reason"] for requirement in requirements for person in requirement["excluded_people"])
    given.update(attendee["reason"] for attendee in attendees if attendee["reason"])
    return given


def licence_country_for_case(case) -> str | None:
    """Where a seat on a meeting for `case` must be licensed: its referring site's country (booking's
    rule for a seat on an agenda listing the case, `booking.book_meeting`)."""
    return case.organization.country if case.organization is not None else None


@dataclass(frozen=True)
class SeatRequirement:
    discipline: str
    count: int = 1


@dataclass(frozen=True)
class SearchCriteria:
    requirements: tuple[SeatRequirement, ...]
    duration_minutes: int
    window_start: datetime
    window_end: datetime
    at: datetime  # "now": licence validity and minimum notice are judged at this instant
    step_minutes: int = 15
    limit: int = 10
    attendee_ids: tuple[int, ...] = ()
    licensed_in: str | None = None
    language: str | None = None
    urgent: bool = False
    board_id: int | None = None  # its core members, then its deputies, are asked before anyone else


@dataclass
class Candidate:
    user: User
    profile: SpecialistProfile | None
    spec: SpecialistSpec          # working hours, leave, notice, bookings and caps all applied
    exclusion: str | None = None  # why this person cannot take part at all in the window
    available: list | None = None  # UTC-second intervals free under every rule in the window, computed once
    on_call: bool = False
    board_role: str | None = None  # "core" or "deputy" on the criteria's board
    is_attendee: bool = False

    @property
    def chosen_because(self) -> list[str]:
        """Why the search asked this person before others: on call, then the board's core, then deputies."""
        return (["on_call"] if self.on_call else []) + ([self.board_role] if self.board_role else [])


@dataclass
class SearchResult:
    slots: list[dict]
    requirements: list[dict]
    attendees: list[dict]
    earliest_after_window: dict | None = None
    people: dict[str, Candidate] = field(default_factory=dict)


def search_meeting_times(session: Session, criteria: SearchCriteria) -> SearchResult:
    _check(session, criteria)
    start, end = criteria.window_start, criteria.window_end
    horizon_end = end + LOOK_AHEAD
    codes = [requirement.discipline for requirement in criteria.requirements]
    # Only active holders of an asked discipline are loaded, as plain rows with what the rules read.
    # The fixed rules (licence, language, urgency) are judged in SQL first: only those who may pass are
    # read, and those who may not are counted by reason for the explanation (`_ruled_out_in_sql`).
    fixed_reason = _fixed_rule_reason(criteria)
    all_holders = (select(SpecialistProfile.user_id).join(User)
                   .where(User.is_active.is_(True), SpecialistProfile.disciplines.any(Discipline.code.in_(codes)),
                          SpecialistProfile.user_id.not_in(list(criteria.attendee_ids) or [-1])))
    holders = all_holders.where(fixed_reason.is_(None))
    ruled_out = _ruled_out_in_sql(session, all_holders, fixed_reason, codes)
    profiles = load_rules(session, holders, codes, start - timedelta(days=2), horizon_end + timedelta(days=2))
    bookings = _bookings(session, start - timedelta(days=7), horizon_end + timedelta(days=7),
                         user_ids=holders.union(select(User.id).where(User.id.in_(list(criteria.attendee_ids)))))
    on_call = _on_call_during(session, codes, start, end)
    board_roles = _board_seat_members(session, criteria.board_id, codes)
    people: dict[str, Candidate] = {}
    shared_hours: dict = {}
    for profile in profiles:
        candidate = _candidate(profile.person, profile, criteria, bookings.get(profile.user_id, []), shared_hours)
        candidate.on_call = any(profile.user_id in on_call[code] for code in profile.discipline_codes)
        roles = [role for code in profile.discipline_codes for role, ids in board_roles[code].items()
                 if profile.user_id in ids]
        candidate.board_role = "core" if "core" in roles else ("deputy" if roles else None)
        people[candidate.spec.id] = candidate

    attendees = [_attendee(session, user_id, criteria, bookings.get(user_id, []))
                 for user_id in criteria.attendee_ids]
    usable = [c.spec for c in people.values() if c.exclusion is None]
    # Seats go first to whoever is on call, then to the board's core members, then to its deputies;
    # everyone else after them, least booked first (the engine's order, so no re-filling is needed).
    preferred = {code: tuple(dict.fromkeys(str(uid) for uid in on_call[code] + board_roles[code]["core"]
                                           + board_roles[code]["deputy"]))
                 for code in codes}
    request = MatchRequest(
        window_start=start, window_end=end, duration_minutes=criteria.duration_minutes,
        requirements=tuple(Requirement(r.discipline, r.count, preferred[r.discipline])
                           for r in criteria.requirements),
        specialists=tuple(usable) + tuple(a.spec for a in attendees),
        step_minutes=criteria.step_minutes, limit=criteria.limit,
        attendees=tuple(a.spec.id for a in attendees),
    )
    recent = _recent_load(session, criteria.at)
    known = {c.spec.id: c.available for c in people.values() if c.exclusion is None and c.available is not None}
    pool = list(islice(iter_feasible_slots(request, recent_bookings=recent, available=known), RANKING_POOL))
    # The engine's assignments already follow `preferred` and then the least booked, so the
    # ranking only orders slots; the best `limit` are then shown in time order.
    ranked = rank_slots(pool, request.specialists, recent, attendees=request.attendees,
                        rebalance=False)[: criteria.limit]
    ranked.sort(key=lambda item: item.slot.start)
    everyone = {**people, **{a.spec.id: a for a in attendees}}
    result = SearchResult(
        slots=[_describe_slot(item, everyone) for item in ranked],
        requirements=_explain_requirements(criteria, people, ruled_out),
        attendees=[{"user_id": a.user.id, "name": a.user.name, "available": a.exclusion is None,
                    "reason": a.exclusion} for a in attendees],
        people=everyone,
    )
    if len(ranked) < criteria.limit:
        # Everyone who met the fixed rules may be free later, even if not inside the window.
        eligible = [c.spec for c in people.values() if c.exclusion is None or c.exclusion in WINDOW_REASONS]
        later = dataclasses.replace(request, window_start=end, window_end=horizon_end, limit=1,
                                    specialists=tuple(eligible) + tuple(a.spec for a in attendees))
        first = next(iter_feasible_slots(later, recent_bookings=recent), None)
        if first is not None:
            result.earliest_after_window = {"start": first.start, "end": first.end}
    return result


def _check(session: Session, criteria: SearchCriteria) -> None:
    start, end = ensure_utc(criteria.window_start), ensure_utc(criteria.window_end)
    if end <= start:
        raise InvalidInput("window_end", N_("must be after window_start"))
    if end - start > timedelta(days=62):
        raise InvalidInput("window_end", N_("the window may span at most 62 days"))
    if end - start < timedelta(minutes=criteria.duration_minutes):
        raise InvalidInput("duration_minutes", N_("is longer than the window"))
    if criteria.board_id is not None and session.get(Board, criteria.board_id) is None:
        raise InvalidInput("board_id", N_('no board has id %(board_id)s'), params={'board_id': criteria.board_id})
    known = set(session.scalars(select(Discipline.code)))
    seen = set()
    for index, requirement in enumerate(criteria.requirements):
        if requirement.discipline not in known:
            raise InvalidInput(f"requirements[{index}].discipline",
                               N_('%(discipline)s is not a known discipline'),
                               params={'discipline': repr(requirement.discipline)})
        if requirement.discipline in seen:
            raise InvalidInput(f"requirements[{index}].discipline", N_("is listed twice; raise its count instead"))
        seen.add(requirement.discipline)


@dataclass
class _Booking:
    busy_from: datetime
    busy_until: datetime
    starts_at: datetime


def _board_seat_members(session: Session, board_id: int | None, codes) -> dict[str, dict[str, list[int]]]:
    """Per discipline, the board's core members and deputies (each in the order they were added)."""
    members: dict[str, dict[str, list[int]]] = {code: {"core": [], "deputy": []} for code in codes}
    if board_id is None:
        return members
    rows = session.execute(
        select(BoardMember.user_id, BoardMember.role, BoardMember.discipline_code)
        .where(BoardMember.board_id == board_id, BoardMember.role.in_(("core", "deputy")),
               BoardMember.discipline_code.in_(codes)).order_by(BoardMember.id)).all()
    for user_id, role, code in rows:
        members[code][role].append(user_id)
    return members


def _on_call_during(session: Session, codes, start: datetime, end: datetime) -> dict[str, list[int]]:
    """Per discipline, who is on call at some point in the window, earliest shift first."""
    shifts = session.execute(
        select(OnCallShift.user_id, Rota.discipline_code).join(Rota)
        .where(Rota.discipline_code.in_(codes), OnCallShift.in_force(),
               OnCallShift.starts_at < end, OnCallShift.ends_at > start)
        .order_by(OnCallShift.starts_at)
    ).all()
    on_call: dict[str, list[int]] = defaultdict(list)
    for user_id, code in shifts:
        if user_id not in on_call[code]:
            on_call[code].append(user_id)
    return on_call


def _bookings(session: Session, start: datetime, end: datetime, *, user_ids=None) -> dict[int, list[_Booking]]:
    """Bookings overlapping [start, end) per person (of `user_ids`, a list or a subquery, when given)."""
    statement = (select(Invitation.user_id, Invitation.busy_from, Invitation.busy_until, Meeting.starts_at)
                 .join(Meeting)
                 .where(Invitation.status.in_(BOOKING_STATES), Meeting.status != "cancelled",
                        Invitation.busy_until > start, Invitation.busy_from < end))
    if user_ids is not None:
        statement = statement.where(Invitation.user_id.in_(user_ids))
    rows = session.execute(statement).all()
    by_user: dict[int, list[_Booking]] = defaultdict(list)
    for user_id, busy_from, busy_until, starts_at in rows:
        by_user[user_id].append(_Booking(busy_from, busy_until, starts_at))
    return by_user


def _recent_load(session: Session, at: datetime) -> dict[str, int]:
    """Meetings per person over the last and next RECENT_LOAD_PERIOD: the load to spread (counted in SQL)."""
    start, end = at - RECENT_LOAD_PERIOD, at + RECENT_LOAD_PERIOD
    rows = session.execute(
        select(Invitation.user_id, func.count()).join(Meeting)
        .where(Invitation.status.in_(BOOKING_STATES), Meeting.status != "cancelled",
               Invitation.busy_until > start, Invitation.busy_from < end)
        .group_by(Invitation.user_id)).all()
    return {str(user_id): count for user_id, count in rows}


def _free_seconds(spec: SpecialistSpec, start: datetime, end: datetime,
                  shared_hours: dict | None = None) -> list[list[int]]:
    """Available UTC-second intervals of `spec` within [start, end) (the engine's own measure).

    `shared_hours` keeps working intervals for the request: specialists whose rules were parsed
    from the same text share one rules object (`engine_spec`), so their hours are expanded once."""
    low, high = to_epoch_seconds(start), to_epoch_seconds_ceil(end)
    if shared_hours is None:
        return available_seconds(spec, low, high)
    key = (spec.timezone, id(spec.weekly_hours), id(spec.date_overrides))
    working = shared_hours.get(key)
    if working is None:
        working = shared_hours[key] = (spec, working_seconds(spec, low, high))  # spec keeps the ids alive
    return subtract(working[1], busy_seconds(spec))


def _fits(spec: SpecialistSpec, start: datetime, end: datetime, minutes: int,
          free: list[list[int]] | None = None) -> bool:
    needed = minutes * 60
    return any(b - a >= needed for a, b in (free if free is not None else _free_seconds(spec, start, end)))


def _with_busy(spec: SpecialistSpec, extra) -> SpecialistSpec:
    return dataclasses.replace(spec, busy=tuple(spec.busy) + tuple(extra))


def _capped_periods(profile: SpecialistProfile, bookings: list[_Booking]) -> list[tuple[datetime, datetime]]:
    """Local days and weeks already holding as many meetings as the specialist allows."""
    zone = profile.home_timezone
    per_day: Counter[date] = Counter()
    per_week: Counter[date] = Counter()
    for booking in bookings:
        local_day = to_local(booking.starts_at, zone).date()
        per_day[local_day] += 1
        per_week[local_day - timedelta(days=local_day.weekday())] += 1
    periods = []
    for day, count in per_day.items():
        if count >= profile.max_meetings_per_day:
            periods.append((local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)))
    for monday, count in per_week.items():
        if count >= profile.max_meetings_per_week:
            periods.append((local_midnight(monday, zone), local_midnight(monday + timedelta(days=7), zone)))
    return periods


def _candidate(user: User, profile: SpecialistProfile, criteria: SearchCriteria,
               bookings: list[_Booking], shared_hours: dict | None = None) -> Candidate:
    """Apply every rule to one specialist; record the first that rules them out of the window."""
    start, end, minutes = criteria.window_start, criteria.window_end, criteria.duration_minutes
    base = engine_spec(profile)  # working hours, overrides and leave
    notice = [(start - timedelta(days=1), criteria.at + timedelta(hours=profile.min_notice_hours))]
    # A new meeting [s, e) holds them over [s - before, e + after); it must miss every booking's busy range.
    booked = [(b.busy_from - timedelta(minutes=profile.buffer_after_minutes),
               b.busy_until + timedelta(minutes=profile.buffer_before_minutes)) for b in bookings]
    capped = _capped_periods(profile, bookings) if bookings else []
    full = _with_busy(base, notice + booked + capped)
    exclusion = None
    if criteria.licensed_in:
        if not any(l.jurisdiction == criteria.licensed_in and l.is_valid_at(criteria.at) for l in profile.licences):
            exclusion = licence_reason(criteria.licensed_in)
    elif not profile.valid_licence_countries(criteria.at):
        exclusion = REASON_LICENCE
    if exclusion is None and criteria.language and criteria.language not in (user.languages or []):
        exclusion = REASON_LANGUAGE
    if exclusion is None and criteria.urgent and not profile.takes_urgent:
        exclusion = REASON_URGENT
    # Each stage only adds busy time, so someone free under every rule needs one availability
    # computation; only those who are not are walked through the stages to name the first that fails.
    free = None
    if exclusion is None:
        free = _free_seconds(full, start, end, shared_hours)
        if not _fits(full, start, end, minutes, free):
            stages = [
                (REASON_HOURS, dataclasses.replace(base, busy=())),
                (REASON_LEAVE, base),
                (REASON_NOTICE, _with_busy(base, notice)),
                (REASON_BUSY, _with_busy(base, notice + booked)),
                (REASON_CAP, full),
            ]
            for reason, spec in stages:
                if not _fits(spec, start, end, minutes):
                    exclusion = reason
                    break
    return Candidate(user=user, profile=profile, spec=full, exclusion=exclusion, available=free)


def _attendee(session: Session, user_id: int, criteria: SearchCriteria,
              bookings: list[_Booking]) -> Candidate:
    index = criteria.attendee_ids.index(user_id)
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise InvalidInput(f"attendees[{index}]", N_('no active user has id %(user_id)s'),
                                                  params={'user_id': user_id})
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == user_id))
    if profile is not None:
        candidate = _candidate(user, profile, dataclasses.replace(criteria, licensed_in=None, language=None,
                                                                  urgent=False), bookings)
        if candidate.exclusion == REASON_LICENCE:  # attendees take part without a seat; no licence needed
            candidate.exclusion = None
        candidate.is_attendee = True
        return candidate
    hours = parse_request({
        "window_start": "2000-01-01T00:00:00Z", "window_end": "2000-01-02T00:00:00Z", "duration_minutes": 1,
        "requirements": [], "specialists": [{"id": str(user_id), "timezone": user.timezone, "disciplines": [],
                                             "weekly_hours": DEFAULT_ATTENDEE_HOURS}],
    }).specialists[0]
    spec = _with_busy(hours, [(b.busy_from, b.busy_until) for b in bookings])
    exclusion = None
    if not _fits(dataclasses.replace(spec, busy=()), criteria.window_start, criteria.window_end,
                 criteria.duration_minutes):
        exclusion = REASON_HOURS
    elif not _fits(spec, criteria.window_start, criteria.window_end, criteria.duration_minutes):
        exclusion = REASON_BUSY
    return Candidate(user=user, profile=None, spec=spec, exclusion=exclusion, is_attendee=True)


def _explain_requirements(criteria: SearchCriteria, people: dict[str, Candidate],
                          ruled_out: dict[str, tuple[Counter, list[dict]]] | None = None) -> list[dict]:
    explained = []
    for requirement in criteria.requirements:
        holders = [c for c in people.values() if requirement.discipline in c.spec.disciplines]
        excluded = [c for c in holders if c.exclusion]
        in_sql, named_in_sql = (ruled_out or {}).get(requirement.discipline, (Counter(), []))
        named = [{"user_id": c.user.id, "name": c.user.name, "reason": c.exclusion} for c in excluded] + named_in_sql
        explained.append({
            "discipline": requirement.discipline,
            "count": requirement.count,
            "candidates": len(holders) + sum(in_sql.values()),
            "available": len(holders) - len(excluded),
            "excluded": dict(Counter(c.exclusion for c in excluded) + in_sql),
            "excluded_people": sorted(named, key=lambda person: person["name"])[:EXPLAINED_PEOPLE],
        })
    return explained


def _fixed_rule_reason(criteria: SearchCriteria):
    """A SQL expression over a specialist profile (and its user): the first fixed rule that rules them
    out (licence, then language, then urgency), or NULL. It only errs towards NULL (an expiry within a
    day of `at` is left to `Licence.is_valid_at`), so Python still checks whoever it lets through."""
    P = SpecialistProfile
    licence = select(Licence.id).where(Licence.profile_id == P.id, Licence.verified_at.is_not(None),
                                       Licence.expires_on >= (ensure_utc(criteria.at) - timedelta(days=1)).date())
    if criteria.licensed_in:
        licence = licence.where(Licence.jurisdiction == criteria.licensed_in)
    whens = [(~licence.exists(), licence_reason(criteria.licensed_in))]
    if criteria.language:
        # Stored as a JSON list of two-letter codes: the code in quotes is in the text exactly when listed.
        spoken = cast(User.languages, Text).like(f'%"{criteria.language}"%')
        whens.append((or_(User.languages.is_(None), ~spoken), REASON_LANGUAGE))
    if criteria.urgent:
        whens.append((P.takes_urgent.is_not(True), REASON_URGENT))
    return case(*whens, else_=None)


def _ruled_out_in_sql(session: Session, user_ids, reason, codes) -> dict[str, tuple[Counter, list[dict]]]:
    """Per asked discipline: how many holders the fixed rules rule out, by reason, and the first
    EXPLAINED_PEOPLE of them by name (two queries, whatever the head count)."""
    code = specialist_disciplines.c.discipline_code
    base = (select(code, reason.label("reason"), User.id, User.name)
            .select_from(SpecialistProfile).join(User, User.id == SpecialistProfile.user_id)
            .join(specialist_disciplines, specialist_disciplines.c.profile_id == SpecialistProfile.id)
            .where(SpecialistProfile.user_id.in_(user_ids), code.in_(codes), reason.is_not(None)))
    counted = base.subquery()
    found: dict[str, tuple[Counter, list[dict]]] = {c: (Counter(), []) for c in codes}
    for discipline, why, count in session.execute(
            select(counted.c.discipline_code, counted.c.reason, func.count())
            .group_by(counted.c.discipline_code, counted.c.reason)):
        found[discipline][0][why] = count
    if any(counts for counts, _ in found.values()):
        ranked = base.add_columns(func.row_number().over(partition_by=code, order_by=(User.name, User.id))
                                  .label("place")).subquery()
        for discipline, why, user_id, name, _ in session.execute(
                select(ranked).where(ranked.c.place <= EXPLAINED_PEOPLE)
                .order_by(ranked.c.discipline_code, ranked.c.place)):
            found[discipline][1].append({"user_id": user_id, "name": name, "reason": why})
    return found


def _describe_slot(ranked, everyone: dict[str, Candidate]) -> dict:
    slot = ranked.slot
    participants = []
    seats = [(person, code) for code, ids in slot.assignment.items() for person in ids]
    attendees = [(person, None) for person, candidate in everyone.items() if candidate.is_attendee]
    for person, code in seats + attendees:
        candidate = everyone[person]
        local_start = to_local(slot.start, candidate.spec.timezone)
        within = any(a <= slot.start and slot.end <= b
                     for a, b in working_intervals(candidate.spec, slot.start, slot.end))
        participants.append({
            "user_id": candidate.user.id, "name": candidate.user.name,
            "role": "seat" if code else "attendee", "discipline": code,
            "timezone": candidate.spec.timezone,
            "local_start": local_start.isoformat(),
            "local_end": to_local(slot.end, candidate.spec.timezone).isoformat(),
            "local_weekday": local_start.strftime("%A"),
            "within_working_hours": within,
            "on_call": candidate.on_call,
            "board_role": candidate.board_role,
            "chosen_because": candidate.chosen_because,
        })
    return {"start": slot.start, "end": slot.end, "score": round(ranked.score, 4),
            "assignment": {code: [int(i) for i in ids] for code, ids in slot.assignment.items()},
            "participants": participants}



def eligible_for_seat(session: Session, discipline: str, starts_at: datetime, ends_at: datetime, *,
                      at: datetime, exclude_user_ids=()) -> list[int]:
    """Specialists who could take a `discipline` seat at a fixed time, least loaded first.

    The same rules as the search: a valid licence, working hours, leave, notice, bookings with
    buffers and caps. Used when filling a meeting's seats after the on-call, core and deputies.
    """
    minutes = int((ends_at - starts_at).total_seconds() // 60)
    criteria = SearchCriteria(requirements=(SeatRequirement(discipline),), duration_minutes=minutes,
                              window_start=starts_at, window_end=ends_at, at=at)
    bookings = _bookings(session, starts_at - timedelta(days=7), ends_at + timedelta(days=7))
    profiles = session.scalars(
        select(SpecialistProfile).join(User).join(SpecialistProfile.disciplines)
        .where(User.is_active.is_(True), Discipline.code == discipline,
               SpecialistProfile.user_id.not_in(list(exclude_user_ids) or [-1]))
        .options(selectinload(SpecialistProfile.leave), selectinload(SpecialistProfile.overrides),
                 selectinload(SpecialistProfile.licences), selectinload(SpecialistProfile.user))
    ).all()
    load = _recent_load(session, at)
    eligible = [profile.user_id for profile in profiles
                if _candidate(profile.user, profile, criteria, bookings.get(profile.user_id, [])).exclusion is None]
    return sorted(eligible, key=lambda user_id: (load.get(str(user_id), 0), user_id))


def free_time(session: Session, profile: SpecialistProfile, start: datetime, end: datetime, *,
              at: datetime) -> list[tuple[datetime, datetime]]:
    """When `profile`'s specialist could take a new meeting inside [start, end), by the same rules
    as the search: working hours and overrides, leave, minimum notice, bookings widened by the
    buffers, and days or weeks already at their meeting cap. Licences and languages decide who may
    sit a seat, not when, so they are not applied here."""
    start, end = ensure_utc(start), ensure_utc(end)
    criteria = SearchCriteria(requirements=(), duration_minutes=1, window_start=start, window_end=end, at=at)
    bookings = _bookings(session, start - timedelta(days=7), end + timedelta(days=7), user_ids=[profile.user_id])
    candidate = _candidate(profile.user, profile, criteria, bookings.get(profile.user_id, []))
    return list(available_intervals(candidate.spec, start, end))


# A meeting booked for one case: long enough to present and discuss it.
CASE_MEETING_MINUTES = 30
# How far ahead a case without a target date is searched.
CASE_SEARCH_DAYS = 7


@dataclass(frozen=True)
class CaseSearch:
    """What a search for one case asks, read from the case and its board (the page pre-fills it)."""

    requirements: tuple[SeatRequirement, ...]
    duration_minutes: int
    first_day: date
    last_day: date
    urgent: bool
    language: str | None
    licensed_in: str | None
    board_id: int | None


def search_for_case(session: Session, case, *, zone: str, at: datetime) -> CaseSearch:
    """The case's disciplines (with the board's seat counts where its quorum asks more than one),
    its urgency and language, a licence in the referring site's country, a meeting long enough for
    one case (at least the board's time per case), and the days from tomorrow to its target date
    (local days in `zone`)."""
    board = session.get(Board, case.board_id) if case.board_id else None
    quorum = {q.discipline_code: q.count for q in board.quorum} if board is not None else {}
    requirements = tuple(SeatRequirement(d.code, quorum.get(d.code, 1)) for d in case.disciplines)
    per_case = board.minutes_per_case if board is not None else 0
    minutes = max(CASE_MEETING_MINUTES, -(-per_case // 15) * 15)
    today = to_local(at, zone).date()
    first_day = today + timedelta(days=1)
    last_day = to_local(case.target_at, zone).date() if case.target_at else today + timedelta(days=CASE_SEARCH_DAYS)
    last_day = min(max(last_day, first_day + timedelta(days=1)), first_day + timedelta(days=61))
    country = licence_country_for_case(case)
    return CaseSearch(requirements=requirements, duration_minutes=minutes, first_day=first_day,
                      last_day=last_day, urgent=case.urgency == "urgent", language=case.language,
                      licensed_in=country, board_id=board.id if board is not None else None)


# --- specialists' rules as plain rows ---------------------------------------------------------------
# A search reads thousands of profiles; building ORM objects with five relations for each costs more
# than all the matching, so the search reads the columns it needs into these instead.


@dataclass(frozen=True, slots=True)
class _Person:
    id: int
    name: str
    languages_json: str

    @property
    def languages(self) -> list[str]:
        return json.loads(self.languages_json)


@dataclass(frozen=True, slots=True)
class _LeaveRow:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class _OverrideRow:
    local_date: date
    ranges: list


@dataclass(frozen=True, slots=True)
class _LicenceRow:
    jurisdiction: str
    expires_on: date
    verified: bool
    zone: str

    def is_valid_at(self, at: datetime) -> bool:
        return licence_valid_at(verified=self.verified, expires_on=self.expires_on, zone=self.zone, at=at)


@dataclass(slots=True)
class ProfileRules:
    """What the search's rules read of a specialist profile (the same names as `SpecialistProfile`)."""

    user_id: int
    person: _Person
    home_timezone: str
    weekly_hours_json: str  # as stored: parsed once per distinct text (see `engine_spec`)
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_hours: int
    max_meetings_per_day: int
    max_meetings_per_week: int
    takes_urgent: bool
    discipline_codes: list = field(default_factory=list)
    leave: list = field(default_factory=list)
    overrides: list = field(default_factory=list)
    licences: list = field(default_factory=list)

    def valid_licence_countries(self, at: datetime) -> set[str]:
        return {licence.jurisdiction for licence in self.licences if licence.is_valid_at(at)}


def load_rules(session: Session, user_ids, codes, span_start: datetime, span_end: datetime) -> list[ProfileRules]:
    """The rules of the profiles of `user_ids` (a subquery), in five flat queries: leave and date
    overrides only where they touch [span_start, span_end), disciplines only among `codes`."""
    P = SpecialistProfile
    rows = session.execute(
        select(P.id, P.user_id, User.name, cast(User.languages, Text), P.home_timezone, cast(P.weekly_hours, Text),
               P.buffer_before_minutes, P.buffer_after_minutes, P.min_notice_hours, P.max_meetings_per_day,
               P.max_meetings_per_week, P.takes_urgent)
        .join(User, User.id == P.user_id).where(P.user_id.in_(user_ids)).order_by(P.id)).all()
    by_profile: dict[int, ProfileRules] = {}
    for (profile_id, user_id, name, languages, zone, weekly, before, after, notice, per_day, per_week,
         urgent) in rows:
        by_profile[profile_id] = ProfileRules(
            user_id=user_id, person=_Person(user_id, name, languages or "[]"), home_timezone=zone,
            weekly_hours_json=weekly or "{}", buffer_before_minutes=before or 0, buffer_after_minutes=after or 0,
            min_notice_hours=notice or 0, max_meetings_per_day=per_day, max_meetings_per_week=per_week,
            takes_urgent=bool(urgent))
    profile_ids = select(P.id).where(P.user_id.in_(user_ids))
    for profile_id, code in session.execute(
            select(specialist_disciplines.c.profile_id, specialist_disciplines.c.discipline_code)
            .where(specialist_disciplines.c.profile_id.in_(profile_ids),
                   specialist_disciplines.c.discipline_code.in_(codes))
            .order_by(specialist_disciplines.c.discipline_code)):
        by_profile[profile_id].discipline_codes.append(code)
    for profile_id, starts_at, ends_at in session.execute(
            select(Leave.profile_id, Leave.starts_at, Leave.ends_at)
            .where(Leave.profile_id.in_(profile_ids), Leave.ends_at > span_start, Leave.starts_at < span_end)):
        by_profile[profile_id].leave.append(_LeaveRow(starts_at, ends_at))
    for profile_id, local_date, ranges in session.execute(
            select(DateOverride.profile_id, DateOverride.local_date, DateOverride.ranges)
            .where(DateOverride.profile_id.in_(profile_ids),
                   DateOverride.local_date >= (span_start - timedelta(days=1)).date(),
                   DateOverride.local_date <= (span_end + timedelta(days=1)).date())
            .order_by(DateOverride.local_date)):
        by_profile[profile_id].overrides.append(_OverrideRow(local_date, ranges))
    for profile_id, jurisdiction, expires_on, verified_at in session.execute(
            select(Licence.profile_id, Licence.jurisdiction, Licence.expires_on, Licence.verified_at)
            .where(Licence.profile_id.in_(profile_ids)).order_by(Licence.jurisdiction)):
        rules = by_profile[profile_id]
        rules.licences.append(_LicenceRow(jurisdiction, expires_on, verified_at is not None, rules.home_timezone))
    return list(by_profile.values())
