"""Consent: a case's consent to be discussed outside its residency region (one per case; the id is
the case id). Clinical context, so only a viewer who sees the case in full may read it."""
from __future__ import annotations

from fhir.resources.R4B.consent import Consent
from flask_babel import gettext

from app.cases.models import Case
from app.cases.visibility import FULL, full_access_condition, visible_cases_query
from app.errors import PermissionDenied
from app.fhir.codes import (ACT_CODE_SYSTEM, CONSENT_SCOPE_SYSTEM, EXT_RESIDENCY_REGION, LOINC,
                            patient_reference_system)
from app.fhir.common import build, instant, reader_language, reference, unidentified_patient
from app.fhir.context import Context
from app.fhir.search import Page, Query, SearchParam, id_conditions, page_rows
from app.fhir.service_request import visible_case
from app.vocabulary import N_

PARAMS = (
    SearchParam("_id", "token", "Logical id (the case id)"),
    SearchParam("status", "token", "active (asked: permit or deny) or draft (not yet asked)"),
)
POLICY = N_("Meridian: a case is discussed outside its residency region only with the patient's consent")

def to_fhir(case: Case) -> Consent:
    answer = case.cross_border_consent
    policy = gettext(POLICY)
    body = {
        "id": str(case.id),
        "language": reader_language(),
        "status": "draft" if answer is None else "active",
        "scope": {"coding": [{"system": CONSENT_SCOPE_SYSTEM, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": {"identifier": {"system": patient_reference_system(case.organization_id),
                                   "value": case.patient_reference}} if case.patient_reference
        else unidentified_patient(),
        "dateTime": instant(case.consent_recorded_at),
        "organization": [reference("Organization", case.organization_id)],
        "policyRule": {"coding": [{"system": ACT_CODE_SYSTEM, "code": "OPTIN" if answer else "OPTOUT"}],
                       "text": policy} if answer is not None else {"text": policy},
        "provision": {"type": "permit" if answer else "deny",
                      "data": [{"meaning": "related", "reference": reference("ServiceRequest", case.id)}]}
        if answer is not None else None,
        "extension": [{"url": EXT_RESIDENCY_REGION, "valueCode": case.residency_region}],
    }
    return build(Consent, body)

def read(ctx: Context, resource_id: str) -> Consent:
    case, level = visible_case(ctx, resource_id, "Consent")
    if level != FULL:
        raise PermissionDenied(N_("Only a pseudonymised summary of this case is available to you: "
                               "cross-border consent has not been recorded for it."))
    ctx.audit("case.viewed", target_type="case", target_id=case.id, detail={"access": level, "resource": "Consent"})
    return to_fhir(case)

def search(ctx: Context, query: Query) -> Page:
    viewer = ctx.viewer
    statement = visible_cases_query(viewer).where(full_access_condition(viewer))
    for condition in id_conditions(query, "_id", Case.id):
        statement = statement.where(condition)
    for group in query.tokens("status"):
        asked = [value == "active" for value in group if value in ("active", "draft")]
        condition = None
        if True in asked:
            condition = Case.cross_border_consent.is_not(None)
        if False in asked:
            missing = Case.cross_border_consent.is_(None)
            condition = missing if condition is None else condition | missing
        statement = statement.where(condition if condition is not None else Case.id.in_([]))

    def convert(cases):
        for case in cases:
            ctx.audit("case.viewed", target_type="case", target_id=case.id,
                      detail={"access": FULL, "resource": "Consent", "search": True})
        return [to_fhir(case) for case in cases]

    return page_rows(ctx.session, statement, Case.id, query, convert)
