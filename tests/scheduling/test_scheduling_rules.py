"""Hand-written checks of each rule of the model, with instants worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.scheduling import (
    SpecialistSpec,
    WallClockRange,
    available_intervals,
    find_slots,
    iter_feasible_slots,
    parse_request,
    working_intervals,
)
from app.scheduling.matching import assign_seats

UTC = timezone.utc
HOUR = timedelta(hours=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def wall(start: str, end: str) -> WallClockRange:
    def minutes(text: str) -> int:
        hours, mins = text.split(":")
        return int(hours) * 60 + int(mins)

    return WallClockRange(minutes(start), minutes(end))


def specialist(zone: str, weekly: dict[int, list[tuple[str, str]]], **extra) -> SpecialistSpec:
    hours = {day: tuple(wall(a, b) for a, b in ranges) for day, ranges in weekly.items()}
    return SpecialistSpec(id=extra.pop("id", "x"), timezone=zone, weekly_hours=hours, **extra)


def intervals(spec: SpecialistSpec, start: str, end: str) -> list[tuple[str, str]]:
    return [
        (a.strftime("%Y-%m-%dT%H:%M"), b.strftime("%Y-%m-%dT%H:%M"))
        for a, b in working_intervals(spec, utc(start), utc(end))
    ]


MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


# --- ranges ------------------------------------------------------------------------------


def test_range_is_half_open():
    spec = specialist("UTC", {MON: [("09:00", "17:00")]})
    assert intervals(spec, "2026-03-30T00:00", "2026-03-31T00:00") == [("2026-03-30T09:00", "2026-03-30T17:00")]
    request = request_for([spec_json("a", "UTC", {"mon": [["09:00", "17:00"]]})], "2026-03-30T08:00:00Z", "2026-03-30T18:00:00Z", duration=60, step=15)
    starts = [slot.start for slot in find_slots(request)]
    assert starts[0] == utc("2026-03-30T09:00")
    assert starts[-1] == utc("2026-03-30T16:00")  # ends exactly at 17:00, which is excluded


def test_24_00_ends_the_day_and_joins_the_next_morning():
    spec = specialist("UTC", {MON: [("20:00", "24:00")], TUE: [("00:00", "02:00")]})
    assert intervals(spec, "2026-03-30T00:00", "2026-04-01T00:00") == [("2026-03-30T20:00", "2026-03-31T02:00")]


def test_overnight_range_runs_into_the_next_local_day():
    spec = specialist("UTC", {SAT: [("22:00", "02:00")]})
    assert intervals(spec, "2026-03-28T00:00", "2026-03-30T00:00") == [("2026-03-28T22:00", "2026-03-29T02:00")]


def test_overnight_range_across_spring_forward_is_an_hour_shorter():
    spec = specialist("Europe/London", {SAT: [("22:00", "02:00")]})
    # Sat 22:00 GMT = 22:00Z; Sun 02:00 BST = 01:00Z.
    assert intervals(spec, "2026-03-28T00:00", "2026-03-30T00:00") == [("2026-03-28T22:00", "2026-03-29T01:00")]


def test_overnight_range_across_fall_back_is_an_hour_longer():
    spec = specialist("Europe/London", {SAT: [("22:00", "02:00")]})
    # Sat 22:00 BST = 21:00Z; Sun 02:00 GMT = 02:00Z: five real hours.
    assert intervals(spec, "2026-10-24T00:00", "2026-10-26T00:00") == [("2026-10-24T21:00", "2026-10-25T02:00")]


# --- DST ---------------------------------------------------------------------------------


def test_spring_forward_day_is_23_hours():
    spec = specialist("Europe/London", {SUN: [("00:00", "24:00")]})
    assert intervals(spec, "2026-03-28T00:00", "2026-03-31T00:00") == [("2026-03-29T00:00", "2026-03-29T23:00")]


def test_spring_forward_shortens_a_range_over_the_missing_hour():
    spec = specialist("Europe/London", {SUN: [("00:30", "03:00")]})
    assert intervals(spec, "2026-03-29T00:00", "2026-03-30T00:00") == [("2026-03-29T00:30", "2026-03-29T02:00")]


def test_range_starting_inside_the_gap_starts_at_the_first_real_instant():
    spec = specialist("Europe/London", {SUN: [("01:30", "03:00")]})
    # 01:30 never happens; at 01:00Z the clock reads 02:00 BST, inside the range.
    assert intervals(spec, "2026-03-29T00:00", "2026-03-30T00:00") == [("2026-03-29T01:00", "2026-03-29T02:00")]


def test_range_wholly_inside_a_midnight_gap_is_empty():
    spec = specialist("America/Havana", {SUN: [("00:00", "01:00")]})  # 2026-03-08 00:00 -> 01:00
    assert intervals(spec, "2026-03-07T00:00", "2026-03-10T00:00") == []


def test_fall_back_repeated_hour_counts_twice():
    spec = specialist("Europe/London", {SUN: [("01:00", "02:00")]})
    assert intervals(spec, "2026-10-24T00:00", "2026-10-27T00:00") == [("2026-10-25T00:00", "2026-10-25T02:00")]
    raw = spec_json("a", "Europe/London", {"sun": [["01:00", "02:00"]]})
    request = request_for([raw], "2026-10-24T22:00:00Z", "2026-10-25T04:00:00Z", duration=120, step=60)
    assert [(s.start, s.end) for s in find_slots(request)] == [(utc("2026-10-25T00:00"), utc("2026-10-25T02:00"))]


def test_fall_back_day_is_25_hours():
    spec = specialist("Europe/London", {SUN: [("00:00", "24:00")]})
    assert intervals(spec, "2026-10-24T00:00", "2026-10-27T00:00") == [("2026-10-24T23:00", "2026-10-26T00:00")]


@pytest.mark.parametrize(
    "weekly, expected",
    [
        # 2026-09-06: Saturday 24:00 (-04) becomes Sunday 01:00 (-03); "Sunday" starts late.
        ({SUN: [("00:00", "24:00")]}, [("2026-09-06T04:00", "2026-09-07T03:00")]),
        ({SAT: [("23:00", "24:00")]}, [("2026-09-06T03:00", "2026-09-06T04:00")]),
    ],
)
def test_santiago_spring_forward_at_midnight(weekly, expected):
    assert intervals(specialist("America/Santiago", weekly), "2026-09-04T00:00", "2026-09-08T00:00") == expected


def test_santiago_fall_back_at_midnight_repeats_saturday_23h():
    spec = specialist("America/Santiago", {SAT: [("23:00", "24:00")], SUN: [("00:00", "24:00")]})
    # Sat 23:00-24:00 happens at -03 (02-03Z) and again at -04 (03-04Z); Sunday is a full
    # 24 hours at -04 and joins on.
    assert intervals(spec, "2026-04-04T00:00", "2026-04-07T00:00") == [("2026-04-05T02:00", "2026-04-06T04:00")]


def test_beirut_midnight_spring_forward_day_is_23_hours():
    spec = specialist("Asia/Beirut", {SUN: [("00:00", "24:00")]})
    assert intervals(spec, "2026-03-27T00:00", "2026-03-31T00:00") == [("2026-03-28T22:00", "2026-03-29T21:00")]


# --- odd offsets -----------------------------------------------------------------------


def test_kathmandu_plus_0545():
    spec = specialist("Asia/Kathmandu", {MON: [("09:00", "17:00")]})
    assert intervals(spec, "2026-03-30T00:00", "2026-03-31T00:00") == [("2026-03-30T03:15", "2026-03-30T11:15")]


def test_lord_howe_half_hour_fall_back_repeats_half_an_hour():
    spec = specialist("Australia/Lord_Howe", {SUN: [("01:00", "02:00")]})
    # 2026-04-05 02:00 (+11) becomes 01:30 (+10:30): 01:00-02:00 then 01:30-02:00 again.
    assert intervals(spec, "2026-04-03T00:00", "2026-04-06T00:00") == [("2026-04-04T14:00", "2026-04-04T15:30")]


def test_lord_howe_half_hour_spring_forward():
    spec = specialist("Australia/Lord_Howe", {SUN: [("02:00", "03:00")]})
    assert intervals(spec, "2026-10-02T00:00", "2026-10-05T00:00") == [("2026-10-03T15:30", "2026-10-03T16:00")]
    whole_day = specialist("Australia/Lord_Howe", {SUN: [("00:00", "24:00")]})
    [(start, end)] = working_intervals(whole_day, utc("2026-10-02T00:00"), utc("2026-10-06T00:00"))
    assert end - start == timedelta(hours=23, minutes=30)


def test_chatham_plus_1245_spring_forward():
    spec = specialist("Pacific/Chatham", {SUN: [("02:00", "04:00")]})
    # 2026-09-27 02:45 (+12:45) becomes 03:45 (+13:45).
    assert intervals(spec, "2026-09-25T00:00", "2026-09-28T00:00") == [("2026-09-26T13:15", "2026-09-26T14:15")]


# --- busy --------------------------------------------------------------------------------


def test_busy_interval_with_an_offset_is_removed():
    spec = specialist(
        "Asia/Kathmandu",
        {MON: [("09:00", "17:00")]},
        busy=((datetime.fromisoformat("2026-03-30T08:45:00+05:45"), datetime.fromisoformat("2026-03-30T09:45:00+05:45")),),
    )
    got = available_intervals(spec, utc("2026-03-30T00:00"), utc("2026-03-31T00:00"))
    assert got == [(utc("2026-03-30T04:00"), utc("2026-03-30T11:15"))]
    assert all(moment.utcoffset() == timedelta(0) for pair in got for moment in pair)


def test_busy_is_half_open_in_slot_search():
    raw = spec_json("a", "UTC", {"mon": [["09:00", "17:00"]]}, busy=[["2026-03-30T10:00:00+01:00", "2026-03-30T10:00:00Z"]])
    request = request_for([raw], "2026-03-30T09:00:00Z", "2026-03-30T12:00:00Z", duration=60, step=60)
    # Busy 09:00Z-10:00Z: the 09:00 slot is lost, the one starting at 10:00 is not.
    assert [s.start for s in find_slots(request)] == [utc("2026-03-30T10:00"), utc("2026-03-30T11:00")]


def test_public_interval_functions_refuse_naive_datetimes():
    spec = specialist("UTC", {MON: [("09:00", "17:00")]})
    with pytest.raises(ValueError):
        working_intervals(spec, datetime(2026, 3, 30), datetime(2026, 3, 31))


# --- date overrides ----------------------------------------------------------------------


def test_date_override_replaces_the_weekly_ranges_of_that_date():
    spec = specialist(
        "Europe/London",
        {MON: [("09:00", "17:00")], TUE: [("09:00", "17:00")]},
        date_overrides={date(2026, 3, 30): (wall("13:00", "14:00"),), date(2026, 3, 31): ()},
    )
    assert intervals(spec, "2026-03-30T00:00", "2026-04-01T00:00") == [("2026-03-30T12:00", "2026-03-30T13:00")]


def test_overnight_override_spills_into_the_next_day_even_if_that_day_is_off():
    spec = specialist(
        "UTC",
        {},
        date_overrides={date(2026, 3, 31): (wall("22:00", "02:00"),), date(2026, 4, 1): ()},
    )
    assert intervals(spec, "2026-03-30T00:00", "2026-04-03T00:00") == [("2026-03-31T22:00", "2026-04-01T02:00")]


def test_date_overrides_in_json():
    raw = spec_json("a", "UTC", {"mon": [["09:00", "17:00"]]})
    raw["date_overrides"] = {"2026-03-30": [["10:00", "11:00"]]}
    request = request_for([raw], "2026-03-30T00:00:00Z", "2026-03-31T00:00:00Z", duration=60, step=30)
    assert [s.start for s in find_slots(request)] == [utc("2026-03-30T10:00")]


# --- seats and attendees -----------------------------------------------------------------


def spec_json(spec_id, zone, weekly, disciplines=("radiology",), busy=()):
    return {"id": spec_id, "timezone": zone, "disciplines": list(disciplines), "weekly_hours": weekly, "busy": list(busy)}


def request_for(specialists, start, end, *, duration=60, step=15, requirements=None, attendees=(), limit=100_000):
    return parse_request(
        {
            "window_start": start,
            "window_end": end,
            "duration_minutes": duration,
            "step_minutes": step,
            "limit": limit,
            "requirements": requirements if requirements is not None else [{"discipline": "radiology", "count": 1}],
            "attendees": list(attendees),
            "specialists": specialists,
        }
    )


ALL_WEEK = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_two_discipline_specialist_is_moved_to_the_seat_only_they_can_fill():
    # Filling radiology first with the first candidate (a-x) would leave pathology empty.
    people = [
        spec_json("a-x", "UTC", ALL_WEEK, ("radiology", "pathology")),
        spec_json("b-y", "UTC", ALL_WEEK, ("radiology",)),
    ]
    requirements = [{"discipline": "radiology", "count": 1}, {"discipline": "pathology", "count": 1}]
    request = request_for(people, "2026-03-30T09:00:00Z", "2026-03-30T10:00:00Z", requirements=requirements)
    [slot] = find_slots(request)
    assert slot.assignment == {"radiology": ["b-y"], "pathology": ["a-x"]}


def test_assign_seats_uses_augmenting_paths_and_detects_impossible():
    # Seats: group 0, group 0, group 1. Person 0 holds both, 1 holds group 0 only.
    assert assign_seats([0, 1], [[0, 1], [0]], [1, 1]) == [1, 0]
    assert assign_seats([0, 0, 1], [[0, 1], [0]], [1, 1]) is None
    assert assign_seats([0, 0, 1], [[0, 1, 2], [0]], [1, 1, 1]) in ([1, 2, 0], [2, 1, 0])
    assert assign_seats([0], [[0, 1]], [0, 1]) == [1]  # unavailable people are skipped


def test_one_person_never_fills_two_seats():
    people = [spec_json("solo", "UTC", ALL_WEEK, ("radiology", "pathology"))]
    requirements = [{"discipline": "radiology", "count": 1}, {"discipline": "pathology", "count": 1}]
    assert find_slots(request_for(people, "2026-03-30T09:00:00Z", "2026-03-30T12:00:00Z", requirements=requirements)) == []


def test_attendees_must_be_present_and_never_fill_seats():
    people = [
        spec_json("ref", "Asia/Kathmandu", {"mon": [["09:00", "17:00"]]}, ("radiology",)),
        spec_json("rad", "UTC", ALL_WEEK, ("radiology",)),
    ]
    request = request_for(people, "2026-03-30T00:00:00Z", "2026-03-31T00:00:00Z", step=60, attendees=["ref"])
    slots = find_slots(request)
    assert slots[0].start == utc("2026-03-30T04:00")  # first whole hour after 03:15Z
    assert slots[-1].start == utc("2026-03-30T10:00")  # 10:00-11:00 ends before 11:15Z
    assert all(slot.assignment == {"radiology": ["rad"]} for slot in slots)
    lonely = request_for(people[:1], "2026-03-30T00:00:00Z", "2026-03-31T00:00:00Z", attendees=["ref"])
    assert find_slots(lonely) == []  # the attendee cannot take the radiology seat


def test_limit_keeps_the_earliest_slots_in_start_order():
    people = [spec_json("a", "UTC", ALL_WEEK)]
    request = request_for(people, "2026-03-30T00:00:00Z", "2026-03-31T00:00:00Z", limit=3, step=20)
    slots = find_slots(request)
    assert [s.start for s in slots] == [utc("2026-03-30T00:00"), utc("2026-03-30T00:20"), utc("2026-03-30T00:40")]
    assert [s.start for s in slots] == [s.start for s in list(iter_feasible_slots(request))[:3]]


def test_slots_must_end_by_window_end_and_long_duration_gives_none():
    people = [spec_json("a", "UTC", ALL_WEEK)]
    request = request_for(people, "2026-03-30T00:00:00Z", "2026-03-30T02:00:00Z", duration=60, step=45)
    assert [s.start for s in find_slots(request)] == [utc("2026-03-30T00:00"), utc("2026-03-30T00:45")]
    too_long = request_for(people, "2026-03-30T00:00:00Z", "2026-03-30T02:00:00Z", duration=121)
    assert find_slots(too_long) == []


def test_preferred_candidates_are_tried_first():
    people = [
        spec_json("a", "UTC", ALL_WEEK),
        spec_json("on-call", "UTC", {"mon": [["10:00", "12:00"]]}),
    ]
    requirements = [{"discipline": "radiology", "count": 1, "preferred": ["on-call"]}]
    request = request_for(people, "2026-03-30T09:00:00Z", "2026-03-30T13:00:00Z", step=60, requirements=requirements)
    assert [(s.start.hour, s.assignment["radiology"]) for s in find_slots(request)] == [
        (9, ["a"]),
        (10, ["on-call"]),
        (11, ["on-call"]),
        (12, ["a"]),
    ]


def test_recent_bookings_order_candidates_without_changing_feasibility():
    people = [spec_json("a", "UTC", ALL_WEEK), spec_json("b", "UTC", ALL_WEEK)]
    request = request_for(people, "2026-03-30T09:00:00Z", "2026-03-30T11:00:00Z")
    plain = find_slots(request)
    loaded = find_slots(request, recent_bookings={"a": 5})
    assert [s.start for s in plain] == [s.start for s in loaded]
    assert {tuple(s.assignment["radiology"]) for s in plain} == {("a",)}
    assert {tuple(s.assignment["radiology"]) for s in loaded} == {("b",)}


def test_no_requirements_and_no_attendees_makes_every_slot_feasible():
    request = request_for([], "2026-03-30T00:00:00Z", "2026-03-30T02:00:00Z", requirements=[], step=30)
    assert [s.assignment for s in find_slots(request)] == [{}, {}, {}]


def test_slot_times_are_aware_utc():
    request = request_for([spec_json("a", "Asia/Kathmandu", ALL_WEEK)], "2026-03-30T00:00:00+05:45", "2026-03-30T03:00:00+05:45")
    for slot in find_slots(request):
        assert slot.start.utcoffset() == timedelta(0) and slot.end.utcoffset() == timedelta(0)
    assert find_slots(request)[0].start == utc("2026-03-29T18:15")


def test_subtract_matches_set_arithmetic():
    import random

    from app.scheduling.availability import subtract

    def seconds(intervals):
        return set().union(*(range(a, b) for a, b in intervals)) if intervals else set()

    def disjoint(rng, count):
        points = sorted(rng.sample(range(200), 2 * count))
        return [[points[2 * i], points[2 * i + 1]] for i in range(count)]

    rng = random.Random(5)
    for _ in range(3000):
        kept, removed = disjoint(rng, rng.randint(0, 6)), disjoint(rng, rng.randint(0, 4))
        result = subtract(kept, removed)
        assert seconds(result) == seconds(kept) - seconds(removed)
        assert all(a < b for a, b in result) and all(x[1] <= y[0] for x, y in zip(result, result[1:]))


def test_docs_worked_example_london_and_kathmandu_across_spring_forward():
    def weekend(start, end):
        return {"sat": [[start, end]], "sun": [[start, end]]}

    people = [
        spec_json("lon-path", "Europe/London", weekend("09:00", "17:00"), ("pathology",)),
        spec_json("ktm-rad", "Asia/Kathmandu", weekend("13:00", "21:00"), ("radiology",)),
    ]
    requirements = [{"discipline": "radiology", "count": 1}, {"discipline": "pathology", "count": 1}]
    request = request_for(people, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z", step=60, requirements=requirements, limit=20)
    starts = [slot.start for slot in find_slots(request)]
    saturday = [utc(f"2026-03-28T{hour:02d}:00") for hour in range(9, 15)]
    sunday = [utc(f"2026-03-29T{hour:02d}:00") for hour in range(8, 15)]
    assert starts == saturday + sunday
