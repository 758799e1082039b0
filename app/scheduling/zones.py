"""UTC offsets of a pytz zone as integer spans, so wall-clock rules map to UTC exactly.

A zone's history is a list of UTC instants at which its offset changes. Between two such
instants the wall clock is UTC plus a constant, which is all the engine needs: the set of
instants whose wall clock falls in a local range is, span by span, that range shifted back
by the span's offset. Gaps and repeated hours then come out right without special cases.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import pytz

from .models import UTC

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
SECONDS_PER_DAY = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class OffsetSpan:
    """UTC seconds ``[start, end)`` during which local wall clock = UTC + `offset` seconds."""

    start: int
    end: int
    offset: int


def to_epoch_seconds(moment: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC, flooring any fraction (aware input only)."""
    return (moment - EPOCH) // _ONE_SECOND


def to_epoch_seconds_ceil(moment: datetime) -> int:
    """Whole seconds since the epoch, rounding any fraction up."""
    return -((EPOCH - moment) // _ONE_SECOND)


def from_epoch_seconds(seconds: int) -> datetime:
    """Aware UTC datetime for epoch seconds."""
    return EPOCH + timedelta(seconds=seconds)


def day_number(local_date: date) -> int:
    """Days since 1970-01-01, so local midnight is ``day_number * 86400`` local seconds."""
    return local_date.toordinal() - _EPOCH_ORDINAL


def date_of_day_number(number: int) -> date:
    return date.fromordinal(number + _EPOCH_ORDINAL)


def resolve_zone(name: str) -> pytz.BaseTzInfo:
    """The pytz zone for `name`; raises `pytz.UnknownTimeZoneError` for unknown names."""
    return pytz.timezone(name)


@lru_cache(maxsize=None)
def _offset_history(name: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(transition instants, offset from each instant on), both in whole seconds.

    pytz exposes its compiled transition table only through private attributes; when a
    zone has none (UTC, fixed-offset zones) its single offset applies forever.
    """
    zone = resolve_zone(name)
    transitions = getattr(zone, "_utc_transition_times", None)
    infos = getattr(zone, "_transition_info", None)
    if not transitions or not infos:
        fixed = zone.utcoffset(_NAIVE_EPOCH) or timedelta(0)
        return (-(2**62),), (fixed // _ONE_SECOND,)
    instants = tuple((moment - _NAIVE_EPOCH) // _ONE_SECOND for moment in transitions)
    offsets = tuple(info[0] // _ONE_SECOND for info in infos)
    # The first pytz entry is the zone's oldest offset; make it reach back to the dawn of time.
    return (-(2**62),) + instants[1:], offsets


@lru_cache(maxsize=4096)
def offset_spans(name: str, start: int, end: int) -> tuple[OffsetSpan, ...]:
    """The offset spans of zone `name` covering UTC seconds ``[start, end)``, clipped to it.

    After pytz's last compiled transition (2037) its last offset is used, as pytz does.
    """
    instants, offsets = _offset_history(name)
    index = bisect_right(instants, start) - 1
    spans: list[OffsetSpan] = []
    while index < len(instants) and instants[index] < end:
        span_end = instants[index + 1] if index + 1 < len(instants) else end
        spans.append(OffsetSpan(max(start, instants[index]), min(end, span_end), offsets[index]))
        index += 1
    return tuple(spans)
