"""Appointments (meetings), CarePlans (signed outcomes, amendments) and Provenance (signatures)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.fhir.codes import BOARD_SYSTEM

from tests.fhir.conftest import NOW


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


@pytest.fixture
def meetings(make_meeting, network):
    class Meetings:
        soon = make_meeting(NOW + timedelta(days=2), invitees={network.radiologist: "accepted",
                                                               network.pathologist: "tentative"})
        later = make_meeting(NOW + timedelta(days=9), invitees={network.pathologist: "pending"})
        adhoc = make_meeting(NOW + timedelta(days=3), invitees={network.pathologist: "declined"}, board=False,
                             status="cancelled")
    return Meetings


def test_an_appointment_has_utc_times_participants_and_its_board(fhir, network, meetings):
    appointment = fhir.get(f"Appointment/{meetings.soon.id}", network.radiologist)
    assert appointment["status"] == "booked"
    assert appointment["start"] == "2026-03-04T00:00:00Z" and appointment["end"] == "2026-03-04T02:00:00Z"
    statuses = {p["actor"]["reference"]: p["status"] for p in appointment["participant"]}
    assert statuses == {f"HealthcareService/{network.board.id}": "accepted",
                        f"Practitioner/{network.radiologist.id}": "accepted",
                        f"Practitioner/{network.pathologist.id}": "tentative"}
    assert appointment["serviceType"][0]["coding"][0] == {"system": BOARD_SYSTEM, "code": str(network.board.id),
                                                          "display": "Thoracic MDT"}
    for participant in appointment["participant"]:
        assert fhir.resolve(participant["actor"], network.radiologist)


def test_appointments_are_the_meetings_the_api_lets_you_see(fhir, network, meetings):
    assert ids(fhir.get("Appointment", network.radiologist)) == [str(meetings.soon.id)]
    fhir.get(f"Appointment/{meetings.later.id}", network.radiologist, status=404)
    assert ids(fhir.get("Appointment", network.stranger)) == []
    assert len(ids(fhir.get("Appointment", network.coordinator))) == 3


def test_appointments_search_by_date_actor_status_and_service_type(fhir, network, meetings):
    coordinator = network.coordinator
    assert ids(fhir.get("Appointment", coordinator, params={"date": ["ge2026-03-04", "lt2026-03-06"]})) == [
        str(meetings.soon.id), str(meetings.adhoc.id)]
    assert ids(fhir.get("Appointment", coordinator, params={"date": "2026-03-11"})) == [str(meetings.later.id)]
    assert ids(fhir.get("Appointment", coordinator,
                        params={"actor": f"Practitioner/{network.radiologist.id}"})) == [str(meetings.soon.id)]
    assert ids(fhir.get("Appointment", coordinator, params={"actor": f"HealthcareService/{network.board.id}"})) == [
        str(meetings.soon.id), str(meetings.later.id)]
    assert ids(fhir.get("Appointment", coordinator, params={"status": "cancelled"})) == [str(meetings.adhoc.id)]
    assert ids(fhir.get("Appointment", coordinator,
                        params={"service-type": f"{BOARD_SYSTEM}|{network.board.id}"})) == [
        str(meetings.soon.id), str(meetings.later.id)]


def test_signed_outcomes_are_care_plans_and_an_amendment_replaces_the_first(fhir, network, signed):
    case, first, second = signed
    plans = fhir.get("CarePlan", network.referrer, params={"based-on": f"ServiceRequest/{case.id}"})
    by_id = {e["resource"]["id"]: e["resource"] for e in plans["entry"]}
    assert by_id[str(first.id)]["status"] == "revoked" and by_id[str(second.id)]["status"] == "active"
    current = by_id[str(second.id)]
    assert current["description"] == "Plan 2" and current["category"][0]["coding"][0]["code"] == "surgery"
    assert current["activity"][0]["detail"]["description"] == "Book surgery"
    assert [note["text"] for note in current["note"]] == ["Amendment reason: Nodal disease on the restaging PET.",
                                                          "Rationale: Resectable."]
    assert [note["text"] for note in by_id[str(first.id)]["note"]] == ["Rationale: Resectable."]
    assert fhir.resolve(current["replaces"][0], network.referrer)["id"] == str(first.id)
    assert fhir.resolve(current["basedOn"][0], network.referrer)["id"] == str(case.id)
    owner = current["activity"][0]["detail"]["performer"][0]
    assert owner["identifier"]["value"] == str(network.colleague.id) and owner["display"] == "Dr Liang"
    assert ids(fhir.get("CarePlan", network.referrer, params={"status": "active"})) == [str(second.id)]


def test_each_signature_is_a_provenance_of_its_care_plan(fhir, network, signed):
    case, first, second = signed
    found = fhir.get("Provenance", network.referrer, params={"target": f"CarePlan/{second.id}"})
    (provenance,) = [e["resource"] for e in found["entry"]]
    assert provenance["recorded"] == "2026-03-02T02:00:00Z"
    agent = provenance["agent"][0]
    assert agent["role"][0]["coding"][0]["code"] == "radiology"
    assert fhir.resolve(agent["who"], network.referrer)["id"] == str(network.radiologist.id)
    assert fhir.resolve(provenance["target"][0], network.referrer)["id"] == str(second.id)
    assert fhir.get("Provenance", network.referrer)["total"] == 2


def test_outcomes_are_for_full_access_only(fhir, network, signed, make_meeting):
    case, first, second = signed
    # The radiologist, invited to discuss it from another region without consent, sees a summary only.
    make_meeting(NOW + timedelta(days=4), cases=[case], invitees={network.radiologist: "accepted"}, board=False)
    summary = fhir.get(f"ServiceRequest/{case.id}", network.radiologist)
    assert summary["meta"]["tag"][0]["code"] == "SUBSETTED"
    fhir.get(f"CarePlan/{second.id}", network.radiologist, status=404)
    fhir.get(f"Provenance/{second.signatures[0].id}", network.radiologist, status=404)
    assert fhir.get("CarePlan", network.radiologist)["total"] == 0
    assert fhir.get("Provenance", network.other_site_referrer)["total"] == 0


def test_every_reference_in_every_resource_resolves_for_its_reader(fhir, network, signed, meetings, make_meeting,
                                                                   make_case):
    case, first, second = signed
    make_meeting(NOW + timedelta(days=5), cases=[case, make_case("triaged", patient_reference="FCG-2026-0600")],
                 invitees={network.radiologist: "accepted"}, board=False)
    searchable = ["Organization", "Practitioner", "PractitionerRole", "HealthcareService", "Schedule",
                  "Appointment", "ServiceRequest", "Consent", "CarePlan", "Provenance"]
    for reader in (network.referrer, network.radiologist, network.coordinator, network.other_site_referrer):
        references = set()

        def collect(value):
            if isinstance(value, dict):
                target = value.get("reference")
                if isinstance(target, str) and not target.startswith("#"):
                    references.add(target)
                for item in value.values():
                    collect(item)
            elif isinstance(value, list):
                for item in value:
                    collect(item)

        for name in searchable:
            collect(fhir.search_all(name, reader, params={"_count": 100})[0])
        assert references
        for target in sorted(references):
            assert fhir.get(target, reader)["id"] == target.split("/")[1], (reader.name, target)
