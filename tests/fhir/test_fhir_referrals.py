"""A referral posted as FHIR becomes a draft case, by the pro-forma's rules, that the referrer
submits in the pages."""
from __future__ import annotations

import copy

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.fhir.codes import (DISCIPLINE_SYSTEM, EXT_FRAILTY, EXT_PERFORMANCE_STATUS, EXT_QUESTION,
                            ICD10_SYSTEM)


def referral(network, **changes):
    body = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": "urgent",
        "language": "zh-CN",
        "contained": [{"resourceType": "Patient", "id": "p", "gender": "male", "birthDate": "1958-04-11",
                       "address": [{"country": "CN"}]}],
        "subject": {"reference": "#p", "identifier": {"system": "urn:oid:1.2.3", "value": "FCG-2026-7001"}},
        "requester": {"reference": f"Practitioner/{network.referrer.id}"},
        "performer": [{"reference": f"HealthcareService/{network.board.id}"}],
        "reasonCode": [{"coding": [{"system": ICD10_SYSTEM, "code": "C18.7"}], "text": "Sigmoid adenocarcinoma"}],
        "orderDetail": [{"coding": [{"system": DISCIPLINE_SYSTEM, "code": "radiology"}]},
                        {"coding": [{"system": DISCIPLINE_SYSTEM, "code": "pathology"}]}],
        "note": [{"text": "pT3N1, MSS."}],
        "extension": [{"url": EXT_QUESTION, "valueString": "Adjuvant chemotherapy?"},
                      {"url": EXT_PERFORMANCE_STATUS, "valueInteger": 1},
                      {"url": EXT_FRAILTY, "valueInteger": 2}],
    }
    body.update(changes)
    return body


def consent(permit=True):
    return {"resourceType": "Consent", "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": {"identifier": {"value": "FCG-2026-7001"}},
            "policyRule": {"text": "cross-border discussion"},
            "provision": {"type": "permit" if permit else "deny"}}


def test_a_posted_service_request_is_a_draft_case_with_every_field(fhir, network, session):
    created = fhir.post("ServiceRequest", network.referrer, referral(network))
    case = session.get(Case, int(created["id"]))
    assert created["_headers"]["Location"].endswith(f"/fhir/R4/ServiceRequest/{case.id}")
    assert created["status"] == "draft" and case.state == "draft"
    assert (case.patient_reference, case.sex, case.year_of_birth, case.country_of_residence) == (
        "FCG-2026-7001", "male", 1958, "CN")
    assert (case.icd10_code, case.diagnosis, case.urgency, case.language) == (
        "C18.7", "Sigmoid adenocarcinoma", "urgent", "zh")
    assert [d.code for d in case.disciplines] == ["pathology", "radiology"]
    assert (case.question, case.performance_status, case.frailty_score, case.clinical_summary) == (
        "Adjuvant chemotherapy?", 1, 2, "pT3N1, MSS.")
    assert case.board_id == network.board.id and case.referrer_id == network.referrer.id
    assert case.cross_border_consent is None
    assert fhir.get(f"ServiceRequest/{case.id}", network.referrer)["id"] == str(case.id)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "case.created"))
    assert event.target_id == str(case.id) and event.detail["via"] == "fhir"


def test_a_transaction_brings_the_consent_with_the_referral(fhir, network, session):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:7f0c3d2e-0000-4000-8000-000000000001", "resource": referral(network),
         "request": {"method": "POST", "url": "ServiceRequest"}},
        {"fullUrl": "urn:uuid:7f0c3d2e-0000-4000-8000-000000000002", "resource": consent(),
         "request": {"method": "POST", "url": "Consent"}},
    ]}
    answer = fhir.post("", network.referrer, bundle, status=200)
    assert answer["type"] == "transaction-response"
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created", "201 Created"]
    case_id = int(answer["entry"][0]["resource"]["id"])
    case = session.get(Case, case_id)
    assert case.cross_border_consent is True and case.consent_recorded_by_id == network.referrer.id
    assert fhir.get(answer["entry"][1]["response"]["location"], network.referrer)["provision"]["type"] == "permit"


def test_pro_forma_rules_come_back_as_outcomes_naming_the_fhir_element(fhir, network, session):
    cases = [
        (referral(network, subject={"identifier": {"value": "Jane Doe"}}), "ServiceRequest.subject.identifier.value"),
        (referral(network, reasonCode=[{"coding": [{"system": ICD10_SYSTEM, "code": "lung"}]}]),
         "ServiceRequest.reasonCode.coding"),
        (referral(network, orderDetail=[{"coding": [{"system": DISCIPLINE_SYSTEM, "code": "astrology"}]}]),
         "ServiceRequest.orderDetail"),
        (referral(network, performer=[{"reference": "HealthcareService/424242"}]), "ServiceRequest.performer"),
        (referral(network, priority="whenever"), "ServiceRequest.priority"),
        (referral(network, requester={"reference": f"Practitioner/{network.colleague.id}"}),
         "ServiceRequest.requester"),
        (referral(network, status="completed"), "ServiceRequest.status"),
    ]
    for body, path in cases:
        outcome = fhir.post("ServiceRequest", network.referrer, body, status=422)
        assert outcome["issue"][0]["expression"][0].startswith(path), (path, outcome)
    named = referral(network)
    named["contained"][0]["name"] = [{"family": "Doe", "given": ["Jane"]}]
    outcome = fhir.post("ServiceRequest", network.referrer, named, status=422)
    assert outcome["issue"][0]["expression"] == ["Patient.name"]
    assert session.scalar(select(Case)) is None  # nothing was saved


def test_malformed_bodies_are_400_or_415_and_only_referrers_create(fhir, network):
    assert fhir.post("ServiceRequest", network.referrer, "{not json", status=400)["issue"][0]["code"] == "structure"
    fhir.post("ServiceRequest", network.referrer, {"resourceType": "Patient"}, status=400)
    fhir.post("ServiceRequest", network.referrer, {"resourceType": "ServiceRequest", "status": "draft"}, status=400)
    fhir.post("ServiceRequest", network.referrer, [1, 2], status=400)
    nul = referral(network, note=[{"text": "a\u0000b"}])
    fhir.post("ServiceRequest", network.referrer, nul, status=400)
    for depth in (200, 900, 5000):
        deep = "[" * depth + "]" * depth
        fhir.post("ServiceRequest", network.referrer, f'{{"resourceType": "ServiceRequest", "x": {deep}}}', status=400)
    fhir.post("ServiceRequest", network.referrer, referral(network), status=415, content_type="text/plain")
    outcome = fhir.post("ServiceRequest", network.radiologist, referral(network), status=403)
    assert outcome["issue"][0]["code"] == "forbidden"
    fhir.post("", network.referrer, {"resourceType": "Bundle", "type": "batch"}, status=422)
    two = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": referral(network), "request": {"method": "POST", "url": "ServiceRequest"}},
        {"resource": referral(network), "request": {"method": "POST", "url": "ServiceRequest"}}]}
    fhir.post("", network.referrer, two, status=422)


def test_the_referrer_submits_the_fhir_draft_in_the_pages(fhir, network, session, client):
    body = copy.deepcopy(referral(network))
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": body, "request": {"method": "POST", "url": "ServiceRequest"}},
        {"resource": consent(), "request": {"method": "POST", "url": "Consent"}}]}
    case_id = int(fhir.post("", network.referrer, bundle, status=200)["entry"][0]["resource"]["id"])

    from app.web.referrer_views import raw_of

    client.post("/login", data={"email": network.referrer.email, "password": "correct horse battery"})
    form = client.get(f"/cases/{case_id}/edit")
    assert form.status_code == 200 and "FCG-2026-7001" in form.get_data(as_text=True)
    data = {**raw_of(session.get(Case, case_id)), "action": "submit"}
    response = client.post(f"/cases/{case_id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    case = session.get(Case, case_id)
    assert case.state == "submitted" and case.target_at is not None
    assert fhir.get(f"ServiceRequest/{case_id}", network.referrer)["status"] == "active"


def test_the_referrals_in_the_docs_are_accepted(fhir, network, session):
    import json
    import pathlib
    import re

    text = (pathlib.Path(__file__).parents[2] / "docs" / "fhir.md").read_text()
    bodies = re.findall(r"(\$BASE/fhir/R4(?:/ServiceRequest)?) -d '(\{.*?\})'\n", text, re.S)
    assert len(bodies) == 2
    for url, body in bodies:
        body = body.replace("HealthcareService/3", f"HealthcareService/{network.board.id}")
        path = "ServiceRequest" if url.endswith("ServiceRequest") else ""
        fhir.post(path, network.referrer, json.loads(body), status=201 if path else 200)
    assert session.scalar(select(Case).where(Case.patient_reference == "FCG-2026-7002")).cross_border_consent is True
