"""The search for a meeting time: gather candidates from the database, ask the matching engine,
rank what it finds, and explain what it could not.

Plain Python over a session. Nothing here writes; booking a slot is a separate step.
"""
from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.errors import InvalidInput
from app.meetings.models import BOOKING_STATES, Invitation, Meeting
from app.rotas.models import OnCallShift, Rota
from app.scheduling import (MatchRequest, Requirement, SpecialistSpec, available_intervals,
                            iter_feasible_slots, parse_request, rank_slots, working_intervals)
from app.specialists.models import Discipline, SpecialistProfile
from app.specialists.operations import engine_spec
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


@dataclass
class Candidate:
    user: User
    profile: SpecialistProfile | None
    spec: SpecialistSpec          # working hours, leave, notice, bookings and caps all applied
    exclusion: str | None = None  # why this person cannot take part at all in the window
    on_call: bool = False
    is_attendee: bool = False


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
    # Only active holders of an asked discipline are loaded, with what the rules read, in one go.
    holders = (select(SpecialistProfile.user_id).join(User)
               .where(User.is_active.is_(True), SpecialistProfile.disciplines.any(Discipline.code.in_(codes)),
                      SpecialistProfile.user_id.not_in(list(criteria.attendee_ids) or [-1])))
    profiles = session.scalars(
        select(SpecialistProfile).where(SpecialistProfile.user_id.in_(holders)).order_by(SpecialistProfile.id)
        .options(selectinload(SpecialistProfile.disciplines), selectinload(SpecialistProfile.leave),
                 selectinload(SpecialistProfile.overrides), selectinload(SpecialistProfile.licences),
                 selectinload(SpecialistProfile.user))
    ).all()
    bookings = _bookings(session, start - timedelta(days=7), horizon_end + timedelta(days=7),
                         user_ids=holders.union(select(User.id).where(User.id.in_(list(criteria.attendee_ids)))))
    on_call = _on_call_during(session, codes, start, end)
    people: dict[str, Candidate] = {}
    for profile in profiles:
        candidate = _candidate(profile.user, profile, criteria, bookings.get(profile.user_id, []))
        candidate.on_call = any(profile.user_id in on_call[code] for code in profile.discipline_codes)
        people[candidate.spec.id] = candidate

    attendees = [_attendee(session, user_id, criteria, bookings.get(user_id, []))
                 for user_id in criteria.attendee_ids]
    usable = [c.spec for c in people.values() if c.exclusion is None]
    preferred = {code: tuple(str(uid) for uid in on_call[code]) for code in codes}
    request = MatchRequest(
        window_start=start, window_end=end, duration_minutes=criteria.duration_minutes,
        requirements=tuple(Requirement(r.discipline, r.count, preferred[r.discipline])
                           for r in criteria.requirements),
        specialists=tuple(usable) + tuple(a.spec for a in attendees),
        step_minutes=criteria.step_minutes, limit=criteria.limit,
        attendees=tuple(a.spec.id for a in attendees),
    )
    recent = _recent_load(session, criteria.at)
    pool = list(islice(iter_feasible_slots(request, recent_bookings=recent), RANKING_POOL))
    ranked = rank_slots(pool, request.specialists, recent, attendees=request.attendees,
                        preferred=preferred)[: criteria.limit]
    everyone = {**people, **{a.spec.id: a for a in attendees}}
    result = SearchResult(
        slots=[_describe_slot(item, everyone) for item in ranked],
        requirements=_explain_requirements(criteria, people),
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


def _on_call_during(session: Session, codes, start: datetime, end: datetime) -> dict[str, list[int]]:
    """Per discipline, who is on call at some point in the window, earliest shift first."""
    shifts = session.execute(
        select(OnCallShift.user_id, Rota.discipline_code).join(Rota)
        .where(Rota.discipline_code.in_(codes), OnCallShift.status == "scheduled",
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


def _fits(spec: SpecialistSpec, start: datetime, end: datetime, minutes: int) -> bool:
    needed = timedelta(minutes=minutes)
    return any(b - a >= needed for a, b in available_intervals(spec, start, end))


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
               bookings: list[_Booking]) -> Candidate:
    """Apply every rule to one specialist; record the first that rules them out of the window."""
    start, end, minutes = criteria.window_start, criteria.window_end, criteria.duration_minutes
    base = engine_spec(profile)  # working hours, overrides and leave
    hours_only = dataclasses.replace(base, busy=())
    notice = [(start - timedelta(days=1), criteria.at + timedelta(hours=profile.min_notice_hours))]
    # A new meeting [s, e) holds them over [s - before, e + after); it must miss every booking's busy range.
    booked = [(b.busy_from - timedelta(minutes=profile.buffer_after_minutes),
               b.busy_until + timedelta(minutes=profile.buffer_before_minutes)) for b in bookings]
    capped = _capped_periods(profile, bookings)
    stages = [
        (REASON_HOURS, hours_only),
        (REASON_LEAVE, base),
        (REASON_NOTICE, _with_busy(base, notice)),
        (REASON_BUSY, _with_busy(base, notice + booked)),
        (REASON_CAP, _with_busy(base, notice + booked + capped)),
    ]
    full = stages[-1][1]
    exclusion = None
    if criteria.licensed_in:
        if not any(l.jurisdiction == criteria.licensed_in and l.is_valid_at(criteria.at) for l in profile.licences):
            exclusion = f"{REASON_LICENCE} in {criteria.licensed_in}"
    elif not profile.valid_licence_countries(criteria.at):
        exclusion = REASON_LICENCE
    if exclusion is None and criteria.language and criteria.language not in (user.languages or []):
        exclusion = REASON_LANGUAGE
    if exclusion is None and criteria.urgent and not profile.takes_urgent:
        exclusion = REASON_URGENT
    # Each stage only adds busy time, so someone free under every rule needs one availability
    # computation; only those who are not are walked through the stages to name the first that fails.
    if exclusion is None and not _fits(full, start, end, minutes):
        for reason, spec in stages:
            if not _fits(spec, start, end, minutes):
                exclusion = reason
                break
    return Candidate(user=user, profile=profile, spec=full, exclusion=exclusion)


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


def _explain_requirements(criteria: SearchCriteria, people: dict[str, Candidate]) -> list[dict]:
    explained = []
    for requirement in criteria.requirements:
        holders = [c for c in people.values() if requirement.discipline in c.spec.disciplines]
        excluded = [c for c in holders if c.exclusion]
        explained.append({
            "discipline": requirement.discipline,
            "count": requirement.count,
            "candidates": len(holders),
            "available": len(holders) - len(excluded),
            "excluded": dict(Counter(c.exclusion for c in excluded)),
            "excluded_people": [{"user_id": c.user.id, "name": c.user.name, "reason": c.exclusion}
                                for c in sorted(excluded, key=lambda c: c.user.name)[:EXPLAINED_PEOPLE]],
        })
    return explained


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
