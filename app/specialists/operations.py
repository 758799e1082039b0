"""Specialist operations: profiles, leave, date overrides, licences, and the engine's view of them.

Plain Python over a SQLAlchemy session; callers commit. Times are passed in (`at`) so the rules
can be tested without waiting. Weekly hours and override ranges are validated by the matching
engine's own parser (`app.scheduling.parse_request`), so what is stored is what the engine reads.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import re
from datetime import date, datetime, timedelta

import pytz
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Organization, User, UserRole
from app.accounts.operations import checked_zone, validate_languages
from app.errors import Conflict, InvalidInput, InvalidValue, NotFound, PermissionDenied
from app.meetings.models import BOOKING_STATES, Invitation, Meeting
from app.notifications.operations import notify
from app.paging import Page, after, decode_cursor, encode_cursor
from app.scheduling import WEEKDAY_KEYS, RequestError, SpecialistSpec, parse_request
from app.specialists.models import (DateOverride, Discipline, Leave, Licence, SpecialistProfile,
                                     specialist_disciplines)
from app.timekeeping import check_supported_year, ensure_utc, format_instant, local_midnight, to_local
from app.vocabulary import N_

EDITOR_ROLES = ("coordinator", "admin")
VERIFIER_ROLES = ("coordinator", "admin")
MAX_LEAVE = timedelta(days=366)

# name: (lowest, highest) for the whole-number profile settings
LIMITS = {
    "buffer_before_minutes": (0, 240),
    "buffer_after_minutes": (0, 240),
    "min_notice_hours": (0, 720),
    "max_meetings_per_day": (1, 24),
    "max_meetings_per_week": (1, 100),
}
PROFILE_DEFAULTS = {
    "sub_specialty": None,
    "weekly_hours": {},
    "buffer_before_minutes": 0,
    "buffer_after_minutes": 0,
    "min_notice_hours": 24,
    "max_meetings_per_day": 3,
    "max_meetings_per_week": 10,
    "takes_urgent": True,
}
# Everything a profile edit may set; `languages` is kept on the User.
PROFILE_FIELDS = ("disciplines", "languages", "home_timezone", *PROFILE_DEFAULTS)

_ISO_639_1 = re.compile(r"^[a-z]{2}$")
_LOCAL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- who may do what ----------------------------------------------------------------------


def may_edit(actor: User, user_id: int) -> bool:
    """Coordinators and admins edit anyone's specialist data; a specialist edits only their own."""
    if actor.has_role(*EDITOR_ROLES):
        return True
    return actor.id == user_id and actor.has_role("specialist")


def require_editor(actor: User, user_id: int) -> None:
    if not may_edit(actor, user_id):
        raise PermissionDenied(
            N_("Only the specialist themself, a coordinator or an admin may change this.")
        )


# --- lookups --------------------------------------------------------------------------------


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_('No user with id %(user_id)s.'),
                       params={'user_id': user_id})
    return user


def find_profile(session: Session, user_id: int) -> SpecialistProfile | None:
    return session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == user_id))


def get_profile(session: Session, user_id: int) -> SpecialistProfile:
    profile = find_profile(session, user_id)
    if profile is None:
        get_user(session, user_id)
        raise NotFound(N_('User %(user_id)s has no specialist profile.'),
                       params={'user_id': user_id})
    return profile


def list_disciplines(session: Session, *, include_retired: bool = False) -> list[Discipline]:
    """The disciplines a person may choose (retired ones only when asked: the vocabulary's own page)."""
    statement = select(Discipline).order_by(Discipline.name)
    if not include_retired:
        statement = statement.where(Discipline.retired_at.is_(None))
    return list(session.scalars(statement))


def discipline_codes(session: Session, *, active_only: bool = False) -> set[str]:
    """Codes that validate. Retired ones still do by default, so data that names them stays editable."""
    statement = select(Discipline.code)
    if active_only:
        statement = statement.where(Discipline.retired_at.is_(None))
    return set(session.scalars(statement))


# --- validation of single fields (each raises InvalidInput naming the field) -----------------


def clean_disciplines(codes, known: set[str], field: str = "disciplines") -> list[str]:
    """Sorted, de-duplicated codes from the controlled vocabulary."""
    if not isinstance(codes, list | tuple):
        raise InvalidInput(field, N_("must be a list of discipline codes, e.g. ['radiology']"))
    cleaned = []
    for index, code in enumerate(codes):
        text = code.strip().lower() if isinstance(code, str) else None
        if text not in known:
            raise InvalidInput(f"{field}[{index}]",
                               N_('%(code)s is not a discipline code; see GET /api/v1/disciplines'),
                               params={'code': repr(code)})
        if text not in cleaned:
            cleaned.append(text)
    return sorted(cleaned)


def _engine_rules(*, timezone: str = "UTC", weekly_hours=None, date_overrides=None,
                  specialist_id: str = "probe", disciplines=()) -> SpecialistSpec:
    """Run wall-clock rules through the engine's public parser and return its typed spec."""
    request = {
        "window_start": "2000-01-03T00:00:00Z",
        "window_end": "2000-01-03T01:00:00Z",
        "duration_minutes": 1,
        "requirements": [],
        "specialists": [{
            "id": specialist_id,
            "timezone": timezone,
            "disciplines": list(disciplines),
            "weekly_hours": {} if weekly_hours is None else weekly_hours,
            "date_overrides": {} if date_overrides is None else date_overrides,
        }],
    }
    return parse_request(request).specialists[0]


def _renamed(error: RequestError, engine_prefix: str, field: str) -> InvalidInput:
    name = error.field
    if name.startswith(engine_prefix):
        name = field + name[len(engine_prefix):]
    return InvalidInput(name, error.template, error.params)


def _sorted_ranges(ranges) -> list[list[str]]:
    return sorted(([start, end] for start, end in ranges), key=lambda pair: (pair[0], pair[1]))


def clean_weekly_hours(value, field: str = "weekly_hours") -> dict:
    """Validate with the engine's parser; return the canonical form (weekday order, ranges sorted,
    days without ranges left out). Errors name e.g. `weekly_hours.fri[0]`."""
    try:
        _engine_rules(weekly_hours=value)
    except RequestError as error:
        raise _renamed(error, "specialists[0].weekly_hours", field) from None
    return {day: _sorted_ranges(value[day]) for day in WEEKDAY_KEYS if value.get(day)}


def clean_ranges(value, field: str = "ranges") -> list[list[str]]:
    """Validate one local date's ranges (as for a date override) with the engine's parser."""
    try:
        _engine_rules(date_overrides={"2000-01-03": value})
    except RequestError as error:
        raise _renamed(error, "specialists[0].date_overrides.2000-01-03", field) from None
    return _sorted_ranges(value)


def clean_country(value, field: str = "jurisdiction") -> str:
    code = (value or "").strip().upper() if isinstance(value, str) else ""
    if code not in pytz.country_names:
        raise InvalidInput(field, N_('%(value)s is not an ISO 3166-1 alpha-2 country code'),
                                  params={'value': repr(value)})
    return code


def clean_local_date(text: str, field: str = "date") -> date:
    try:
        if not isinstance(text, str) or not _LOCAL_DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(field, N_('%(text)s is not a YYYY-MM-DD date'),
                                  params={'text': repr(text)}) from None


def _clean_whole_number(name: str, value) -> int:
    lowest, highest = LIMITS[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(name, N_("must be a whole number"))
    if not lowest <= value <= highest:
        raise InvalidInput(name, N_('must be between %(lowest)s and %(highest)s, got %(value)s'),
                                 params={'lowest': lowest, 'highest': highest, 'value': value})
    return value


def clean_profile_field(name: str, value, *, known_disciplines: set[str]):
    """The cleaned value of one profile field, or InvalidInput naming it."""
    if value is None and name != "sub_specialty":
        raise InvalidInput(name, N_("must not be null"))
    if name == "disciplines":
        return clean_disciplines(value, known_disciplines)
    if name == "languages":
        return validate_languages(value)
    if name == "home_timezone":
        return checked_zone("home_timezone", value)
    if name == "weekly_hours":
        return clean_weekly_hours(value)
    if name == "sub_specialty":
        text = (value or "").strip() if isinstance(value, str) or value is None else None
        if text is None:
            raise InvalidInput(name, N_("must be text"))
        if len(text) > 200:
            raise InvalidInput(name, N_("must be at most 200 characters"))
        return text or None
    if name == "takes_urgent":
        if not isinstance(value, bool):
            raise InvalidInput(name, N_("must be true or false"))
        return value
    if name in LIMITS:
        return _clean_whole_number(name, value)
    raise InvalidInput(name, N_("is not a known field"))


def clean_profile(session: Session, values: dict, *, known_disciplines: set[str] | None = None) -> dict:
    known = discipline_codes(session) if known_disciplines is None else known_disciplines
    return {name: clean_profile_field(name, value, known_disciplines=known)
            for name, value in values.items()}


# --- profiles -------------------------------------------------------------------------------


def current_profile_values(user: User | None, profile: SpecialistProfile | None) -> dict:
    """Every editable field's present value (None throughout for a profile not yet made)."""
    values = {name: None for name in PROFILE_FIELDS}
    if user is not None:
        values["languages"] = list(user.languages or [])
    if profile is not None:
        values["disciplines"] = sorted(profile.discipline_codes)
        values["home_timezone"] = profile.home_timezone
        for name in PROFILE_DEFAULTS:
            values[name] = getattr(profile, name)
        values["weekly_hours"] = dict(profile.weekly_hours or {})
    return values


def profile_changes(user: User | None, profile: SpecialistProfile | None, cleaned: dict) -> dict:
    """{field: {"from": old, "to": new}} for the cleaned values that differ from what is stored."""
    current = current_profile_values(user, profile)
    return {name: {"from": current[name], "to": value}
            for name, value in cleaned.items() if current[name] != value}


def save_profile(session: Session, user: User, values: dict, *,
                 known_disciplines: set[str] | None = None) -> tuple[SpecialistProfile, dict]:
    """Create or update `user`'s profile from `values` (any subset of PROFILE_FIELDS).

    Fields not given keep their value, or the default for a new profile (home zone: the
    user's zone). A new profile needs at least one discipline. Returns (profile, changes).
    """
    if not user.has_role("specialist"):
        raise Conflict(N_('%(user_name)s does not hold the specialist role; an admin must grant '
                          'it before a specialist profile can be made.'),
                       params={'user_name': user.name})
    cleaned = clean_profile(session, values, known_disciplines=known_disciplines)
    profile = find_profile(session, user.id)
    if profile is None and not cleaned.get("disciplines"):
        raise InvalidInput("disciplines", N_("a new profile needs at least one discipline"))
    if profile is not None:
        per_day = cleaned.get("max_meetings_per_day", profile.max_meetings_per_day)
        per_week = cleaned.get("max_meetings_per_week", profile.max_meetings_per_week)
    else:
        per_day = cleaned.get("max_meetings_per_day", PROFILE_DEFAULTS["max_meetings_per_day"])
        per_week = cleaned.get("max_meetings_per_week", PROFILE_DEFAULTS["max_meetings_per_week"])
    if per_week < per_day:
        raise InvalidInput("max_meetings_per_week",
                           N_('must be at least max_meetings_per_day (%(per_day)s)'),
                           params={'per_day': per_day})
    changes = profile_changes(user, profile, cleaned)
    if profile is None:
        profile = SpecialistProfile(user=user, home_timezone=cleaned.get("home_timezone") or user.timezone,
                                    **PROFILE_DEFAULTS)
        profile.weekly_hours = {}
        session.add(profile)
    for name, value in cleaned.items():
        if name == "languages":
            user.languages = value
        elif name == "disciplines":
            found = session.scalars(select(Discipline).where(Discipline.code.in_(value))).all()
            profile.disciplines = sorted(found, key=lambda discipline: discipline.code)
        else:
            setattr(profile, name, value)
    session.flush()
    return profile, changes


def find_specialists(session: Session, *, at: datetime, discipline: str | None = None,
                     language: str | None = None, licensed_in: str | None = None,
                     takes_urgent: bool | None = None,
                     organization_id: int | None = None, country: str | None = None,
                     on_call_at: datetime | None = None, limit: int | None = None,
                     cursor: str | None = None) -> Page:
    """Active specialists with a profile, filtered, by name then id, a page of `limit` at a time
    (all of them without a limit). `licensed_in` counts only licences that are verified and
    unexpired at `at`. Language and licence are judged in Python, so rows are read in batches from
    the cursor on until the page is full."""
    order = [User.name, User.id]
    statement = (select(SpecialistProfile).join(SpecialistProfile.user)
                 .where(User.is_active.is_(True), User.role_grants.any(UserRole.role == "specialist"))
                 .options(selectinload(SpecialistProfile.disciplines),
                          selectinload(SpecialistProfile.licences),
                          selectinload(SpecialistProfile.user).selectinload(User.organization))
                 .order_by(*order))
    if discipline is not None:
        code = discipline.strip().lower()
        if session.get(Discipline, code) is None:
            raise InvalidInput("discipline", N_('%(discipline)s is not a discipline code'),
                                             params={'discipline': repr(discipline)})
        statement = statement.where(SpecialistProfile.disciplines.any(Discipline.code == code))
    if takes_urgent is not None:
        statement = statement.where(SpecialistProfile.takes_urgent.is_(takes_urgent))
    if organization_id is not None:
        statement = statement.where(User.organization_id == organization_id)
    if country is not None:  # where their site is
        statement = statement.where(User.organization.has(Organization.country == clean_country(country, "country")))
    if on_call_at is not None:
        from app.rotas.models import OnCallShift  # rotas build on specialists; imported here, one way

        statement = statement.where(User.id.in_(select(OnCallShift.user_id).where(
            OnCallShift.in_force(), OnCallShift.starts_at <= ensure_utc(on_call_at),
            OnCallShift.ends_at > ensure_utc(on_call_at))))
    wanted_language = None
    if language is not None:
        wanted_language = language.strip().lower()
        if not _ISO_639_1.match(wanted_language):
            raise InvalidInput("language", N_('%(language)s is not an ISO 639-1 language code'),
                                           params={'language': repr(language)})
    country = clean_country(licensed_in, "licensed_in") if licensed_in is not None else None

    def wanted(profile: SpecialistProfile) -> bool:
        if wanted_language and wanted_language not in (profile.user.languages or []):
            return False
        return not country or country in profile.valid_licence_countries(at)

    if limit is None:
        return Page(rows=[p for p in session.scalars(statement) if wanted(p)], next_cursor=None)
    after_key = decode_cursor(cursor, 2) if cursor is not None else None
    batch = max(2 * (limit + 1), 100)
    profiles: list[SpecialistProfile] = []
    while True:
        chunk_statement = statement if after_key is None else statement.where(after(order, after_key, descending=False))
        chunk = list(session.scalars(chunk_statement.limit(batch)))
        profiles += [profile for profile in chunk if wanted(profile)]
        if len(profiles) > limit or len(chunk) < batch:
            break
        after_key = [chunk[-1].user.name, chunk[-1].user.id]
    more, profiles = len(profiles) > limit, profiles[:limit]
    last = profiles[-1].user if profiles else None
    return Page(rows=profiles, next_cursor=encode_cursor([last.name, last.id]) if more else None)


# --- leave ----------------------------------------------------------------------------------


def leave_bounds(zone: str, *, starts_at: datetime | None = None, ends_at: datetime | None = None,
                 from_date: date | None = None, to_date: date | None = None) -> tuple[datetime, datetime]:
    """Leave as UTC instants, from either instants (`from`/`to`) or whole local dates.

    `from_date`..`to_date` are inclusive days in `zone`: from the first instant of from_date
    to the first instant of the day after to_date, so a DST change inside is handled.
    """
    instants = starts_at is not None or ends_at is not None
    dates = from_date is not None or to_date is not None
    if instants and dates:
        raise InvalidInput("from_date", N_("give either instants (from, to) or local dates "
                                        "(from_date, to_date), not both"))
    if dates:
        if from_date is None:
            raise InvalidInput("from_date", N_("is required with to_date"))
        if to_date is None:
            raise InvalidInput("to_date", N_("is required with from_date"))
        if to_date < from_date:
            raise InvalidInput("to_date", N_("must be on or after from_date"))
        start, end = local_midnight(from_date, zone), local_midnight(to_date + timedelta(days=1), zone)
        end_field = "to_date"
    elif instants:
        if starts_at is None:
            raise InvalidInput("from", N_("is required with to"))
        if ends_at is None:
            raise InvalidInput("to", N_("is required with from"))
        start, end = ensure_utc(starts_at), ensure_utc(ends_at)
        if end <= start:
            raise InvalidInput("to", N_("must be after from"))
        end_field = "to"
    else:
        raise InvalidInput("from", N_("give either instants (from, to) or local dates "
                                   "(from_date, to_date)"))
    if end - start > MAX_LEAVE:
        raise InvalidInput(end_field, N_('leave may last at most %(days)s days'),
                                      params={'days': MAX_LEAVE.days})
    return start, end


def add_leave(session: Session, profile: SpecialistProfile, *, starts_at: datetime | None = None,
              ends_at: datetime | None = None, from_date: date | None = None,
              to_date: date | None = None, reason: str | None = None) -> Leave:
    start, end = leave_bounds(profile.home_timezone, starts_at=starts_at, ends_at=ends_at,
                              from_date=from_date, to_date=to_date)
    leave = Leave(profile=profile, starts_at=start, ends_at=end,
                  reason=(reason or "").strip() or None)
    session.add(leave)
    session.flush()
    return leave


def leave_days(leave: Leave, zone: str) -> tuple[date, date] | None:
    """The first and last local days (both included) of leave that covers whole days in `zone`, else
    None. Leave is kept with an exclusive end (midnight after the last day); shown as that midnight it
    reads as one day too many."""
    first, after_last = to_local(leave.starts_at, zone).date(), to_local(leave.ends_at, zone).date()
    if (local_midnight(first, zone) != ensure_utc(leave.starts_at)
            or local_midnight(after_last, zone) != ensure_utc(leave.ends_at)):
        return None
    return first, after_last - timedelta(days=1)


def get_leave(session: Session, profile: SpecialistProfile, leave_id: int) -> Leave:
    leave = session.get(Leave, leave_id)
    if leave is None or leave.profile_id != profile.id:
        raise NotFound(N_('No leave with id %(leave_id)s for user %(user_id)s.'),
                       params={'leave_id': leave_id, 'user_id': profile.user_id})
    return leave


def delete_leave(session: Session, leave: Leave) -> None:
    profile = leave.profile
    profile.leave.remove(leave)
    session.flush()


# --- date overrides ---------------------------------------------------------------------------


def set_override(session: Session, profile: SpecialistProfile, local_date: date, ranges,
                 note: str | None = None) -> DateOverride:
    """Replace `local_date`'s weekly hours with `ranges` (an empty list: not working that day)."""
    cleaned = clean_ranges(ranges)
    override = session.scalar(select(DateOverride).where(DateOverride.profile_id == profile.id,
                                                         DateOverride.local_date == local_date))
    if override is None:
        override = DateOverride(profile=profile, local_date=local_date)
        session.add(override)
    override.ranges = cleaned
    override.note = (note or "").strip() or None
    session.flush()
    return override


def delete_override(session: Session, profile: SpecialistProfile, local_date: date) -> None:
    override = session.scalar(select(DateOverride).where(DateOverride.profile_id == profile.id,
                                                         DateOverride.local_date == local_date))
    if override is None:
        raise NotFound(N_('User %(user_id)s has no override on %(local_date)s.'),
                       params={'user_id': profile.user_id, 'local_date': local_date.isoformat()})
    profile.overrides.remove(override)
    session.flush()


# --- licences -------------------------------------------------------------------------------


def get_licence(session: Session, licence_id: int) -> Licence:
    licence = session.get(Licence, licence_id)
    if licence is None:
        raise NotFound(N_('No licence with id %(licence_id)s.'),
                       params={'licence_id': licence_id})
    return licence


def _clean_registration_number(value) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput("registration_number", N_("must not be empty"))
    if len(text) > 64:
        raise InvalidInput("registration_number", N_("must be at most 64 characters"))
    return text


def _refuse_duplicate(session: Session, profile: SpecialistProfile, jurisdiction: str,
                      number: str, keep: Licence | None = None) -> None:
    existing = session.scalar(select(Licence).where(
        Licence.profile_id == profile.id, Licence.jurisdiction == jurisdiction,
        Licence.registration_number == number))
    if existing is not None and existing is not keep:
        raise Conflict(N_('Licence %(jurisdiction)s %(number)s is already recorded (id '
                          '%(existing_id)s).'),
                       params={'jurisdiction': jurisdiction, 'number': number, 'existing_id': existing.id},
                       licence_id=existing.id)


def _refuse_past_expiry(profile: SpecialistProfile, expires_on: date, at: datetime) -> None:
    """Refuse an expiry date outside the years Meridian handles (its end of day in the home zone must be
    computable), or already passed in the specialist's home zone."""
    try:
        check_supported_year(expires_on)
    except InvalidValue as error:
        raise InvalidInput("expires_on", error.template, error.params) from None
    if expires_on < to_local(at, profile.home_timezone).date():
        raise InvalidInput("expires_on", N_('%(expires_on)s has already passed'),
                                         params={'expires_on': expires_on.isoformat()})


def add_licence(session: Session, profile: SpecialistProfile, *, jurisdiction: str,
                registration_number: str, expires_on: date, at: datetime) -> Licence:
    """Record a licence, unverified: it counts only once a coordinator verifies it."""
    country = clean_country(jurisdiction)
    number = _clean_registration_number(registration_number)
    if not isinstance(expires_on, date):
        raise InvalidInput("expires_on", N_("must be a YYYY-MM-DD date"))
    _refuse_past_expiry(profile, expires_on, at)
    _refuse_duplicate(session, profile, country, number)
    licence = Licence(profile=profile, jurisdiction=country, registration_number=number,
                      expires_on=expires_on, created_at=ensure_utc(at))
    session.add(licence)
    session.flush()
    return licence


def update_licence(session: Session, licence: Licence, *, at: datetime, **values) -> dict:
    """Change jurisdiction, registration_number and/or expires_on. Any change clears the
    verification (what was checked is no longer what is recorded). Returns the changes."""
    unknown = set(values) - {"jurisdiction", "registration_number", "expires_on"}
    if unknown:
        raise InvalidInput(sorted(unknown)[0], N_("is not a known field"))
    cleaned = {}
    if "jurisdiction" in values:
        cleaned["jurisdiction"] = clean_country(values["jurisdiction"])
    if "registration_number" in values:
        cleaned["registration_number"] = _clean_registration_number(values["registration_number"])
    if "expires_on" in values:
        if not isinstance(values["expires_on"], date):
            raise InvalidInput("expires_on", N_("must be a YYYY-MM-DD date"))
        cleaned["expires_on"] = values["expires_on"]
    changes = {name: {"from": getattr(licence, name), "to": value}
               for name, value in cleaned.items() if getattr(licence, name) != value}
    if not changes:
        return {}
    if "expires_on" in changes:
        _refuse_past_expiry(licence.profile, cleaned["expires_on"], at)
    _refuse_duplicate(session, licence.profile, cleaned.get("jurisdiction", licence.jurisdiction),
                      cleaned.get("registration_number", licence.registration_number), keep=licence)
    for name, change in changes.items():
        setattr(licence, name, change["to"])
    licence.verified_by = None
    licence.verified_at = None
    licence.rejected_at = None  # corrected: back in the verification queue
    licence.verification_note = None
    session.flush()
    return changes


def verify_licence(session: Session, licence: Licence, *, verifier: User, at: datetime,
                   note: str | None = None) -> Licence:
    """Record that `verifier` checked the licence at `at` (and, in `note`, what they checked). Nobody
    verifies their own."""
    _check_verifier(licence, verifier)
    if not ensure_utc(at) < licence.expires_at():
        raise Conflict(N_('This licence expired on %(expires_on)s; record the renewed licence and '
                          'verify that one.'),
                       params={'expires_on': licence.expires_on.isoformat()})
    licence.verified_by = verifier
    licence.verified_at = ensure_utc(at)
    licence.rejected_at = None
    if note is not None:
        licence.verification_note = _clean_note(note)
    session.flush()
    return licence


def reject_licence(session: Session, licence: Licence, *, verifier: User, at: datetime, note: str) -> Licence:
    """Refuse a licence the evidence does not support (it leaves the queue and counts for nothing);
    the note, which says why, is required. Recording the licence again puts it back in the queue."""
    _check_verifier(licence, verifier)
    note = _clean_note(note)
    if not note:
        raise InvalidInput("note", N_("is required: say what did not match"))
    licence.verified_by = verifier
    licence.verified_at = None
    licence.rejected_at = ensure_utc(at)
    licence.verification_note = note
    session.flush()
    notify(session, user_id=licence.profile.user_id, kind="licence.rejected",
           dedupe_key=f"licence-rejected:{licence.id}:{format_instant(ensure_utc(at))}",
           params={"country": licence.jurisdiction, "number": licence.registration_number, "note": note},
           link="/me/licences", at=at)
    return licence


def _clean_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput("note", N_("must be at most 2000 characters"))
    return note or None


LICENCE_QUEUES = ("pending", "expiring", "expired")
EXPIRING_WITHIN = timedelta(days=30)


def licence_queue(session: Session, queue: str, *, at: datetime, limit: int = 50,
                  cursor: str | None = None) -> Page:
    """One page of a verification queue, soonest expiry first: 'pending' (recorded, neither verified
    nor refused, unexpired), 'expiring' (verified, expiring within 30 days) or 'expired'.

    Days are compared in UTC; the licence page shows each one's exact status in the holder's zone."""
    if queue not in LICENCE_QUEUES:
        raise InvalidInput("queue", N_("must be one of %(choices)s"),
                           params={"choices": ", ".join(LICENCE_QUEUES)})
    today = ensure_utc(at).date()
    statement = select(Licence).options(selectinload(Licence.profile).selectinload(SpecialistProfile.user),
                                        selectinload(Licence.verified_by))
    if queue == "pending":
        statement = statement.where(Licence.verified_at.is_(None), Licence.rejected_at.is_(None),
                                    Licence.expires_on >= today)
    elif queue == "expiring":
        statement = statement.where(Licence.verified_at.is_not(None), Licence.expires_on >= today,
                                    Licence.expires_on <= today + EXPIRING_WITHIN)
    else:
        statement = statement.where(Licence.expires_on < today)
    columns = [Licence.expires_on, Licence.id]
    if cursor is not None:
        values = decode_cursor(cursor, 2)
        try:
            values[0] = date.fromisoformat(str(values[0]))
        except ValueError:
            raise InvalidInput("cursor", N_("is not a cursor this list gave; start again without it")) from None
        statement = statement.where(after(columns, values, descending=queue == "expired"))
    order = [column.desc() if queue == "expired" else column for column in columns]
    rows = list(session.scalars(statement.order_by(*order).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    next_cursor = encode_cursor([rows[-1].expires_on.isoformat(), rows[-1].id]) if more else None
    return Page(rows=rows, next_cursor=next_cursor)


def _check_verifier(licence: Licence, verifier: User) -> None:
    if not verifier.has_role(*VERIFIER_ROLES):
        raise PermissionDenied(N_("Only a coordinator or an admin may verify a licence."))
    if licence.profile.user_id == verifier.id:
        raise PermissionDenied(N_("Nobody may verify their own licence; ask another coordinator."))


def delete_licence(session: Session, licence: Licence) -> None:
    licence.profile.licences.remove(licence)
    session.flush()


def licence_status(licence: Licence, at: datetime) -> str:
    """'valid', 'unverified' or 'expired' (expiry wins: an expired licence never counts)."""
    if not ensure_utc(at) < licence.expires_at():
        return "expired"
    if licence.verified_at is None:
        return "unverified"
    return "valid"


# --- what the matching engine sees --------------------------------------------------------------


def booked_intervals(session: Session, user_id: int, start: datetime,
                     end: datetime) -> list[tuple[datetime, datetime]]:
    """The user's bookings overlapping [start, end): invitations that hold their time
    (BOOKING_STATES) to meetings not cancelled, as busy_from..busy_until (buffers included)."""
    rows = session.execute(
        select(Invitation.busy_from, Invitation.busy_until)
        .join(Invitation.meeting)
        .where(Invitation.user_id == user_id,
               Invitation.status.in_(BOOKING_STATES),
               Meeting.status != "cancelled",
               Invitation.busy_until > ensure_utc(start),
               Invitation.busy_from < ensure_utc(end))
        .order_by(Invitation.busy_from)
    ).all()
    return [(ensure_utc(busy_from), ensure_utc(busy_until)) for busy_from, busy_until in rows]


def engine_spec(profile: SpecialistProfile, *, busy=()) -> SpecialistSpec:
    """The profile as the matching engine's `SpecialistSpec`.

    id is str(user_id); weekly hours and date overrides are parsed by the engine's parser;
    leave becomes busy time, followed by `busy` (aware datetimes, e.g. `booked_intervals`).
    """
    weekly = getattr(profile, "weekly_hours_json", None) or json.dumps(profile.weekly_hours or {}, sort_keys=True)
    rules = parsed_rules(profile.home_timezone, weekly,
                         json.dumps({override.local_date.isoformat(): override.ranges or []
                                     for override in profile.overrides}, sort_keys=True)
                         if profile.overrides else "{}")
    intervals = [(ensure_utc(leave.starts_at), ensure_utc(leave.ends_at)) for leave in profile.leave]
    intervals += [(ensure_utc(start), ensure_utc(end)) for start, end in busy]
    return dataclasses.replace(rules, id=str(profile.user_id), disciplines=tuple(profile.discipline_codes),
                               busy=tuple(intervals))


@functools.lru_cache(maxsize=4096)
def parsed_rules(timezone: str, weekly_hours_json: str, date_overrides_json: str) -> SpecialistSpec:
    """Wall-clock rules parsed once per distinct set (many specialists share a rota's hours)."""
    return _engine_rules(timezone=timezone, weekly_hours=json.loads(weekly_hours_json),
                         date_overrides=json.loads(date_overrides_json))


def active_holders_per_discipline(session: Session) -> dict[str, int]:
    """How many active specialists hold each discipline (what a search for it can draw on)."""
    rows = session.execute(
        select(specialist_disciplines.c.discipline_code, func.count())
        .join(SpecialistProfile, SpecialistProfile.id == specialist_disciplines.c.profile_id)
        .join(User, User.id == SpecialistProfile.user_id).where(User.is_active.is_(True))
        .group_by(specialist_disciplines.c.discipline_code)).all()
    return {code: count for code, count in rows}
