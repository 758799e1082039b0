"""An independent brute-force model of a board's recurrence, for property tests.

It shares no code with `app.boards.recurrence` nor pytz: `zoneinfo` loaded from the `tzdata`
package (the same IANA release as pytz; the system tz database may be older), fortnight parity
by day differences from the anchor week's meeting day, and each start found by walking UTC
minute by minute until the wall clock first reads the start time (the first of a repeated
reading) or jumps past it (a gap: the reading taken with the offset before the gap).
Exact while every offset change falls on a whole minute, as all do since 1980.
"""
from __future__ import annotations

import importlib.resources
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

ONE_MINUTE = timedelta(minutes=1)


@lru_cache(maxsize=None)
def model_zone(name: str) -> ZoneInfo:
    resource = importlib.resources.files("tzdata").joinpath("zoneinfo", *name.split("/"))
    with resource.open("rb") as handle:
        return ZoneInfo.from_file(handle, key=name)


def wall(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(model_zone(zone)).replace(tzinfo=None)


def model_start(local_date: date, start_time: time, zone: str) -> datetime:
    target = datetime.combine(local_date, start_time)
    # Offsets lie between -12:00 and +14:00, so the instant is between target-14h and target+12h.
    instant = target.replace(tzinfo=timezone.utc) - timedelta(hours=14, minutes=1)
    stop = instant + timedelta(hours=27)
    while instant < stop:
        reading = wall(instant, zone)
        if reading >= target:
            if reading == target:
                return instant
            gap_starts = wall(instant - ONE_MINUTE, zone) + ONE_MINUTE
            return instant + (target - gap_starts)
        instant += ONE_MINUTE
    raise AssertionError("no instant found")


def model_meets(local_date: date, weekday: int, interval_weeks: int, anchor: date) -> bool:
    first = anchor + timedelta(days=weekday - anchor.weekday())  # the meeting day of the anchor's week
    return local_date.weekday() == weekday and (local_date - first).days % (7 * interval_weeks) == 0


def model_occurrences(weekday, start_time, zone, interval_weeks, anchor, duration: timedelta,
                      start: datetime, end: datetime):
    found = []
    day = start.date() - timedelta(days=2)
    while day <= end.date() + timedelta(days=2):
        if model_meets(day, weekday, interval_weeks, anchor):
            begins = model_start(day, start_time, zone)
            if start <= begins < end:
                found.append((day, begins, begins + duration))
        day += timedelta(days=1)
    return found


@lru_cache(maxsize=None)
def transition_days(zone: str, first_year: int = 2024, last_year: int = 2032) -> tuple[date, ...]:
    """UTC dates on which the zone's offset changes (noon to noon), to aim windows at."""
    days = []
    day = date(first_year, 1, 1)
    previous = None
    while day.year <= last_year:
        offset = datetime.combine(day, time(12), timezone.utc).astimezone(model_zone(zone)).utcoffset()
        if previous is not None and offset != previous:
            days.append(day)
        previous = offset
        day += timedelta(days=1)
    return tuple(days)
