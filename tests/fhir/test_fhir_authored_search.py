"""ServiceRequest's `authored` search (when a case was submitted) keeps to the cases the viewer sees in
full, as `requester` does: when a case was submitted is not part of the cross-border summary, so a
summary-only case matching a date would reveal it. Without `authored` the summary is still found."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fhir.conftest import NOW


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


@pytest.fixture
def cases(make_case, make_meeting, network):
    """Two cases of the hub the radiologist (another region) is invited to discuss: one with cross-border
    consent (seen in full), one without (a summary)."""
    class Cases:
        consented = make_case("triaged", patient_reference="FCG-2026-0001")
        refused = make_case("triaged", patient_reference="FCG-2026-0002", cross_border_consent=False)

    make_meeting(NOW + timedelta(days=2), cases=[Cases.consented, Cases.refused],
                 invitees={network.radiologist: "accepted"})
    return Cases


def test_authored_finds_only_cases_seen_in_full(fhir, network, cases):
    radiologist = network.radiologist
    assert set(ids(fhir.get("ServiceRequest", radiologist))) == {str(cases.consented.id), str(cases.refused.id)}
    # Both were submitted on 2 March; only the one seen in full may say so.
    for authored in ("2026-03-02", "ge2026-03-01", ["ge2026-03-02T00:30:00Z", "lt2026-03-03"]):
        assert ids(fhir.get("ServiceRequest", radiologist, params={"authored": authored})) == \
            [str(cases.consented.id)], authored
    assert ids(fhir.get("ServiceRequest", radiologist, params={"authored": "lt2026-03-02"})) == []


def test_authored_finds_every_case_a_viewer_sees_in_full(fhir, network, cases):
    assert set(ids(fhir.get("ServiceRequest", network.referrer, params={"authored": "2026-03-02"}))) == {
        str(cases.consented.id), str(cases.refused.id)}


def test_filters_on_what_a_summary_shows_still_find_it(fhir, network, cases):
    found = fhir.get("ServiceRequest", network.radiologist,
                     params={"status": "active", "performer": f"HealthcareService/{network.board.id}"})
    assert set(ids(found)) == {str(cases.consented.id), str(cases.refused.id)}
    # With `authored` as well, the summary is left out.
    found = fhir.get("ServiceRequest", network.radiologist, params={"status": "active", "authored": "2026-03-02"})
    assert ids(found) == [str(cases.consented.id)]


def test_the_capability_statement_says_authored_keeps_to_full_access(fhir, network):
    statement = fhir.get("metadata")
    [service_request] = [r for r in statement["rest"][0]["resource"] if r["type"] == "ServiceRequest"]
    [authored] = [p for p in service_request["searchParam"] if p["name"] == "authored"]
    assert "in full only" in authored["documentation"]
