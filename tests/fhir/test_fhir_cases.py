"""ServiceRequest and Consent: exactly the cases the API shows, at the same access level, audited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.fhir.codes import ICD10_SYSTEM, SUBSETTED, patient_reference_system

from tests.fhir.conftest import NOW


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


@pytest.fixture
def cases(make_case, make_meeting, network):
    """Three cases of the hub; the radiologist (another region) is invited to discuss two of them,
    one with cross-border consent and one without. The other site's referrer has one of their own."""
    class Cases:
        consented = make_case("triaged", patient_reference="FCG-2026-0001")
        refused = make_case("triaged", patient_reference="FCG-2026-0002", cross_border_consent=False)
        draft = make_case("draft", patient_reference="FCG-2026-0003", urgency="urgent")
        elsewhere = make_case("submitted", referrer=network.other_site_referrer, patient_reference="NN-2026-0009")

    make_meeting(NOW + timedelta(days=2), cases=[Cases.consented, Cases.refused],
                 invitees={network.radiologist: "accepted"})
    return Cases


def test_a_referrer_at_another_site_sees_only_their_own_referrals(fhir, network, cases):
    assert ids(fhir.get("ServiceRequest", network.other_site_referrer)) == [str(cases.elsewhere.id)]
    fhir.get(f"ServiceRequest/{cases.consented.id}", network.other_site_referrer, status=404)
    fhir.get(f"Consent/{cases.consented.id}", network.other_site_referrer, status=404)


def test_a_specialist_sees_what_the_api_shows_at_the_same_level(fhir, client, headers, network, cases):
    api = client.get("/api/v1/cases", headers=headers(network.radiologist)).get_json()
    api_levels = {str(row["id"]): row["access"] for row in api}
    bundle = fhir.get("ServiceRequest", network.radiologist)
    fhir_levels = {e["resource"]["id"]: "summary" if SUBSETTED in e["resource"].get("meta", {}).get("tag", [])
                   else "full" for e in bundle["entry"]}
    assert fhir_levels == api_levels == {str(cases.consented.id): "full", str(cases.refused.id): "summary"}
    summary = fhir.get(f"ServiceRequest/{cases.refused.id}", network.radiologist)
    text = str(summary)
    assert "FCG-2026-0002" not in text and "identifier" not in summary["subject"]
    assert "requester" not in summary and "contained" not in summary and "note" not in summary
    assert summary["reasonCode"][0]["coding"] == [{"system": ICD10_SYSTEM, "code": "C34.1"}]
    fhir.get(f"Consent/{cases.refused.id}", network.radiologist, status=403)
    fhir.get(f"ServiceRequest/{cases.draft.id}", network.radiologist, status=404)
    assert ids(fhir.get("ServiceRequest", network.stranger)) == []


def test_a_full_referral_shows_the_pseudonym_never_a_name_and_its_references_resolve(fhir, network, cases):
    request = fhir.get(f"ServiceRequest/{cases.consented.id}", network.radiologist)
    assert request["subject"]["identifier"] == {"system": patient_reference_system(network.hub.id),
                                                "value": "FCG-2026-0001"}
    assert request["status"] == "active" and request["priority"] == "routine" and request["intent"] == "order"
    assert request["category"][0]["text"] == "Cancer care review"
    assert request["reasonCode"][0] == {"coding": [{"system": ICD10_SYSTEM, "code": "C34.1"}],
                                        "text": "Adenocarcinoma of the right upper lobe"}
    (patient,) = request["contained"]
    assert patient["gender"] == "female" and patient["birthDate"] == "1961" and "name" not in patient
    requester = fhir.resolve(request["requester"], network.radiologist)
    assert requester["name"] == [{"text": "Dr Huang Wei"}]
    assert fhir.resolve(request["performer"][0], network.radiologist)["name"] == "Thoracic MDT"
    consent = fhir.resolve(request["supportingInfo"][0], network.radiologist)
    assert consent["status"] == "active" and consent["provision"]["type"] == "permit"
    assert fhir.resolve(consent["provision"]["data"][0]["reference"], network.radiologist)["id"] == request["id"]


def test_searches_filter_by_status_requester_authored_and_performer(fhir, network, cases, make_case):
    referrer = network.referrer
    assert ids(fhir.get("ServiceRequest", referrer, params={"status": "draft"})) == [str(cases.draft.id)]
    assert set(ids(fhir.get("ServiceRequest", referrer, params={"status": "active,draft"}))) == {
        str(cases.consented.id), str(cases.refused.id), str(cases.draft.id)}
    colleague_case = make_case("draft", referrer=network.colleague, patient_reference="FCG-2026-0004")
    assert ids(fhir.get("ServiceRequest", referrer, params={"requester": f"Practitioner/{network.colleague.id}"})) \
        == [str(colleague_case.id)]
    # Submitted an hour after creation; the draft is "authored" when it was created.
    assert ids(fhir.get("ServiceRequest", referrer, params={"authored": ["ge2026-03-02T00:30:00Z"]})) == [
        str(cases.consented.id), str(cases.refused.id)]
    assert set(ids(fhir.get("ServiceRequest", referrer, params={"authored": "2026-03-02"}))) == {
        str(cases.consented.id), str(cases.refused.id), str(cases.draft.id), str(colleague_case.id)}
    assert ids(fhir.get("ServiceRequest", referrer, params={"authored": "lt2026-03-02"})) == []
    board = f"HealthcareService/{network.board.id}"
    assert len(ids(fhir.get("ServiceRequest", referrer, params={"performer": board}))) == 4
    assert ids(fhir.get("ServiceRequest", referrer, params={"performer": "HealthcareService/999"})) == []
    assert ids(fhir.get("ServiceRequest", referrer, params={"_id": f"{cases.draft.id},{cases.elsewhere.id}"})) == [
        str(cases.draft.id)]


def test_requester_search_leaves_out_what_the_viewer_sees_only_as_a_summary(fhir, network, cases):
    found = fhir.get("ServiceRequest", network.radiologist, params={"requester": f"Practitioner/{network.referrer.id}"})
    assert ids(found) == [str(cases.consented.id)]


def test_pages_follow_next_links_with_a_total(fhir, network, cases, make_case):
    for number in range(4):
        make_case("draft", patient_reference=f"FCG-2026-01{number}0")
    everything, first = fhir.search_all("ServiceRequest", network.referrer, params={"_count": 2})
    assert first["total"] == 7 and len(first["entry"]) == 2
    assert len(everything) == 7 and len({r["id"] for r in everything}) == 7


def test_every_case_returned_is_audited(fhir, network, cases, session):
    fhir.get("ServiceRequest", network.radiologist)
    fhir.get(f"Consent/{cases.consented.id}", network.radiologist)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.viewed",
                                                      AuditEvent.actor_id == network.radiologist.id)).all()
    seen = sorted((event.target_id, event.detail["access"], event.detail["resource"]) for event in events)
    assert seen == sorted([(str(cases.consented.id), "full", "ServiceRequest"),
                           (str(cases.refused.id), "summary", "ServiceRequest"),
                           (str(cases.consented.id), "full", "Consent")])
    assert all(event.detail["via"] == "fhir" for event in events)


def test_consents_list_only_cases_seen_in_full(fhir, network, cases):
    assert ids(fhir.get("Consent", network.radiologist)) == [str(cases.consented.id)]
    everyone = fhir.get("Consent", network.referrer)
    statuses = {e["resource"]["id"]: (e["resource"]["status"], e["resource"].get("provision", {}).get("type"))
                for e in everyone["entry"]}
    assert statuses[str(cases.refused.id)] == ("active", "deny")
    assert statuses[str(cases.consented.id)] == ("active", "permit")
