"""Typed values shared by the matching engine, its JSON contract and the ranking helpers.

Every datetime held here is timezone-aware and in UTC; wall-clock times are kept as
minutes after local midnight, never as naive datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Mapping

UTC = timezone.utc

#: JSON weekday keys, indexed like `date.weekday()` (Monday is 0).
WEEKDAY_KEYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

MINUTES_PER_DAY = 24 * 60


class RequestError(ValueError):
    """A request that breaks the contract.

    `field` is a JSON-path-like name of the offending value (e.g.
    ``specialists[3].weekly_hours.fri[0]``) and `message` says in English what is wrong with it: the
    `template` (marked for the catalogues) filled with `params`, so a page can say it in its reader's
    language.
    """

    def __init__(self, field: str, template: str, params: dict | None = None) -> None:
        self.field = field
        self.template = template
        self.params = dict(params or {})
        self.message = template % self.params if self.params else template
        super().__init__(f"{field}: {self.message}")


def require_utc(value: datetime, name: str) -> None:
    """Refuse naive datetimes at the public boundary (house rule)."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


@dataclass(frozen=True, slots=True)
class WallClockRange:
    """A half-open local wall-clock range ``[start_minute, end_minute)`` on one local date.

    `end_minute` is 1..1440 (1440 is "24:00"). When `end_minute` is before
    `start_minute` the range runs past midnight into the next local date.
    """

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < MINUTES_PER_DAY:
            raise ValueError(f"start_minute out of range: {self.start_minute}")
        if not 0 <= self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(f"end_minute out of range: {self.end_minute}")
        if self.start_minute == self.end_minute:
            raise ValueError("an empty range (start equals end) is not allowed")

    @property
    def crosses_midnight(self) -> bool:
        return self.end_minute < self.start_minute

    @property
    def minutes_after_local_midnight(self) -> tuple[int, int]:
        """(start, end) measured from the local midnight that starts the range's date."""
        end = self.end_minute + (MINUTES_PER_DAY if self.crosses_midnight else 0)
        return self.start_minute, end


WeeklyHours = Mapping[int, tuple[WallClockRange, ...]]
DateOverrides = Mapping[date, tuple[WallClockRange, ...]]
UtcInterval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class SpecialistSpec:
    """One specialist: who they are, where their wall clock is, and when they work.

    `weekly_hours` maps a weekday (0 = Monday) to its ranges; a missing weekday means no
    work. `date_overrides` maps a local date to ranges that replace that date's weekly
    ranges (an empty tuple is a day off). `busy` holds half-open UTC intervals.
    """

    id: str
    timezone: str
    disciplines: tuple[str, ...] = ()
    weekly_hours: WeeklyHours = field(default_factory=dict)
    busy: tuple[UtcInterval, ...] = ()
    date_overrides: DateOverrides = field(default_factory=dict)

    def __post_init__(self) -> None:
        for start, end in self.busy:
            if start.utcoffset() is None or end.utcoffset() is None:  # fast path first
                require_utc(start, f"{self.id}.busy start")
                require_utc(end, f"{self.id}.busy end")

    def ranges_on(self, local_date: date) -> tuple[WallClockRange, ...]:
        """The ranges that start on `local_date` (an override wins over the weekly rule)."""
        if local_date in self.date_overrides:
            return self.date_overrides[local_date]
        return self.weekly_hours.get(local_date.weekday(), ())


@dataclass(frozen=True, slots=True)
class Requirement:
    """`count` seats for `discipline`; `preferred` ids (e.g. on call) are tried first."""

    discipline: str
    count: int = 1
    preferred: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchRequest:
    """A validated search: the window, the slot grid, who must come and who may fill seats."""

    window_start: datetime
    window_end: datetime
    duration_minutes: int
    requirements: tuple[Requirement, ...]
    specialists: tuple[SpecialistSpec, ...]
    step_minutes: int = 15
    limit: int = 10
    attendees: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_utc(self.window_start, "window_start")
        require_utc(self.window_end, "window_end")
        for name in ("duration_minutes", "step_minutes", "limit"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.step_minutes)


@dataclass(frozen=True, slots=True)
class Slot:
    """A feasible meeting: aware UTC `start`/`end` and one valid seat assignment.

    `assignment` maps each required discipline to the sorted ids filling its seats.
    """

    start: datetime
    end: datetime
    assignment: dict[str, list[str]]

    def __post_init__(self) -> None:
        # Inlined fast check: the engine builds thousands of slots per search.
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            require_utc(self.start, "start")
            require_utc(self.end, "end")

    @property
    def seat_holders(self) -> list[str]:
        return [person for ids in self.assignment.values() for person in ids]
