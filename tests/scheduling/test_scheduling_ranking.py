"""Ranking: kinder and less loaded slots first, feasibility and validity untouched."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from app.scheduling import iter_feasible_slots, parse_request, rank_request, rank_slots
from app.scheduling.ranking import centrality
from scheduling_model import Model
from scheduling_samples import match_request

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def person(spec_id, zone, hours=("09:00", "17:00"), disciplines=("radiology",)):
    return {
        "id": spec_id,
        "timezone": zone,
        "disciplines": list(disciplines),
        "weekly_hours": {day: [list(hours)] for day in WEEKDAYS},
    }


def request(specialists, requirements=None, attendees=(), start="2026-03-30T00:00:00Z", end="2026-03-31T00:00:00Z"):
    return parse_request(
        {
            "window_start": start,
            "window_end": end,
            "duration_minutes": 60,
            "step_minutes": 60,
            "limit": 3,
            "requirements": [{"discipline": "radiology", "count": 1}] if requirements is None else requirements,
            "attendees": list(attendees),
            "specialists": specialists,
        }
    )


def test_centrality_is_one_in_the_middle_and_zero_at_the_edges():
    stretch = [[0, 8 * 3600]]
    assert centrality(0, 3600, stretch) == 0.0
    assert centrality(7 * 3600, 8 * 3600, stretch) == 0.0
    assert centrality(3 * 3600 + 1800, 4 * 3600 + 1800, stretch) == 1.0
    assert abs(centrality(3600, 7200, stretch) - 2 / 7) < 1e-12  # slack 1h before, 6h after
    assert centrality(8 * 3600, 9 * 3600, stretch) == 0.0  # not inside any stretch


def test_rank_prefers_the_middle_of_the_working_day():
    # London 09-17 BST is 08-16Z; the kindest hours are 11-12Z and 12-13Z (tied, so by start).
    req = request([person("lon", "Europe/London")], attendees=["lon"], requirements=[])
    ranked = rank_request(req)
    assert [item.slot.start.hour for item in ranked] == [11, 12, 10]
    assert ranked[0].kindness == ranked[1].kindness > ranked[2].kindness
    everything = rank_request(req, limit=100)
    assert [item.slot.start.hour for item in everything] == [11, 12, 10, 13, 9, 14, 8, 15]
    assert everything[-1].kindness == 0.0


def test_rank_spreads_load_by_reassigning_validly():
    people = [person("a", "UTC"), person("b", "UTC"), person("c", "UTC", hours=("12:00", "13:00"))]
    req = request(people)
    slots = list(iter_feasible_slots(req))
    assert {s.assignment["radiology"][0] for s in slots} == {"a"}
    ranked = rank_slots(slots, req.specialists, {"a": 9, "b": 2})
    assert sorted(item.slot.start for item in ranked) == [s.start for s in slots]
    by_hour = {item.slot.start.hour: item.slot.assignment["radiology"] for item in ranked}
    assert by_hour[12] == ["c"]  # never booked
    assert all(ids == ["b"] for hour, ids in by_hour.items() if hour != 12)
    assert ranked[0].load == 0 and ranked[0].slot.start.hour == 12


def test_rank_never_uses_attendees_for_seats():
    people = [person("a", "UTC"), person("ref", "UTC")]
    req = request(people, attendees=["ref"])
    ranked = rank_slots(list(iter_feasible_slots(req)), req.specialists, {"a": 50}, attendees=["ref"])
    assert {tuple(item.slot.assignment["radiology"]) for item in ranked} == {("a",)}


def test_rank_respects_preferred_ids():
    people = [person("a", "UTC"), person("on-call", "UTC")]
    req = request(people)
    ranked = rank_slots(list(iter_feasible_slots(req)), req.specialists, {"on-call": 7}, preferred={"radiology": ["on-call"]})
    assert {tuple(item.slot.assignment["radiology"]) for item in ranked} == {("on-call",)}


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(match_request())
def test_ranking_keeps_the_feasible_set_and_valid_assignments(raw_request):
    req = parse_request(raw_request)
    slots = list(iter_feasible_slots(req))
    bookings = {spec["id"]: index * 3 % 5 for index, spec in enumerate(raw_request["specialists"])}
    ranked = rank_slots(slots, req.specialists, bookings, attendees=req.attendees)
    assert sorted(item.slot.start for item in ranked) == [slot.start for slot in slots]
    model = Model(raw_request)
    for item in ranked:
        assert model.assignment_problems(item.slot.start, item.slot.assignment) == []
        assert 0.0 <= item.kindness <= 1.0
    scores = [item.score for item in ranked]
    assert scores == sorted(scores, reverse=True)
