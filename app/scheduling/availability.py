"""Expansion of weekly wall-clock rules into UTC intervals.

Definition (authoritative): a specialist works at instant t when the wall clock of their
zone at t reads a time inside one of the ranges of that local date (or inside the part of
the previous date's overnight range that runs past midnight). Each range is therefore a
half-open interval of *local* time, and the instants whose wall clock lies in it are found
span by span (see `zones.py`). A range over a DST gap is shorter; a range over a repeated
hour contains both occurrences; a date whose midnight falls in a gap simply starts later.

Internally everything is whole seconds since the epoch ("local seconds" are the same count
read on the local wall clock). The public functions take and return aware UTC datetimes.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime
from typing import Sequence

from .models import SpecialistSpec, UtcInterval, WallClockRange, require_utc
from .zones import (
    SECONDS_PER_DAY,
    OffsetSpan,
    day_number,
    from_epoch_seconds,
    offset_spans,
    to_epoch_seconds,
    to_epoch_seconds_ceil,
)

SecondsInterval = list[int]  # [start, end) as a two-item list, so merging can extend it
_WEEK_START_OFFSET = 3  # 1970-01-01 was a Thursday: weekday(day) = (day + 3) % 7


def _range_seconds(ranges: Sequence[WallClockRange]) -> tuple[tuple[int, int], ...]:
    """Ranges as (start, end) seconds after local midnight, sorted by start."""
    spans = []
    for wall_range in ranges:
        start, end = wall_range.minutes_after_local_midnight
        spans.append((start * 60, end * 60))
    return tuple(sorted(spans))


def _week_template(spec: SpecialistSpec) -> list[tuple[int, int]]:
    """Every weekly range as (start, end) local seconds after Monday 00:00, sorted by start."""
    template = []
    for weekday, ranges in spec.weekly_hours.items():
        base = weekday * SECONDS_PER_DAY
        for wall_range in ranges:
            start, end = wall_range.minutes_after_local_midnight
            template.append((base + start * 60, base + end * 60))
    template.sort()
    return template


def local_working_seconds(spec: SpecialistSpec, first_day: int, last_day: int) -> list[SecondsInterval]:
    """Local-second intervals of the ranges starting on days first..last, sorted by start.

    Intervals may overlap or touch; `local_to_utc` merges after mapping (mapping first is
    just as correct, since the instants of a union are the union of the instants).
    """
    if spec.date_overrides:
        return _local_seconds_by_date(spec, first_day, last_day)
    lowest, highest = first_day * SECONDS_PER_DAY, (last_day + 1) * SECONDS_PER_DAY
    first_monday = first_day - (first_day + _WEEK_START_OFFSET) % 7
    template = _week_template(spec)
    intervals: list[SecondsInterval] = []
    for week_start in range(first_monday * SECONDS_PER_DAY, highest, 7 * SECONDS_PER_DAY):
        for start, end in template:
            start += week_start
            if lowest <= start < highest:
                intervals.append([start, end + week_start])
    return intervals


def _local_seconds_by_date(spec: SpecialistSpec, first_day: int, last_day: int) -> list[SecondsInterval]:
    """As `local_working_seconds`, date by date, so per-date overrides can replace a day."""
    weekly = tuple(_range_seconds(spec.weekly_hours.get(weekday, ())) for weekday in range(7))
    overrides = {
        day_number(local_date): _range_seconds(ranges) for local_date, ranges in spec.date_overrides.items()
    }
    intervals: list[SecondsInterval] = []
    for day in range(first_day, last_day + 1):
        ranges = overrides[day] if day in overrides else weekly[(day + _WEEK_START_OFFSET) % 7]
        base = day * SECONDS_PER_DAY
        intervals.extend([base + start, base + end] for start, end in ranges)
    return intervals


def _add_clipped(merged: list[SecondsInterval], start: int, end: int, lowest: int, highest: int) -> None:
    """Clip [start, end) to [lowest, highest) and add it to `merged` (sorted input; touching or
    overlapping intervals are joined)."""
    start, end = max(start, lowest), min(end, highest)
    if start >= end:
        return
    if merged and start <= merged[-1][1]:
        if end > merged[-1][1]:
            merged[-1][1] = end
    else:
        merged.append([start, end])


def local_to_utc(local: Sequence[SecondsInterval], spans: Sequence[OffsetSpan]) -> list[SecondsInterval]:
    """UTC intervals of the instants whose wall clock lies in `local`, within the spans.

    `local` must be sorted by start. Spans are visited in time order and each yields
    output sorted by start, so one pass merges everything: overlapping ranges, and pieces
    that touch across a transition (e.g. a range through a fall-back), because a meeting
    may run straight across the change.
    """
    merged: list[SecondsInterval] = []
    for span in spans:
        offset, span_start, span_end = span.offset, span.start, span.end
        for local_start, local_end in local:
            start = local_start - offset
            end = local_end - offset
            _add_clipped(merged, start, end, span_start, span_end)
    return merged


def busy_seconds(spec: SpecialistSpec) -> list[SecondsInterval]:
    """Busy intervals merged and sorted, edges rounded outward to whole seconds.

    Slots start and end on whole seconds, so the rounding never changes a slot's fate.
    """
    rounded = sorted(
        (to_epoch_seconds(start), to_epoch_seconds_ceil(end)) for start, end in spec.busy
    )
    merged: list[SecondsInterval] = []
    for start, end in rounded:
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def subtract(
    intervals: Sequence[SecondsInterval], removed: Sequence[SecondsInterval]
) -> list[SecondsInterval]:
    """`intervals` minus `removed`; both sorted and merged, and so is the result.

    Busy intervals are few next to working intervals, so each one is located by bisection
    and only the intervals it overlaps are cut.
    """
    result = list(intervals)
    for gap_start, gap_end in removed:
        first = bisect_left(result, [gap_start, gap_start + 1])
        if first and result[first - 1][1] > gap_start:
            first -= 1
        last = first
        pieces = []
        while last < len(result) and result[last][0] < gap_end:
            start, end = result[last]
            if start < gap_start:
                pieces.append([start, gap_start])
            if end > gap_end:
                pieces.append([gap_end, end])
            last += 1
        result[first:last] = pieces
    return result


def working_seconds(spec: SpecialistSpec, start: int, end: int) -> list[SecondsInterval]:
    """UTC-second intervals of work within ``[start, end)``, merged and sorted."""
    if start >= end:
        return []
    spans = offset_spans(spec.timezone, start, end)
    offsets = [span.offset for span in spans]
    # A range starting on local date d ends before d + 2 days; cover every date whose
    # ranges can reach an instant of the window.
    first_day = (start + min(offsets)) // SECONDS_PER_DAY - 1
    last_day = (end - 1 + max(offsets)) // SECONDS_PER_DAY
    if len(spans) == 1 and not spec.date_overrides:
        return _weeks_at_one_offset(_week_template(spec), first_day, last_day, spans[0])
    return local_to_utc(local_working_seconds(spec, first_day, last_day), spans)


def _weeks_at_one_offset(
    template: Sequence[tuple[int, int]], first_day: int, last_day: int, span: OffsetSpan
) -> list[SecondsInterval]:
    """`local_to_utc(local_working_seconds(...), [span])` in one pass.

    The common case (no offset change in the window, no overrides) is most of the
    engine's work, so it skips the intermediate local list.
    """
    lowest, highest = first_day * SECONDS_PER_DAY, (last_day + 1) * SECONDS_PER_DAY
    first_monday = first_day - (first_day + _WEEK_START_OFFSET) % 7
    span_start, span_end = span.start, span.end
    merged: list[SecondsInterval] = []
    for week_start in range(first_monday * SECONDS_PER_DAY, highest, 7 * SECONDS_PER_DAY):
        shift = week_start - span.offset
        for local_start, local_end in template:
            if not lowest <= local_start + week_start < highest:
                continue
            start = local_start + shift
            end = local_end + shift
            _add_clipped(merged, start, end, span_start, span_end)
    return merged


def available_seconds(spec: SpecialistSpec, start: int, end: int) -> list[SecondsInterval]:
    """`working_seconds` minus the specialist's busy intervals."""
    return subtract(working_seconds(spec, start, end), busy_seconds(spec))


def _as_datetimes(intervals: Sequence[SecondsInterval], start: datetime, end: datetime) -> list[UtcInterval]:
    result = []
    for interval_start, interval_end in intervals:
        lower = max(start, from_epoch_seconds(interval_start))
        upper = min(end, from_epoch_seconds(interval_end))
        if lower < upper:
            result.append((lower, upper))
    return result


def _window_seconds(start: datetime, end: datetime) -> tuple[int, int]:
    require_utc(start, "start")
    require_utc(end, "end")
    return to_epoch_seconds(start), to_epoch_seconds_ceil(end)


def working_intervals(spec: SpecialistSpec, start: datetime, end: datetime) -> list[UtcInterval]:
    """UTC intervals (merged, sorted, clipped to ``[start, end)``) when the wall-clock
    rules say `spec` works, ignoring busy. Arguments and results are aware datetimes;
    results are in UTC.
    """
    lower, upper = _window_seconds(start, end)
    return _as_datetimes(working_seconds(spec, lower, upper), start, end)


def available_intervals(spec: SpecialistSpec, start: datetime, end: datetime) -> list[UtcInterval]:
    """`working_intervals` minus the busy intervals (busy edges rounded outward to whole
    seconds, which no whole-second slot can tell apart)."""
    lower, upper = _window_seconds(start, end)
    return _as_datetimes(available_seconds(spec, lower, upper), start, end)
