"""Time helpers: the one place where instants are made, parsed, converted and checked.

Rules of the house: instants are timezone-aware UTC everywhere inside Meridian; named zones
come from pytz (which ships its own tz database) and are only used at the edges, through
`localize`/`astimezone`, never as a `tzinfo=` argument.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pytz

from app.errors import InvalidValue
from app.vocabulary import N_

UTC = timezone.utc

# ISO 8601 date-time with a mandatory offset ("Z" or ±HH:MM); seconds and fractions optional.
_ISO_INSTANT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$",
    re.IGNORECASE,
)


# The years Meridian handles: far enough either side for any clinical record, and away from the
# ends of `datetime`, where converting zones or adding a week would overflow.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199
YEAR_RANGE_MESSAGE = N_("must be between the years %(first)s and %(last)s")


def check_supported_year(value):
    """Return `value` (a date or datetime) unchanged, or raise InvalidValue (a ValueError) fit to show a
    person: its template and params put it into the reader's language."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InvalidValue(YEAR_RANGE_MESSAGE, {"first": EARLIEST_YEAR, "last": LATEST_YEAR})
    return value


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone reached code that needs an instant."""


def now_utc() -> datetime:
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Return `value` as a UTC datetime; refuse naive ones instead of guessing their zone."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(f"naive datetime {value.isoformat()} has no time zone")
    return value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 date-time that carries an offset; return it in UTC.

    Raises ValueError with a message fit to show a person.
    """
    if not isinstance(text, str):
        raise ValueError("must be an ISO 8601 date-time string")
    match = _ISO_INSTANT.match(text.strip())
    if not match:
        raise ValueError(
            "must be an ISO 8601 date-time with a time-zone offset, e.g. 2026-03-29T09:30:00Z"
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
            int((fraction or ".0")[1:].ljust(6, "0")),
        )
    except ValueError as exc:
        raise ValueError(f"is not a valid date-time ({exc})") from None
    check_supported_year(local)
    if offset.upper() == "Z":
        delta = timedelta(0)
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            raise ValueError("has an out-of-range offset")
        delta = sign * timedelta(hours=hours, minutes=minutes)
    return (local - delta).replace(tzinfo=UTC)


def format_instant(value: datetime) -> str:
    """ISO 8601 in UTC with a trailing Z, to the second (what the API returns)."""
    return utc_to_the_second(value).isoformat()[:-6] + "Z"   # drops "+00:00"


def utc_to_the_second(value: datetime) -> datetime:
    """The instant in UTC without its fraction of a second: what `format_instant` writes, as a value."""
    # Instants read from the database are already UTC: the API has four per listed case.
    utc_value = value if isinstance(value, datetime) and value.tzinfo is UTC else ensure_utc(value)
    return utc_value.replace(microsecond=0)


def is_valid_zone(name: str) -> bool:
    return isinstance(name, str) and name in pytz.all_timezones_set


def validate_zone(name: str) -> str:
    """Return `name` if it is an IANA zone pytz knows; raise ValueError otherwise."""
    if not is_valid_zone(name):
        raise InvalidValue(N_("%(zone_name)s is not a known IANA time zone (e.g. Asia/Kathmandu)"),
                           params={"zone_name": repr(name)})
    return name


def get_zone(name: str):
    return pytz.timezone(validate_zone(name))


def to_local(value: datetime, zone_name: str) -> datetime:
    """The wall-clock reading of an instant in a named zone (aware, pytz-normalised)."""
    return ensure_utc(value).astimezone(get_zone(zone_name))


def format_local(value: datetime, zone_name: str) -> str:
    """The wall-clock time in `zone_name` as ISO 8601 with its offset, to the second."""
    return to_local(value, zone_name).replace(microsecond=0).isoformat()


def from_local(
    wall_clock: datetime, zone_name: str, *, nonexistent: str = "shift", ambiguous: str = "earlier"
) -> datetime:
    """Turn a naive wall-clock reading in `zone_name` into a UTC instant.

    nonexistent: a reading inside a spring-forward gap is "shift"ed forward by the gap's
    length (02:30 in a 02:00→03:00 gap becomes 03:30) or "raise"s ValueError.
    ambiguous: a reading in a repeated hour is the "earlier" or "later" occurrence, or "raise"s.
    """
    if wall_clock.tzinfo is not None:
        raise ValueError("from_local takes a wall-clock reading without tzinfo")
    zone = get_zone(zone_name)
    try:
        return zone.localize(wall_clock, is_dst=None).astimezone(UTC)
    except pytz.NonExistentTimeError:
        if nonexistent == "raise":
            raise ValueError(
                f"{wall_clock:%Y-%m-%d %H:%M} does not exist in {zone_name} (clocks skip it)"
            ) from None
        # Read at the pre-gap offset, which lands past the gap: the later of the two readings
        # (asking for both keeps this right where the tz data inverts is_dst, as Europe/Dublin does).
        return max(zone.localize(wall_clock, is_dst=flag).astimezone(UTC) for flag in (True, False))
    except pytz.AmbiguousTimeError:
        if ambiguous == "raise":
            raise ValueError(
                f"{wall_clock:%Y-%m-%d %H:%M} happens twice in {zone_name} (clocks go back)"
            ) from None
        # Compare both readings: zones whose winter time is the "DST" one (Europe/Dublin) invert is_dst.
        readings = [zone.localize(wall_clock, is_dst=flag).astimezone(UTC) for flag in (True, False)]
        return min(readings) if ambiguous == "earlier" else max(readings)


def local_midnight(day: date, zone_name: str) -> datetime:
    """The first instant of a local date (which is not 00:00 where midnight falls in a gap)."""
    return from_local(datetime.combine(day, time(0)), zone_name)


def utc_offset_label(value: datetime, zone_name: str) -> str:
    """E.g. '+05:45' for Asia/Kathmandu: shown beside local times so nobody has to guess."""
    offset = to_local(value, zone_name).utcoffset()
    total = int(offset.total_seconds() // 60)
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


# --- Showing instants to a person: their zone *and* their language (Babel's CLDR data). ---------

# English in an international network is written day-month-year with a 24-hour clock (as in en_GB).
_FORMAT_LOCALE = {"en": "en_GB"}

# What a page wants to show -> (CLDR date skeleton, CLDR time skeleton); the locale orders the parts.
_STYLES = {
    "long": ("yMMMEd", "Hm"),          # Thu, 26 Nov 2026, 09:43 / 2026年11月26日周四 09:43 / чт, 26 нояб. 2026 г., 09:43
    "long_seconds": ("yMMMEd", "Hms"),  # Thu, 26 Nov 2026, 09:43:05 (audit trails)
    "short": ("MMMEd", "Hm"),          # Thu 26 Nov, 09:43
    "day_time": ("MMMd", "Hm"),        # 26 Nov, 09:43
    "weekday_time": ("E", "Hm"),       # Thu, 09:43
    "time": (None, "Hm"),              # 09:43
    "date": ("yMMMd", None),           # 26 Nov 2026
    "weekday_date": ("yMMMEd", None),  # Thu, 26 Nov 2026
    "day": ("MMMd", None),             # 26 Nov
    "weekday": ("EEEE", None),         # Thursday / 星期四 / четверг
    "weekday_day": ("MMMEd", None),    # Thu 26 Nov
}


def reader_locale(code: str | None):
    """The Babel locale that formats for a language code ('en', 'zh', 'ru', 'kk', ...)."""
    from babel import Locale

    code = code or "en"
    return Locale.parse(_FORMAT_LOCALE.get(code, code))


def country_name_for_reader(code: str, locale_code: str | None) -> str:
    """An ISO 3166 country code as the reader's language names it ('Kenya', 'Кения', '肯尼亚'); an
    unknown code as it is."""
    return reader_locale(locale_code).territories.get(code.upper(), code)


def _join(locale, date_text: str | None, time_text: str | None) -> str:
    if date_text and time_text:
        return locale.datetime_formats["medium"].replace("{1}", date_text).replace("{0}", time_text)
    return date_text or time_text or ""


def zone_name_for_reader(zone_name: str, locale_code: str | None) -> str:
    """A zone as the reader's language names it: its city in CLDR ('上海', 'Москва'), the IANA name in English."""
    if (locale_code or "en") == "en":
        return zone_name
    return zone_place_for_reader(zone_name, locale_code)


def zone_place_for_reader(zone_name: str, locale_code: str | None) -> str:
    """A zone by the place that names it in the reader's language, English included ('Kathmandu',
    'Катманду', '加德满都'): for a sentence about someone's local time, where an IANA id would read as code.
    A zone CLDR names no place for (UTC) keeps its id."""
    from babel.dates import get_timezone_location

    locale = reader_locale(locale_code)
    # CLDR keeps some cities under their older IANA names (Asia/Calcutta for Asia/Kolkata).
    for name in (zone_name, *_older_zone_names().get(zone_name, ())):
        city = (locale.time_zones.get(name) or {}).get("city")
        if city:
            return city
    try:
        return get_timezone_location(get_zone(zone_name), locale=locale, return_city=True)
    except (LookupError, ValueError):
        return zone_name


_OLDER_NAMES: dict[str, tuple[str, ...]] = {}


def _older_zone_names() -> dict[str, tuple[str, ...]]:
    if not _OLDER_NAMES:
        from babel.core import get_global

        for older, current in get_global("zone_aliases").items():
            _OLDER_NAMES[current] = _OLDER_NAMES.get(current, ()) + (older,)
    return _OLDER_NAMES


def _format_part(skeleton: str, value: datetime, zone, locale) -> str:
    from babel.dates import format_datetime, format_skeleton

    if skeleton == "EEEE":  # a bare weekday: the pattern itself (skeleton matching would abbreviate it)
        return format_datetime(value, "EEEE", tzinfo=zone, locale=locale)
    return format_skeleton(skeleton, value, tzinfo=zone, locale=locale)


def format_for_reader(value: datetime, zone_name: str, locale_code: str | None, style: str = "long",
                      *, name_zone: bool = True, keep_offset: bool = False) -> str:
    """An instant as the reader writes it, in their zone, with the zone and its UTC offset named.

    E.g. 'Thu, 26 Nov 2026, 09:43 (Asia/Shanghai, UTC+08:00)' or
    'чт, 26 нояб. 2026 г., 04:43 (Москва, UTC+03:00)'.
    """
    locale = reader_locale(locale_code)
    zone = get_zone(zone_name)
    instant = ensure_utc(value)
    if keep_offset:  # a reading already in its own zone (an aware local time from the API): show it as is
        zone, instant = value.tzinfo, value
    date_skeleton, time_skeleton = _STYLES[style]
    text = _join(locale,
                 _format_part(date_skeleton, instant, zone, locale) if date_skeleton else None,
                 _format_part(time_skeleton, instant, zone, locale) if time_skeleton else None)
    if name_zone:
        text += f" ({zone_name_for_reader(zone_name, locale_code)}, UTC{utc_offset_label(instant, zone_name)})"
    return text


def format_day_for_reader(day: date, locale_code: str | None, style: str = "date") -> str:
    """A calendar date (no instant, no zone) as the reader writes it."""
    date_skeleton, _ = _STYLES[style]
    return _format_part(date_skeleton, datetime.combine(day, time(12), tzinfo=UTC), UTC, reader_locale(locale_code))


@dataclass(frozen=True)
class LocalTime:
    """An instant as read on the wall clock of a named zone (e.g. someone's own time), in a domain message's
    params: ISO 8601 with its offset where the message is filled in English (`str(error)`, logs); at the edge
    (app.errorhandlers.reader_value) in the reader's language, still on that zone's clock ('Thu 26 Nov, 02:00',
    'чт, 26 нояб., 02:00', '11月26日周四 02:00'). Name its zone beside it with a `ZoneName`."""

    instant: datetime
    zone: str

    def __post_init__(self):
        object.__setattr__(self, "instant", ensure_utc(self.instant))
        validate_zone(self.zone)

    def __str__(self) -> str:
        return format_local(self.instant, self.zone)

    def for_reader(self, locale_code: str | None) -> str:
        return format_for_reader(self.instant, self.zone, locale_code, "short", name_zone=False)


class ZoneName(str):
    """An IANA zone in a domain message's params: its id where the message is filled in English (logs); at the
    edge (app.errorhandlers.reader_value) the place that names it, in the reader's language
    (`zone_place_for_reader`: 'Kathmandu', 'Катманду', '加德满都')."""

    def for_reader(self, locale_code: str | None) -> str:
        return zone_place_for_reader(str(self), locale_code)


class Weekday(int):
    """A weekday's index (Monday 0, as `date.weekday()`) that reads as its English name where a message is
    filled in English (`str(error)`, logs). In a domain message's params under a name ending in `weekday`, the
    edge shows it in the reader's language (app.errorhandlers.reader_value, through `weekday_for_reader`)."""

    ENGLISH = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

    def __new__(cls, index: int):
        if not 0 <= int(index) <= 6:
            raise ValueError(f"a weekday is 0 (Monday) to 6 (Sunday), not {index}")
        return super().__new__(cls, index)

    def __str__(self) -> str:
        return self.ENGLISH[self]


def weekday_for_reader(index: int, locale_code: str | None, width: str = "wide") -> str:
    """Monday is 0, as in `date.weekday()`."""
    return reader_locale(locale_code).days["format"][width][index]


def format_time_of_day_for_reader(value: time, locale_code: str | None) -> str:
    from babel.dates import format_skeleton

    return format_skeleton("Hm", datetime.combine(date(2000, 1, 3), value), locale=reader_locale(locale_code))


def format_relative_for_reader(delta: timedelta, locale_code: str | None) -> str:
    """'in 2 days' / '3 hours ago' / '2天后' / 'через 2 дня' (positive deltas are in the future)."""
    from babel.dates import format_timedelta

    return format_timedelta(delta, add_direction=True, locale=reader_locale(locale_code))


def format_duration_for_reader(delta: timedelta, locale_code: str | None, *, format: str = "long") -> str:
    """'2 days' / '2天' / '2 дня' (rounded to the largest sensible unit)."""
    from babel.dates import format_timedelta

    return format_timedelta(abs(delta), format=format, locale=reader_locale(locale_code))


def format_days_ahead_for_reader(days: int, locale_code: str | None) -> str:
    """'in 20 days' / '20天后' / 'через 20 дней': counted in days, never rounded to weeks or months."""
    from babel.dates import format_timedelta

    return format_timedelta(timedelta(days=days), threshold=100, granularity="day", add_direction=True,
                            locale=reader_locale(locale_code))
