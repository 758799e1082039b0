"""Shared test inputs: a sample request and hypothesis strategies for random requests.

Windows are placed near real 2026/2027 offset changes (found by scanning the tzdata zones
hourly) so DST gaps, repeated hours, midnight transitions and 30/45-minute offsets are
exercised in both hemispheres.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache

from hypothesis import strategies as st

from scheduling_model import WEEKDAYS, model_zone

EXAMPLE = {
    "window_start": "2026-03-28T00:00:00Z",
    "window_end": "2026-03-31T00:00:00Z",
    "duration_minutes": 60,
    "step_minutes": 15,
    "limit": 10,
    "requirements": [{"discipline": "radiology", "count": 1}, {"discipline": "pathology", "count": 2}],
    "attendees": ["ref-7"],
    "specialists": [
        {
            "id": "r1",
            "timezone": "Asia/Kathmandu",
            "disciplines": ["radiology", "oncology"],
            "weekly_hours": {"mon": [["09:00", "17:00"]], "sat": [["22:00", "02:00"]], "sun": [["00:00", "24:00"]]},
            "busy": [["2026-03-30T03:00:00Z", "2026-03-30T04:00:00Z"]],
        },
        {"id": "p2", "timezone": "Europe/London", "disciplines": ["pathology"], "weekly_hours": {"sun": [["08:00", "18:00"]]}},
        {"id": "p5", "timezone": "America/St_Johns", "disciplines": ["pathology", "radiology"], "weekly_hours": {"sun": [["00:00", "24:00"]]}},
        {"id": "ref-7", "timezone": "Australia/Lord_Howe", "disciplines": ["oncology"], "weekly_hours": {"sun": [["18:00", "24:00"]]}},
    ],
}

ZONES = [
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Africa/Casablanca",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "America/Santiago",
    "America/Havana",
    "Asia/Kolkata",
    "UTC",
]
DISCIPLINES = ["radiology", "pathology", "oncology"]
UTC = timezone.utc


@lru_cache(maxsize=None)
def transitions_by_zone() -> dict[str, tuple[datetime, ...]]:
    """Every offset change of the test zones in 2026-2027 (hourly scan, good enough to aim)."""
    found = {}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for name in ZONES:
        zone = model_zone(name)
        previous = start.astimezone(zone).utcoffset()
        changes = [start + timedelta(days=100)]  # zones without DST still get a window
        for hour in range(1, 2 * 365 * 24):
            moment = start + timedelta(hours=hour)
            offset = moment.astimezone(zone).utcoffset()
            if offset != previous:
                changes.append(moment)
                previous = offset
        found[name] = tuple(changes)
    return found


def iso(moment: datetime, offset_minutes: int = 0) -> str:
    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))
    return local.isoformat().replace("+00:00", "Z")


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


minute_of_day = st.one_of(st.integers(0, 47).map(lambda half_hours: half_hours * 30), st.integers(0, 1439))


@st.composite
def wall_range(draw):
    start = draw(minute_of_day)
    end = draw(st.one_of(st.just(1440), minute_of_day).filter(lambda end: end != start))
    return [clock(start), "24:00" if end == 1440 else clock(end)]


@st.composite
def specialist(draw, index: int, window_start: datetime, window_minutes: int, home_zone: str):
    days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=2, max_size=7, unique=True))
    weekly = {day: draw(st.lists(wall_range(), min_size=1, max_size=2)) for day in days}
    busy = []
    for _ in range(draw(st.integers(0, 2))):
        begin = draw(st.integers(-120, window_minutes))
        length = draw(st.integers(1, 300))
        offset = draw(st.sampled_from([0, 345, -150, 630, 60]))
        busy.append(
            [iso(window_start + timedelta(minutes=begin), offset), iso(window_start + timedelta(minutes=begin + length), offset)]
        )
    spec = {
        "id": f"s{index}",
        "timezone": draw(st.one_of(st.just(home_zone), st.sampled_from(ZONES))),
        "disciplines": draw(st.lists(st.sampled_from(DISCIPLINES), min_size=1, max_size=2, unique=True)),
        "weekly_hours": weekly,
        "busy": busy,
    }
    if draw(st.integers(0, 3)) == 0:
        local_date = (window_start + timedelta(minutes=draw(st.integers(-1440, window_minutes)))).date()
        spec["date_overrides"] = {local_date.isoformat(): draw(st.lists(wall_range(), max_size=2))}
    return spec


@st.composite
def window(draw):
    """(window start, length in minutes, the zone whose offset change it straddles)."""
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(transitions_by_zone()[zone]))
    start = anchor + timedelta(minutes=draw(st.integers(-40 * 60, 8 * 60)))
    minutes = draw(st.integers(6 * 60, 48 * 60))
    return start, minutes, zone


@st.composite
def match_request(draw):
    window_start, window_minutes, zone = draw(window())
    people = draw(st.integers(2, 6))
    specialists = [draw(specialist(index, window_start, window_minutes, zone)) for index in range(people)]
    ids = [spec["id"] for spec in specialists]
    attendees = draw(st.lists(st.sampled_from(ids), max_size=1))
    disciplines = draw(st.lists(st.sampled_from(DISCIPLINES), min_size=1, max_size=draw(st.sampled_from([1, 2, 2, 3])), unique=True))
    return {
        "window_start": iso(window_start),
        "window_end": iso(window_start + timedelta(minutes=window_minutes)),
        "duration_minutes": draw(st.sampled_from([15, 30, 45, 60, 90, 120, 7, 200])),
        "step_minutes": draw(st.sampled_from([5, 15, 30, 60, 7, 45])),
        "limit": 100_000,
        "requirements": [{"discipline": d, "count": draw(st.sampled_from([1, 1, 2]))} for d in disciplines],
        "attendees": attendees,
        "specialists": specialists,
    }
