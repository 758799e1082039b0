"""The JSON contract: request validation into typed values, and the response shape.

Every rule broken raises `RequestError(field, template, params)`, where `field` is a JSON-path-like
name such as ``specialists[3].weekly_hours.fri[0]``. Unknown keys are rejected too, so a
misspelt optional field (``step_minute``) cannot silently fall back to its default.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any, Iterable

import pytz

from .models import (
    MINUTES_PER_DAY,
    UTC,
    WEEKDAY_KEYS,
    MatchRequest,
    RequestError,
    Requirement,
    Slot,
    SpecialistSpec,
    WallClockRange,
)
from .zones import resolve_zone
from ..vocabulary import N_

MAX_WINDOW = timedelta(days=366)
MAX_MINUTES = 366 * MINUTES_PER_DAY
MAX_LIMIT = 1_000_000
EARLIEST_WINDOW = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_WINDOW = datetime(2200, 1, 1, tzinfo=UTC)

_REQUEST_KEYS = {
    "window_start", "window_end", "duration_minutes", "step_minutes", "limit",
    "requirements", "attendees", "specialists",
}
_REQUIREMENT_KEYS = {"discipline", "count", "preferred"}
_SPECIALIST_KEYS = {"id", "timezone", "disciplines", "weekly_hours", "busy", "date_overrides"}
_WEEKDAY_INDEX = {key: index for index, key in enumerate(WEEKDAY_KEYS)}
_CLOCK_PATTERN = re.compile(r"([0-9]{2}):([0-9]{2})")
_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_MISSING = object()


def parse_request(obj: Any) -> MatchRequest:
    """Validate a decoded JSON request and return it as a `MatchRequest`.

    Raises `RequestError` naming the first offending field. Defaults: `step_minutes` 15,
    `limit` 10, `attendees` none; per specialist `busy` and `date_overrides` none.
    """
    root = _object(obj, "request", _REQUEST_KEYS)
    window_start = _window_instant(_required(root, "window_start", ""), "window_start")
    window_end = _window_instant(_required(root, "window_end", ""), "window_end")
    if window_end <= window_start:
        raise RequestError("window_end", N_("must be after window_start"))
    if window_end - window_start > MAX_WINDOW:
        raise RequestError("window_end", N_("window is longer than %(days)s days"), {"days": MAX_WINDOW.days})
    specialists = _specialists(_required(root, "specialists", ""))
    known = {spec.id: spec for spec in specialists}
    attendees = _attendees(root.get("attendees", []), known)
    return MatchRequest(
        window_start=window_start,
        window_end=window_end,
        duration_minutes=_integer(
            _required(root, "duration_minutes", ""), "duration_minutes", 1, MAX_MINUTES
        ),
        step_minutes=_integer(root.get("step_minutes", 15), "step_minutes", 1, MAX_MINUTES),
        limit=_integer(root.get("limit", 10), "limit", 1, MAX_LIMIT),
        requirements=_requirements(_required(root, "requirements", ""), known, set(attendees)),
        specialists=specialists,
        attendees=attendees,
    )


def response_to_json(slots: Iterable[Slot]) -> dict[str, list[dict[str, Any]]]:
    """The response object: ``{"slots": [{"start", "end", "assignment"}]}``, times as UTC ``…Z``."""
    return {
        "slots": [
            {
                "start": format_utc(slot.start),
                "end": format_utc(slot.end),
                "assignment": {discipline: list(ids) for discipline, ids in slot.assignment.items()},
            }
            for slot in slots
        ]
    }


def format_utc(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` for an aware datetime (fractions of a second are kept)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


# --- structure -----------------------------------------------------------------------


def _describe(value: Any) -> str:
    """A short one-line rendering of a user value for error messages."""
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _object(value: Any, field: str, allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        raise RequestError(field, N_("must be an object, not %(type)s"), {"type": _type_name(value)})
    for key in value:
        if key not in allowed:
            raise RequestError(_join(field, key), N_("is not a known field"))
    return value


def _field(parent: str, key: str) -> str:
    """`parent.key` for a key the contract itself names (always a plain name)."""
    return parent + "." + key


def _join(parent: str, key: str) -> str:
    """`parent.key`, or `parent["odd key"]` when the key would not read as a plain name."""
    if not _PLAIN_KEY.fullmatch(key):
        return f"{'' if parent in ('', 'request') else parent}[{json.dumps(key)}]"
    return key if parent in ("", "request") else f"{parent}.{key}"


def _required(container: dict, key: str, parent: str) -> Any:
    value = container.get(key, _MISSING)
    if value is _MISSING:
        raise RequestError(_join(parent, key), N_("is required"))
    return value


def _array(value: Any, field: str) -> list:
    if not isinstance(value, list):
        raise RequestError(field, N_("must be an array, not %(type)s"), {"type": _type_name(value)})
    return value


def _integer(value: Any, field: str, minimum: int, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RequestError(field, N_("must be an integer, not %(type)s"), {"type": _type_name(value)})
    if value < minimum:
        raise RequestError(field, N_("must be at least %(minimum)s, got %(value)s"), {"minimum": minimum, "value": value})
    if value > maximum:
        raise RequestError(field, N_("must be at most %(maximum)s, got %(value)s"), {"maximum": maximum, "value": value})
    return value


def _name(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise RequestError(field, N_("must be a string, not %(type)s"), {"type": _type_name(value)})
    if not value.strip():
        raise RequestError(field, N_("must not be empty"))
    return value


# --- times ---------------------------------------------------------------------------


def _instant(value: Any, field: str) -> datetime:
    """An ISO 8601 timestamp with an explicit offset, returned in UTC."""
    if not isinstance(value, str):
        raise RequestError(field, N_("must be an ISO 8601 timestamp string, not %(type)s"), {"type": _type_name(value)})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RequestError(field, N_("%(value)s is not a valid ISO 8601 timestamp"), {"value": _describe(value)}) from None
    if moment.tzinfo is None:
        raise RequestError(field, N_("%(value)s has no UTC offset (add 'Z' or e.g. '+05:45')"), {"value": _describe(value)})
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise RequestError(field, N_("%(value)s is out of range"), {"value": _describe(value)}) from None


def _quick_instant(value: Any) -> datetime | None:
    """The UTC instant when `value` is a well-formed timestamp with an offset, else None
    (the caller then calls `_instant` for the error, naming the field only then)."""
    if type(value) is str:
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            pass
    return None


def _window_instant(value: Any, field: str) -> datetime:
    moment = _instant(value, field)
    if not EARLIEST_WINDOW <= moment < LATEST_WINDOW:
        raise RequestError(field, N_("must be between 1900 and 2199"))
    if moment.microsecond:
        raise RequestError(field, N_("must be a whole second"))
    return moment


_CLOCK_ERRORS = {
    "start": (N_("start must be an \"HH:MM\" string, not %(type)s"),
              N_("start %(value)s is not an \"HH:MM\" time"),
              N_("start %(value)s is out of range (00:00 to %(limit)s)")),
    "end": (N_("end must be an \"HH:MM\" string, not %(type)s"),
            N_("end %(value)s is not an \"HH:MM\" time"),
            N_("end %(value)s is out of range (00:00 to %(limit)s)")),
}


def _clock_minute(value: Any, field: str, what: str, latest: int) -> int:
    not_a_string, not_a_time, out_of_range = _CLOCK_ERRORS[what]
    if not isinstance(value, str):
        raise RequestError(field, not_a_string, {"type": _type_name(value)})
    match = _CLOCK_PATTERN.fullmatch(value)
    if not match:
        raise RequestError(field, not_a_time, {"value": _describe(value)})
    hours, minutes = int(match[1]), int(match[2])
    minute = hours * 60 + minutes
    if minutes > 59 or minute > latest:
        limit = "24:00" if latest == MINUTES_PER_DAY else "23:59"
        raise RequestError(field, out_of_range, {"value": _describe(value), "limit": limit})
    return minute


_range_cache: dict[tuple[str, str], WallClockRange] = {}


def _wall_clock_range(value: Any, field: str) -> WallClockRange:
    if not isinstance(value, list) or len(value) != 2:
        raise RequestError(field, N_("must be a [start, end] pair of \"HH:MM\" times"))
    start = _clock_minute(value[0], field, "start", MINUTES_PER_DAY - 1)
    end = _clock_minute(value[1], field, "end", MINUTES_PER_DAY)
    if start == end:
        raise RequestError(field, N_("start equals end; use [\"00:00\", \"24:00\"] for a whole day"))
    wall_range = WallClockRange(start, end)
    if len(_range_cache) < 100_000 and isinstance(value[0], str) and isinstance(value[1], str):
        _range_cache[(value[0], value[1])] = wall_range
    return wall_range


def _ranges(value: Any, parent: str, key: str) -> tuple[WallClockRange, ...]:
    """The ranges at `parent.key`. Field names are built only for errors, and pairs of
    strings seen before are taken from a cache: the same few recur across thousands of
    rows, so this loop is most of what parsing a large request costs."""
    if type(value) is not list:
        _array(value, _field(parent, key))
    ranges = []
    for index, item in enumerate(value):
        if type(item) is list and len(item) == 2:
            start, end = item
            if type(start) is str and type(end) is str:
                known = _range_cache.get((start, end))
                if known is not None:
                    ranges.append(known)
                    continue
        ranges.append(_wall_clock_range(item, f"{_field(parent, key)}[{index}]"))
    return tuple(ranges)


def _weekly_hours(value: Any, field: str) -> dict[int, tuple[WallClockRange, ...]]:
    if not isinstance(value, dict):
        raise RequestError(field, N_("must be an object keyed by weekday, not %(type)s"), {"type": _type_name(value)})
    weekly = {}
    for key, ranges in value.items():
        if key not in _WEEKDAY_INDEX:
            raise RequestError(_join(field, key), N_("is not a weekday key (use %(keys)s)"), {"keys": ", ".join(WEEKDAY_KEYS)})
        weekly[_WEEKDAY_INDEX[key]] = _ranges(ranges, field, key)
    return weekly


def _date_overrides(value: Any, field: str) -> dict[date, tuple[WallClockRange, ...]]:
    if not isinstance(value, dict):
        raise RequestError(field, N_("must be an object keyed by local date, not %(type)s"), {"type": _type_name(value)})
    overrides = {}
    for key, ranges in value.items():
        try:
            if not _DATE_PATTERN.fullmatch(key):
                raise ValueError
            local_date = date.fromisoformat(key)
        except ValueError:
            raise RequestError(_join(field, key), N_("is not a YYYY-MM-DD date")) from None
        overrides[local_date] = _ranges(ranges, field, key)
    return overrides


def _busy(value: Any, field: str) -> tuple[tuple[datetime, datetime], ...]:
    intervals = []
    for index, item in enumerate(_array(value, field)):
        if not isinstance(item, list) or len(item) != 2:
            raise RequestError(f"{field}[{index}]", N_("must be a [start, end] pair of timestamps"))
        start = _quick_instant(item[0]) or _instant(item[0], f"{field}[{index}][0]")
        end = _quick_instant(item[1]) or _instant(item[1], f"{field}[{index}][1]")
        if end <= start:
            raise RequestError(f"{field}[{index}]", N_("end must be after start"))
        intervals.append((start, end))
    return tuple(intervals)


# --- people and seats ----------------------------------------------------------------


_zone_names: dict[str, str] = {}


def _timezone(value: Any, field: str) -> str:
    """The canonical pytz name (pytz also accepts e.g. "europe/london")."""
    if type(value) is str and value in _zone_names:
        return _zone_names[value]
    name = _name(value, field)
    try:
        canonical = resolve_zone(name).zone
    except (pytz.UnknownTimeZoneError, ValueError, OSError):
        raise RequestError(field, N_("%(value)s is not a known time zone"), {"value": _describe(value)}) from None
    _zone_names[name] = canonical
    return canonical


def _specialist(value: Any, field: str) -> SpecialistSpec:
    spec = _object(value, field, _SPECIALIST_KEYS)
    specialist_id = _name(_required(spec, "id", field), _field(field, "id"))
    timezone = _timezone(_required(spec, "timezone", field), _field(field, "timezone"))
    disciplines = _disciplines(_required(spec, "disciplines", field), _field(field, "disciplines"))
    return SpecialistSpec(
        id=specialist_id,
        timezone=timezone,
        disciplines=disciplines,
        weekly_hours=_weekly_hours(_required(spec, "weekly_hours", field), _field(field, "weekly_hours")),
        busy=_busy(spec["busy"], _field(field, "busy")) if "busy" in spec else (),
        date_overrides=_date_overrides(spec["date_overrides"], _field(field, "date_overrides"))
        if "date_overrides" in spec
        else {},
    )


def _disciplines(value: Any, field: str) -> tuple[str, ...]:
    items = _array(value, field)
    for index, item in enumerate(items):
        if type(item) is not str or not item.strip():
            _name(item, f"{field}[{index}]")
    return tuple(items)


def _specialists(value: Any) -> tuple[SpecialistSpec, ...]:
    specialists = []
    seen: set[str] = set()
    for index, item in enumerate(_array(value, "specialists")):
        spec = _specialist(item, f"specialists[{index}]")
        if spec.id in seen:
            raise RequestError(f"specialists[{index}].id", N_("duplicate id %(value)s"), {"value": _describe(spec.id)})
        seen.add(spec.id)
        specialists.append(spec)
    return tuple(specialists)


def _attendees(value: Any, known: dict[str, SpecialistSpec]) -> tuple[str, ...]:
    attendees: list[str] = []
    for index, item in enumerate(_array(value, "attendees")):
        field = f"attendees[{index}]"
        attendee = _name(item, field)
        if attendee not in known:
            raise RequestError(field, N_("%(value)s is not the id of any specialist"), {"value": _describe(attendee)})
        if attendee in attendees:
            raise RequestError(field, N_("duplicate attendee %(value)s"), {"value": _describe(attendee)})
        attendees.append(attendee)
    return tuple(attendees)


def _requirements(
    value: Any, known: dict[str, SpecialistSpec], attendees: set[str]
) -> tuple[Requirement, ...]:
    requirements: list[Requirement] = []
    for index, item in enumerate(_array(value, "requirements")):
        field = f"requirements[{index}]"
        entry = _object(item, field, _REQUIREMENT_KEYS)
        discipline = _name(_required(entry, "discipline", field), f"{field}.discipline")
        if any(existing.discipline == discipline for existing in requirements):
            raise RequestError(f"{field}.discipline", N_("%(value)s is required twice; add up the counts"),
                               {"value": _describe(discipline)})
        count = _integer(entry.get("count", 1), f"{field}.count", 1, 10_000)
        preferred = _preferred(entry.get("preferred", []), f"{field}.preferred", discipline, known, attendees)
        requirements.append(Requirement(discipline, count, preferred))
    return tuple(requirements)


def _preferred(
    value: Any, field: str, discipline: str, known: dict[str, SpecialistSpec], attendees: set[str]
) -> tuple[str, ...]:
    preferred: list[str] = []
    for index, item in enumerate(_array(value, field)):
        item_field = f"{field}[{index}]"
        person = _name(item, item_field)
        if person not in known:
            raise RequestError(item_field, N_("%(value)s is not the id of any specialist"), {"value": _describe(person)})
        if discipline not in known[person].disciplines:
            raise RequestError(item_field, N_("%(person)s does not hold %(discipline)s"),
                               {"person": _describe(person), "discipline": _describe(discipline)})
        if person in attendees:
            raise RequestError(item_field, N_("%(value)s is an attendee and cannot fill a seat"), {"value": _describe(person)})
        if person not in preferred:
            preferred.append(person)
    return tuple(preferred)

