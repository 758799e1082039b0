"""Schedules and Slots: free time is what the matching engine finds, busy time is a booking."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.timekeeping import UTC, parse_instant

TUESDAY = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
WINDOW = {"start": ["ge2026-03-03T00:00:00Z", "lt2026-03-04T00:00:00Z"]}


@pytest.fixture
def busy_tuesday(session, network, make_meeting):
    """The radiologist (Nairobi, 09:00-17:00 local = 06:00-14:00 UTC) is booked 09:00-10:00 UTC,
    keeps 15 minutes free before a meeting, and is on leave 12:00-13:00 UTC."""
    from app.specialists import operations

    profile = operations.find_profile(session, network.radiologist.id)
    profile.buffer_after_minutes = 15
    operations.add_leave(session, profile, starts_at=TUESDAY + timedelta(hours=12),
                         ends_at=TUESDAY + timedelta(hours=13), reason="clinic")
    session.commit()
    return make_meeting(TUESDAY + timedelta(hours=9), invitees={network.radiologist: "accepted"}, hours=1)


def slots(fhir, user, person, **params):
    query = {"schedule": f"Schedule/{person.id}", **WINDOW, **params}
    return [e["resource"] for e in fhir.get("Slot", user, params=query).get("entry", [])
            if e["search"]["mode"] == "match"]


def spans(found):
    return [(parse_instant(s["start"]), parse_instant(s["end"]), s["status"]) for s in found]


def test_free_and_busy_slots_follow_hours_leave_buffers_and_bookings(fhir, network, busy_tuesday):
    found = slots(fhir, network.referrer, network.radiologist)
    hour = lambda h, m=0: TUESDAY + timedelta(hours=h, minutes=m)  # noqa: E731
    assert spans(found) == [(hour(6), hour(8, 45), "free"), (hour(9), hour(10), "busy"),
                            (hour(10), hour(12), "free"), (hour(13), hour(14), "free")]
    assert [s["status"] for s in slots(fhir, network.referrer, network.radiologist, status="busy")] == ["busy"]


def test_slot_search_agrees_with_the_api_search(fhir, client, headers, network, busy_tuesday):
    duration = timedelta(minutes=30)
    free = [(start, end) for start, end, status in spans(slots(fhir, network.coordinator, network.radiologist,
                                                              status="free"))]
    response = client.post("/api/v1/scheduling/search", headers=headers(network.coordinator), json={
        "requirements": [{"discipline": "radiology", "count": 1}], "duration_minutes": 30,
        "window_start": "2026-03-03T00:00:00Z", "window_end": "2026-03-04T00:00:00Z", "step_minutes": 15,
        "limit": 50})
    assert response.status_code == 200, response.get_json()
    api_starts = {parse_instant(slot["start"]) for slot in response.get_json()["slots"]
                  if network.radiologist.id in slot["assignment"]["radiology"]}
    grid = [TUESDAY + timedelta(minutes=15 * k) for k in range(96)]
    fhir_starts = {start for start in grid if any(a <= start and start + duration <= b for a, b in free)}
    assert fhir_starts and api_starts == fhir_starts


def test_slots_and_schedules_resolve_by_reading(fhir, network, busy_tuesday, session, make_meeting):
    found = slots(fhir, network.referrer, network.radiologist)
    for slot in found:
        assert fhir.get(f"Slot/{slot['id']}", network.referrer)["id"] == slot["id"]
        schedule = fhir.resolve(slot["schedule"], network.referrer)
        assert schedule["id"] == str(network.radiologist.id)
    for actor in schedule["actor"]:
        assert fhir.resolve(actor, network.referrer)["id"] == str(network.radiologist.id)
    # Booked since: the free slot is gone.
    make_meeting(TUESDAY + timedelta(hours=7), invitees={network.radiologist: "pending"}, hours=1, board=False)
    fhir.get(f"Slot/{found[0]['id']}", network.referrer, status=404)


def test_schedules_search_by_actor_and_specialty(fhir, network):
    assert fhir.get("Schedule", network.referrer, params={"_count": 0})["total"] == 2
    by_actor = fhir.get("Schedule", network.referrer, params={"actor": f"Practitioner/{network.pathologist.id}"})
    assert [e["resource"]["id"] for e in by_actor["entry"]] == [str(network.pathologist.id)]
    assert fhir.get("Schedule", network.referrer, params={"specialty": "radiology"})["total"] == 1
    fhir.get(f"Schedule/{network.referrer.id}", network.referrer, status=404)  # no specialist profile


def test_slots_page_through_a_week(fhir, network):
    params = {"schedule": f"Schedule/{network.radiologist.id}", "start": ["ge2026-03-02", "lt2026-03-09"],
              "_count": 2}
    everything, first = fhir.search_all("Slot", network.referrer, params=params)
    assert first["total"] == 5 and len(everything) == 5  # Monday to Friday, one stretch each
    assert len({s["id"] for s in everything}) == 5
