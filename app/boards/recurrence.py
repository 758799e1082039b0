"""A board's recurrence: a weekly or fortnightly wall-clock rule in the host's zone, as UTC instants.

Plain Python (no Flask, no database). The rule is "weekday W at start time T, host wall clock,
every week or every other week". It is expanded local date by local date with the zone's real
offsets, so the host's clock stays fixed across daylight-saving changes and the UTC instant moves
(a board at 14:00 Europe/London is 14:00Z in winter and 13:00Z in summer).

Policies for wall-clock readings that do not map to exactly one instant:

* DST gap (the clocks skip T on that date): the meeting starts T + the gap's length, i.e. T read
  with the offset in force just before the gap (01:30 in London's 01:00→02:00 gap is 02:30 BST).
* Repeated hour (the clocks read T twice on that date): the first of the two instants.

Fortnightly rules meet only in weeks (Monday to Sunday, host's calendar) an even number of weeks
from the week of the anchor date. The anchor fixes parity only; it is not a first meeting.

A meeting lasts `duration` of real time: `ends_at = starts_at + duration`, even when the clocks
change during it.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from app.timekeeping import ensure_utc, from_local, to_local, validate_zone

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Occurrence(NamedTuple):
    """One meeting of a series: the host's local date and its UTC start and end."""

    local_date: date
    starts_at: datetime
    ends_at: datetime


def _duration(value) -> timedelta:
    """A timedelta, or whole minutes as an int."""
    if isinstance(value, timedelta):
        duration = value
    elif isinstance(value, int) and not isinstance(value, bool):
        duration = timedelta(minutes=value)
    else:
        raise TypeError(f"duration must be a timedelta or whole minutes, got {value!r}")
    if duration <= timedelta(0):
        raise ValueError("duration must be positive")
    return duration


def _check_rule(weekday: int, start_time: time, zone: str, interval_weeks: int) -> None:
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
    if not isinstance(start_time, time) or start_time.tzinfo is not None:
        raise ValueError("start_time must be a naive wall-clock time")
    if interval_weeks not in (1, 2):
        raise ValueError(f"interval_weeks must be 1 or 2, got {interval_weeks!r}")
    validate_zone(zone)


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def meets_on(local_date: date, weekday: int, interval_weeks: int, anchor_date: date) -> bool:
    """Whether the rule has a meeting on this local date of the host."""
    if local_date.weekday() != weekday:
        return False
    weeks_apart = (week_start(local_date) - week_start(anchor_date)).days // 7
    return weeks_apart % interval_weeks == 0


def wall_clock_instant(local_date: date, start_time: time, zone: str) -> datetime:
    """The UTC instant of `start_time` on `local_date` in `zone`, with this module's policies.

    A reading in a gap is shifted forward by the gap. A repeated reading takes the earlier
    instant (`from_local` gets this right even where the tz database calls winter time
    "daylight saving", as for Europe/Dublin and Africa/Casablanca).
    """
    reading = datetime.combine(local_date, start_time.replace(tzinfo=None))
    return from_local(reading, zone, nonexistent="shift", ambiguous="earlier")


def occurrence_on(local_date: date, weekday: int, start_time: time, zone: str, interval_weeks: int,
                  anchor_date: date, duration) -> Occurrence | None:
    """The meeting on this local date, or None if the rule does not meet that day."""
    _check_rule(weekday, start_time, zone, interval_weeks)
    length = _duration(duration)
    if not meets_on(local_date, weekday, interval_weeks, anchor_date):
        return None
    starts_at = wall_clock_instant(local_date, start_time, zone)
    return Occurrence(local_date, starts_at, starts_at + length)


def occurrences(weekday: int, start_time: time, zone: str, interval_weeks: int, anchor_date: date,
                duration, from_instant: datetime, to_instant: datetime) -> list[Occurrence]:
    """Every meeting whose start lies in [from_instant, to_instant), in order.

    `duration` is a timedelta or whole minutes. Instants must be aware; results are UTC.
    """
    _check_rule(weekday, start_time, zone, interval_weeks)
    length = _duration(duration)
    start, end = ensure_utc(from_instant), ensure_utc(to_instant)
    if end <= start:
        return []
    # Local dates whose meeting could start in the window; a day either side covers any offset
    # and a start shifted through a gap.
    first = to_local(start, zone).date() - timedelta(days=1)
    last = to_local(end, zone).date() + timedelta(days=1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    found = []
    while day <= last:
        if meets_on(day, weekday, interval_weeks, anchor_date):
            starts_at = wall_clock_instant(day, start_time, zone)
            if start <= starts_at < end:
                found.append(Occurrence(day, starts_at, starts_at + length))
        day += timedelta(days=7)
    return found


def next_occurrence(weekday: int, start_time: time, zone: str, interval_weeks: int, anchor_date: date,
                    duration, after: datetime) -> Occurrence:
    """The first meeting starting at or after `after`."""
    found = occurrences(weekday, start_time, zone, interval_weeks, anchor_date, duration,
                        after, ensure_utc(after) + timedelta(weeks=3))
    return found[0]


def describe(weekday: int, start_time: time, zone: str, interval_weeks: int, duration_minutes: int) -> str:
    """E.g. 'Thursdays 14:00-16:00 Asia/Shanghai, weekly' (the host's wall clock)."""
    begin = datetime.combine(date(2000, 1, 3), start_time)
    finish = begin + timedelta(minutes=duration_minutes)
    every = "weekly" if interval_weeks == 1 else "every other week"
    return f"{WEEKDAY_NAMES[weekday]}s {begin:%H:%M}-{finish:%H:%M} {zone}, {every}"
