"""Schedule (one per specialist) and Slot: free time as the matching engine sees it (working hours,
date overrides, leave, notice, bookings with buffers, meeting caps), and busy time for bookings.

Free Slots are the free stretches inside the searched window, so a meeting of any length fits in a
free Slot exactly when `POST /api/v1/scheduling/search` would seat that specialist there. Slot ids
name what they are (`{user}-{start}-{end}` for free time, `busy-{invitation}` for a booking), so a
read checks the time is still free or still booked.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import NotFound
from app.fhir.codes import DISCIPLINE_SYSTEM, EXT_TIMEZONE
from app.fhir.common import build, discipline_concept, holds_a_discipline, instant, reader_language, reference
from app.fhir.context import Context
from app.fhir.errors import FhirError
from app.fhir.search import (EARLIEST_YEAR, LATEST_YEAR, Page, Query, SearchParam, codes_in, id_conditions,
                              page_list, page_rows, parse_id)
from app.meetings.models import BOOKING_STATES, Invitation, Meeting
from app.meetings.search import free_time
from app.specialists.models import SpecialistProfile
from app.timekeeping import UTC
from app.vocabulary import N_

MAX_SLOT_WINDOW = timedelta(days=31)
SCHEDULE_PARAMS = (
    SearchParam("_id", "token", "Logical id (the specialist's user id)"),
    SearchParam("actor", "reference", "Practitioner/{id} or PractitionerRole/{id}",
                ("Practitioner", "PractitionerRole")),
    SearchParam("specialty", "token", "A discipline code"),
)
SLOT_PARAMS = (
    SearchParam("schedule", "reference", "Required: one Schedule/{id}", ("Schedule",)),
    SearchParam("start", "date", "Required: a window, e.g. start=ge2026-03-02T00:00:00Z&start=lt2026-03-09 "
                                 "(at most 31 days)"),
    SearchParam("status", "token", "free or busy (default both)"),
)
_STAMP = "%Y%m%dT%H%M%SZ"


def _profile_query():
    return select(SpecialistProfile).options(selectinload(SpecialistProfile.disciplines),
                                             selectinload(SpecialistProfile.user))


def to_schedule(profile: SpecialistProfile) -> Schedule:
    user = profile.user
    return build(Schedule, {
        "id": str(user.id),
        "language": reader_language(),
        "active": user.is_active,
        "specialty": [discipline_concept(d.code, d.name) for d in profile.disciplines],
        "actor": [reference("Practitioner", user.id, user.name), reference("PractitionerRole", user.id)],
        "comment": gettext("Free and busy Slots come from working hours, date overrides, leave, notice, "
                           "bookings and meeting caps; working hours are on the wall clock of %(zone)s.",
                           zone=profile.home_timezone),
        "extension": [{"url": EXT_TIMEZONE, "valueCode": profile.home_timezone}],
    })


def _profile(ctx: Context, resource_id: str) -> SpecialistProfile:
    user_id = parse_id(resource_id)
    profile = ctx.session.scalar(_profile_query().where(SpecialistProfile.user_id == user_id)) \
        if user_id is not None else None
    if profile is None:
        raise NotFound(N_('No Schedule with id %(resource_id)s.'),
                       params={'resource_id': resource_id})
    return profile


def read_schedule(ctx: Context, resource_id: str) -> Schedule:
    return to_schedule(_profile(ctx, resource_id))


def search_schedules(ctx: Context, query: Query) -> Page:
    statement = select(SpecialistProfile)
    for condition in id_conditions(query, "_id", SpecialistProfile.user_id):
        statement = statement.where(condition)
    for condition in id_conditions(query, "actor", SpecialistProfile.user_id):
        statement = statement.where(condition)
    for codes in codes_in(query, "specialty", DISCIPLINE_SYSTEM):
        statement = statement.where(holds_a_discipline(codes))

    def convert(profiles):
        ids = [profile.id for profile in profiles]
        by_id = {p.id: p for p in ctx.session.scalars(_profile_query().where(SpecialistProfile.id.in_(ids)))}
        return [to_schedule(by_id[i]) for i in ids]

    return page_rows(ctx.session, statement, SpecialistProfile.user_id, query, convert,
                     key=lambda profile: profile.user_id)


# --- slots --------------------------------------------------------------------------------------


def free_slot(user_id: int, start: datetime, end: datetime) -> Slot:
    return build(Slot, {
        "id": f"{user_id}-{start.strftime(_STAMP)}-{end.strftime(_STAMP)}",
        "schedule": reference("Schedule", user_id), "status": "free",
        "start": instant(start), "end": instant(end),
    })


def busy_slot(invitation: Invitation) -> Slot:
    return build(Slot, {
        "id": f"busy-{invitation.id}",
        "language": reader_language(),
        "schedule": reference("Schedule", invitation.user_id), "status": "busy",
        "start": instant(invitation.busy_from), "end": instant(invitation.busy_until),
        "comment": gettext("Booked (the meeting with the specialist's buffers before and after)"),
    })


def _bookings(ctx: Context, user_id: int, start: datetime, end: datetime) -> list[Invitation]:
    return list(ctx.session.scalars(
        select(Invitation).join(Meeting)
        .where(Invitation.user_id == user_id, Invitation.status.in_(BOOKING_STATES),
               Meeting.status != "cancelled", Invitation.busy_from >= start, Invitation.busy_from < end)
        .order_by(Invitation.busy_from, Invitation.id)))


def _window(query: Query) -> tuple[datetime, datetime]:
    low = high = None
    for bound in query.dates("start"):
        lower = {"ge": bound.low, "gt": bound.high, "eq": bound.low}.get(bound.prefix)
        upper = {"lt": bound.low, "le": bound.high, "eq": bound.high}.get(bound.prefix)
        if lower is not None:
            low = lower if low is None else max(low, lower)
        if upper is not None:
            high = upper if high is None else min(high, upper)
    if low is None or high is None:
        raise FhirError(400, N_("start: give a window with a lower and an upper bound, e.g. "
                                "start=ge2026-03-02T00:00:00Z&start=lt2026-03-09T00:00:00Z."), expression="start")
    if high <= low:
        raise FhirError(400, N_("start: the window's upper bound must be after its lower bound."),
                        expression="start")
    if high - low > MAX_SLOT_WINDOW:
        raise FhirError(400, N_("start: the window may span at most %(days)s days."),
                        params={"days": MAX_SLOT_WINDOW.days}, expression="start")
    return low, high


def search_slots(ctx: Context, query: Query) -> Page:
    schedules = query.ids("schedule")
    if len(schedules) != 1 or len(schedules[0]) != 1:
        raise FhirError(400, N_("schedule: name exactly one Schedule, e.g. schedule=Schedule/12."),
                        expression="schedule")
    (user_id,) = schedules[0]
    low, high = _window(query)
    statuses = {"free", "busy"}
    for group in query.tokens("status"):
        statuses &= group
    profile = ctx.session.scalar(_profile_query().where(SpecialistProfile.user_id == user_id)) \
        if user_id is not None else None
    items: list[tuple[datetime, int, object]] = []
    if profile is not None:
        if "free" in statuses:
            items += [(start, 0, (profile.user_id, start, end))
                      for start, end in free_time(ctx.session, profile, low, high, at=ctx.at)]
        if "busy" in statuses:
            items += [(invitation.busy_from, 1, invitation)
                      for invitation in _bookings(ctx, profile.user_id, low, high)]
    items.sort(key=lambda item: (item[0], item[1]))

    def convert(chunk):
        return [free_slot(*payload) if kind == 0 else busy_slot(payload) for _, kind, payload in chunk]

    return page_list(items, query, convert)


def read_slot(ctx: Context, resource_id: str) -> Slot:
    missing = NotFound(N_('No Slot with id %(resource_id)s (free time may have been booked since).'),
                       params={'resource_id': resource_id})
    if resource_id.startswith("busy-"):
        invitation_id = parse_id(resource_id[5:])
        invitation = ctx.session.scalar(
            select(Invitation).join(Meeting).where(Invitation.id == invitation_id,
                                                   Invitation.status.in_(BOOKING_STATES),
                                                   Meeting.status != "cancelled")) if invitation_id else None
        if invitation is None:
            raise missing
        return busy_slot(invitation)
    parts = resource_id.split("-")
    if len(parts) != 3 or parse_id(parts[0]) is None:
        raise missing
    try:
        start, end = (datetime.strptime(part, _STAMP).replace(tzinfo=UTC) for part in parts[1:])
    except ValueError:
        raise missing from None
    if not (start < end <= start + MAX_SLOT_WINDOW and EARLIEST_YEAR <= start.year <= LATEST_YEAR):
        raise missing
    profile = ctx.session.scalar(_profile_query().where(SpecialistProfile.user_id == int(parts[0])))
    if profile is None:
        raise missing
    if not any(a <= start and end <= b for a, b in free_time(ctx.session, profile, start, end, at=ctx.at)):
        raise missing
    return free_slot(profile.user_id, start, end)

