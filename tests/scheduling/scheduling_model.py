"""An independent brute-force model of the matching contract, for property tests.

It shares no code with `app.scheduling`: it reads the raw JSON-shaped request, uses
`zoneinfo` (not pytz) loaded from the `tzdata` package (the same IANA release as pytz,
checked in test_scheduling_zones.py; the system tz database may be older), walks the
window minute by minute, and decides availability straight from the definition: the wall
clock at the instant reads a time inside a range of that local date, or inside the
after-midnight part of the previous date's overnight range. Seats are filled by trying
every ordered choice of distinct people.

The minute walk is exact when every boundary is on a whole minute: window, busy
intervals and (in 2026/2027) every zone offset used by the tests.
"""

from __future__ import annotations

import importlib.resources
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from itertools import permutations
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ONE_MINUTE = timedelta(minutes=1)


@lru_cache(maxsize=None)
def model_zone(name: str) -> ZoneInfo:
    """A ZoneInfo built from the tzdata package, never from /usr/share/zoneinfo."""
    resource = importlib.resources.files("tzdata").joinpath("zoneinfo", *name.split("/"))
    with resource.open("rb") as handle:
        return ZoneInfo.from_file(handle, key=name)


def clock_minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def ranges_for(specialist: dict, local_date: date) -> list[tuple[int, int]]:
    overrides = specialist.get("date_overrides", {})
    if local_date.isoformat() in overrides:
        raw = overrides[local_date.isoformat()]
    else:
        raw = specialist["weekly_hours"].get(WEEKDAYS[local_date.weekday()], [])
    return [(clock_minutes(start), clock_minutes(end)) for start, end in raw]


def works_at(specialist: dict, instant: datetime) -> bool:
    wall = instant.astimezone(model_zone(specialist["timezone"]))
    minute_of_day = wall.hour * 60 + wall.minute
    today = wall.date()
    for start, end in ranges_for(specialist, today):
        overnight = end < start
        if start <= minute_of_day and (overnight or minute_of_day < end):
            return True
    for start, end in ranges_for(specialist, today - timedelta(days=1)):
        if end < start and minute_of_day < end:
            return True
    return False


def minute_flags(specialist: dict, window_start: datetime, minutes: int, *, with_busy: bool = True) -> list[bool]:
    """Availability at each whole minute of the window (constant within the minute)."""
    busy = [(parse_instant(a), parse_instant(b)) for a, b in specialist.get("busy", [])] if with_busy else []
    flags = []
    for index in range(minutes):
        instant = window_start + index * ONE_MINUTE
        is_busy = any(start <= instant < end for start, end in busy)
        flags.append(not is_busy and works_at(specialist, instant))
    return flags


def _fill_seats(seats: list[str], people: list[str], disciplines: dict[str, set[str]]) -> list[str] | None:
    for chosen in permutations(people, len(seats)):
        if all(seat in disciplines[person] for seat, person in zip(seats, chosen)):
            return list(chosen)
    return None


class Model:
    """Feasibility of every slot start of one request, by brute force."""

    def __init__(self, request: dict) -> None:
        self.request = request
        self.window_start = parse_instant(request["window_start"])
        self.window_end = parse_instant(request["window_end"])
        self.minutes = int((self.window_end - self.window_start) / ONE_MINUTE)
        self.step = request.get("step_minutes", 15)
        self.duration = request["duration_minutes"]
        self.specialists = {spec["id"]: spec for spec in request["specialists"]}
        self.flags = {
            spec_id: minute_flags(spec, self.window_start, self.minutes) for spec_id, spec in self.specialists.items()
        }
        self.disciplines = {spec_id: set(spec["disciplines"]) for spec_id, spec in self.specialists.items()}
        self.attendees = list(request.get("attendees", []))
        self.seats = [req["discipline"] for req in request["requirements"] for _ in range(req.get("count", 1))]
        self._fill_cache: dict[frozenset, list[str] | None] = {}

    def available_whole(self, spec_id: str, first_minute: int) -> bool:
        return all(self.flags[spec_id][first_minute : first_minute + self.duration])

    def slot_offsets(self) -> list[int]:
        return list(range(0, self.minutes - self.duration + 1, self.step))

    def feasible_starts(self) -> list[datetime]:
        starts = []
        for offset in self.slot_offsets():
            if not all(self.available_whole(person, offset) for person in self.attendees):
                continue
            pool = frozenset(
                person
                for person in self.specialists
                if person not in self.attendees and self.available_whole(person, offset)
            )
            if pool not in self._fill_cache:
                self._fill_cache[pool] = _fill_seats(self.seats, sorted(pool), self.disciplines)
            if self._fill_cache[pool] is not None:
                starts.append(self.window_start + offset * ONE_MINUTE)
        return starts

    def assignment_problems(self, start: datetime, assignment: dict[str, list[str]]) -> list[str]:
        """Why `assignment` is not valid for the slot starting at `start` (empty if valid)."""
        offset = int((start - self.window_start) / ONE_MINUTE)
        problems = []
        required = {req["discipline"]: req.get("count", 1) for req in self.request["requirements"]}
        if set(assignment) != set(required):
            problems.append(f"disciplines {sorted(assignment)} != {sorted(required)}")
        everyone = [person for people in assignment.values() for person in people]
        if len(everyone) != len(set(everyone)):
            problems.append(f"someone fills two seats: {everyone}")
        for discipline, people in assignment.items():
            if len(people) != required.get(discipline):
                problems.append(f"{discipline}: {len(people)} seats filled, {required.get(discipline)} needed")
            for person in people:
                if discipline not in self.disciplines.get(person, ()):
                    problems.append(f"{person} does not hold {discipline}")
                if person in self.attendees:
                    problems.append(f"attendee {person} fills a seat")
                if person in self.flags and not self.available_whole(person, offset):
                    problems.append(f"{person} is not available for the whole slot")
        for person in self.attendees:
            if not self.available_whole(person, offset):
                problems.append(f"attendee {person} is not available")
        return problems
