"""The facade describes itself without a token, and answers every bad request with an
OperationOutcome and the right status, never a 5xx."""
from __future__ import annotations

import pytest

from app.fhir.registry import RESOURCE_TYPES


def test_metadata_needs_no_token_and_lists_every_type_interaction_and_parameter(fhir):
    statement = fhir.get("metadata")
    assert statement["resourceType"] == "CapabilityStatement" and statement["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == {"Organization", "Practitioner", "PractitionerRole", "HealthcareService", "Schedule",
                              "Slot", "Appointment", "ServiceRequest", "Consent", "CarePlan", "Provenance"}
    for resource in resources.values():
        assert {"read", "search-type"} <= {i["code"] for i in resource["interaction"]}
    assert "create" in {i["code"] for i in resources["ServiceRequest"]["interaction"]}
    assert {p["name"] for p in resources["ServiceRequest"]["searchParam"]} >= {
        "status", "requester", "authored", "performer", "_id", "_count"}
    assert {p["name"] for p in resources["Appointment"]["searchParam"]} >= {"date", "actor", "status", "service-type"}
    assert {p["name"] for p in resources["Slot"]["searchParam"]} >= {"schedule", "status", "start"}
    assert statement["rest"][0]["interaction"][0]["code"] == "transaction"


def test_every_resource_needs_a_bearer_token(fhir, network, client):
    for name in RESOURCE_TYPES:
        outcome = fhir.get(name, status=401)
        assert outcome["issue"][0]["code"] == "login"
        assert outcome["_headers"]["WWW-Authenticate"].startswith("Bearer")
    bad = client.get("/fhir/R4/Organization", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.mimetype == "application/fhir+json"


def test_a_signed_in_browser_session_is_not_a_token(fhir, network, client):
    client.post("/login", data={"email": network.referrer.email, "password": "correct horse battery"})
    assert client.get("/fhir/R4/ServiceRequest").status_code == 401


@pytest.mark.parametrize("path, status", [
    ("Patient", 404),                       # a type this server does not serve
    ("Patient/1", 404),
    ("Organization/2147483648", 404),        # above 2^31-1
    ("Organization/99999999999999999999", 404),
    ("Organization/-1", 404),
    ("Organization/abc", 404),
    ("ServiceRequest/0", 404),
    ("Slot/1-20260302T000000Z-99999999T999999Z", 404),
    ("Slot/1-00010101T000000Z-00010101T010000Z", 404),
    ("Slot/busy-9999999999", 404),
    ("ServiceRequest/1/_history", 404),
    ("ServiceRequest?authored=ge2026-13-45", 400),
    ("ServiceRequest?authored=ge99999-01-01", 400),
    ("ServiceRequest?authored=1000-01-01", 400),
    ("ServiceRequest?authored=ge2026-03-02T09:00", 400),   # a time with no offset
    ("ServiceRequest?authored=ne2026-03-02", 400),         # a prefix not supported
    ("Appointment?date=tomorrow", 400),
    ("ServiceRequest?status=bogus", 400),
    ("ServiceRequest?_count=-1", 400),
    ("ServiceRequest?_count=lots", 400),
    ("ServiceRequest?_cursor=xyz", 400),
    ("ServiceRequest?_format=xml", 406),
    ("Slot?schedule=Schedule/1", 400),                     # no window
    ("Slot?start=ge2026-03-02&start=lt2026-03-03", 400),   # no schedule
    ("Slot?schedule=Schedule/1&start=ge2026-03-02&start=lt2026-06-03", 400),  # too long
    ("Slot?schedule=Schedule/1&start=ge2026-03-05&start=lt2026-03-03", 400),  # backwards
])
def test_bad_requests_get_an_operation_outcome_with_the_right_status(fhir, network, path, status):
    outcome = fhir.get(path, network.referrer, status=status)
    assert outcome["issue"][0]["severity"] == "error" and outcome["issue"][0]["diagnostics"]


def test_nul_characters_are_refused(fhir, network):
    for path in ("ServiceRequest?status=draft%00", "Organization?name=%00", "Organization/1%00",
                 "ServiceRequest?x%00=1"):
        assert fhir.get(path, network.referrer, status=400)["issue"][0]["code"] == "structure"


def test_odd_input_never_gets_a_server_error(fhir, network, client, headers):
    values = ["", " ", "%", "_", "\\", "'", "\"", "Organization/", "/", "//", "a" * 5000, "ｃ", "١٢٣",
              "2147483647", "2147483648", "-0", "1e9", "Practitioner/1/2", "ge", "le2026", "eq2026-02-30",
              "9999-12-31T23:59:59Z", "ge2026-03-02T09:00:00+99:00"]
    for name, resource_type in RESOURCE_TYPES.items():
        for value in values:
            for param in [p.name for p in resource_type.params] + ["_id", "_count", "unknown"]:
                response = client.get(f"/fhir/R4/{name}", query_string={param: value},
                                      headers=headers(network.coordinator))
                assert response.status_code < 500, (name, param, value, response.get_data(as_text=True))
                assert response.mimetype == "application/fhir+json"
            response = client.get(f"/fhir/R4/{name}/{value}" if value.strip("/") else f"/fhir/R4/{name}/x",
                                  headers=headers(network.coordinator))
            assert response.status_code < 500, (name, value)


def test_unknown_parameters_are_reported_or_refused_when_strict(fhir, network):
    bundle = fhir.get("Organization", network.referrer, params={"name": "Fang", "colour": "blue"})
    outcomes = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert len(outcomes) == 1
    issue = outcomes[0]["resource"]["issue"][0]
    assert issue["severity"] == "warning" and "colour" in issue["diagnostics"]
    assert bundle["total"] == 1  # the known parameter still applies
    refused = fhir.get("Organization", network.referrer, params={"colour": "blue"},
                       extra_headers={"Prefer": "handling=strict"}, status=400)
    assert "colour" in refused["issue"][0]["diagnostics"]


def test_write_methods_other_than_creating_a_referral_are_not_supported(fhir, network, client, headers):
    for method, path in (("delete", "/fhir/R4/Organization/1"), ("put", "/fhir/R4/ServiceRequest/1"),
                         ("patch", "/fhir/R4/ServiceRequest/1"), ("post", "/fhir/R4/Organization")):
        response = getattr(client, method)(path, headers=headers(network.referrer), json={})
        assert response.status_code == 405, (method, path, response.status_code)
        assert response.get_json()["resourceType"] == "OperationOutcome"


def test_search_by_post_takes_form_parameters(fhir, network, client, headers):
    response = client.post("/fhir/R4/Organization/_search", data={"name": "Nairobi"},
                           headers=headers(network.referrer))
    assert response.status_code == 200 and response.get_json()["total"] == 1
    refused = client.post("/fhir/R4/Organization/_search", data={"name": "a\x00"}, headers=headers(network.referrer))
    assert refused.status_code == 400 and refused.get_json()["resourceType"] == "OperationOutcome"


def test_odd_referrals_never_get_a_server_error(fhir, network, client, headers):
    base = {"resourceType": "ServiceRequest", "status": "draft", "intent": "order",
            "subject": {"identifier": {"value": "FCG-2026-9100"}}}
    variants = [
        {"contained": [{"resourceType": "Patient", "id": "p", "birthDate": "1700"}], "subject": {"reference": "#p"}},
        {"contained": [{"resourceType": "Patient", "id": "p", "birthDate": "abcd"}], "subject": {"reference": "#p"}},
        {"contained": [{"resourceType": "Patient", "id": "p", "address": [{"country": "Narnia"}]}],
         "subject": {"reference": "#p"}},
        {"subject": {"reference": "#nobody"}}, {"subject": {"reference": "Patient/12"}}, {"subject": {}},
        {"extension": [{"url": "https://meridian.health/fhir/StructureDefinition/who-performance-status",
                        "valueInteger": 99}]},
        {"extension": [{"url": "https://meridian.health/fhir/StructureDefinition/mdt-question",
                        "valueString": "x" * 50000}]},
        {"language": "zzzzzzzz"}, {"language": "中文"}, {"priority": None}, {"priority": 7},
        {"performer": [{"reference": "HealthcareService/99999999999"}]},
        {"performer": [{"reference": "Practitioner/1"}]},
        {"performer": [{"display": "the thoracic board"}]},
        {"orderDetail": [{"coding": [{"system": "https://meridian.health/fhir/CodeSystem/discipline"}]}]},
        {"reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C" * 500}]}]},
        {"requester": {"reference": "Practitioner/abc"}}, {"status": None}, {"intent": 5},
        {"note": [{"text": ""}]}, {"note": "text"}, {"id": "1" * 100}, {"contained": "x"},
    ]
    for variant in variants:
        response = client.post("/fhir/R4/ServiceRequest", json={**base, **variant},
                               headers=headers(network.referrer))
        assert 400 <= response.status_code < 500 or response.status_code == 201, (variant, response.status_code)
        assert response.status_code < 500 and response.get_json()["resourceType"] in ("OperationOutcome",
                                                                                      "ServiceRequest")


def test_only_json_is_served_and_the_base_alone_is_no_search(fhir, network, client, headers):
    response = client.get("/fhir/R4/Organization", headers={**headers(network.referrer),
                                                            "Accept": "application/fhir+xml"})
    assert response.status_code == 406 and response.get_json()["resourceType"] == "OperationOutcome"
    for accept in ("application/fhir+json", "application/json", "*/*", "application/fhir+json;q=0.9, text/html"):
        assert client.get("/fhir/R4/metadata", headers={"Accept": accept}).status_code == 200, accept
    for path in ("/fhir/R4", "/fhir/R4/"):
        response = client.get(path, headers=headers(network.referrer))
        assert response.status_code == 404 and response.get_json()["resourceType"] == "OperationOutcome"
