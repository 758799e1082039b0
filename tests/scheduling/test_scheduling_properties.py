"""Property tests: the engine agrees with an independent zoneinfo brute-force model."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.scheduling import find_slots, iter_feasible_slots, parse_request, working_intervals
from app.scheduling.availability import available_seconds
from app.scheduling.engine import _plan_roles, _solve
from app.scheduling.zones import to_epoch_seconds
from scheduling_model import Model, minute_flags
from scheduling_samples import iso, match_request, specialist, window


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(match_request())
def test_feasible_slots_match_the_brute_force_model(raw_request):
    model = Model(raw_request)
    slots = find_slots(parse_request(raw_request))
    assert [slot.start for slot in slots] == model.feasible_starts()
    for slot in slots:
        assert slot.end - slot.start == timedelta(minutes=raw_request["duration_minutes"])
        assert model.assignment_problems(slot.start, slot.assignment) == []


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_working_intervals_match_minute_by_minute_wall_clock(data):
    window_start, window_minutes, zone = data.draw(window())
    raw = data.draw(specialist(0, window_start, window_minutes, zone))
    spec = parse_request(
        {
            "window_start": iso(window_start),
            "window_end": iso(window_start + timedelta(minutes=window_minutes)),
            "duration_minutes": 1,
            "requirements": [],
            "specialists": [raw],
        }
    ).specialists[0]
    window_end = window_start + timedelta(minutes=window_minutes)
    intervals = working_intervals(spec, window_start, window_end)
    expected = minute_flags(raw, window_start, window_minutes, with_busy=False)
    got = [False] * window_minutes
    for start, end in intervals:
        assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
        assert (start - window_start) % timedelta(minutes=1) == timedelta(0)
        for minute in range(int((start - window_start) / timedelta(minutes=1)), int((end - window_start) / timedelta(minutes=1))):
            got[minute] = True
    assert got == expected
    # Merged and sorted: no two intervals touch or overlap.
    assert all(earlier[1] < later[0] for earlier, later in zip(intervals, intervals[1:]))


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(match_request())
def test_each_assignment_depends_only_on_its_slot(raw_request):
    """The sweep reuses answers between arrivals and departures; that must give exactly
    what solving each slot on its own gives (so `preferred` ids really are tried first)."""
    request = parse_request(raw_request)
    roles = _plan_roles(request, None)
    window = to_epoch_seconds(request.window_start), to_epoch_seconds(request.window_end)
    calendars = [available_seconds(spec, *window) for spec in request.specialists]
    ids = [spec.id for spec in request.specialists]
    for slot in iter_feasible_slots(request):
        start, end = to_epoch_seconds(slot.start), to_epoch_seconds(slot.end)
        present = bytearray(any(a <= start and end <= b for a, b in calendar) for calendar in calendars)
        assert _solve(roles, present, ids).assignment == slot.assignment
