"""ServiceRequest: a case (a referral to a board), at the viewer's access level.

Visibility and audit are the API's: `cases.visibility` decides who is related to a case and
whether they see it in full or as a pseudonymised summary; every case returned is audited as
`case.viewed`. The patient is only ever the site's pseudonym (`subject.identifier`), with the
demographics of the pro-forma in a contained Patient; never a name.
"""
from __future__ import annotations

from fhir.resources.R4B.servicerequest import ServiceRequest
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.cases.models import Case
from app.cases.visibility import (FULL, access_level, case_facts, full_access_condition, list_filter,
                                  visible_cases_query)
from app.errors import NotFound
from app.fhir.codes import (CASE_STATE_SYSTEM, CASE_STATUS, EXT_CASE_STATE, EXT_FRAILTY,
                            EXT_PERFORMANCE_STATUS, EXT_QUESTION, ICD10_SYSTEM, SERVICE_CATEGORY_SYSTEM,
                            SERVICE_REQUEST_STATUSES, SEX_GENDER, URGENCY_PRIORITY,
                            patient_reference_system, statuses_to_states)
from app.fhir.common import (build, coded_concept, discipline_concept, instant, reader_language, reference,
                             subsetted_meta)
from app.fhir.context import Context
from app.fhir.errors import FhirError
from app.fhir.search import Page, Query, SearchParam, id_conditions, page_rows, parse_id
from app.vocabulary import N_

PARAMS = (
    SearchParam("_id", "token", "Logical id (the case id)"),
    SearchParam("status", "token", "draft, active, on-hold, completed or revoked"),
    SearchParam("requester", "reference", "Practitioner/{id} (cases you see in full only)", ("Practitioner",)),
    SearchParam("authored", "date", "When submitted (a draft: when created; cases you see in full only)"),
    SearchParam("performer", "reference", "HealthcareService/{id}: the board", ("HealthcareService",)),
)
CANCER_CARE_REVIEW = N_("Cancer care review")
CONTAINED_PATIENT_ID = "patient"


def patient_identifier(case: Case) -> dict | None:
    if not case.patient_reference:
        return None
    return {"system": patient_reference_system(case.organization_id), "value": case.patient_reference}


def subject_of(case: Case) -> dict:
    """The pseudonymised patient: the site's reference as identifier, never a name."""
    identifier = patient_identifier(case)
    subject = {"reference": f"#{CONTAINED_PATIENT_ID}"}
    if identifier:
        subject["identifier"] = identifier
    return subject


def contained_patient(case: Case) -> dict:
    identifier = patient_identifier(case)
    return {
        "resourceType": "Patient", "id": CONTAINED_PATIENT_ID,
        "identifier": [identifier] if identifier else [],
        "gender": SEX_GENDER.get(case.sex or ""),
        "birthDate": str(case.year_of_birth) if case.year_of_birth else None,
        "address": [{"country": case.country_of_residence}] if case.country_of_residence else [],
    }


def _state_extension(case: Case) -> dict:
    return {"url": EXT_CASE_STATE, "valueCoding": {"system": CASE_STATE_SYSTEM, "code": case.state}}


def _reason(case: Case, *, with_text: bool) -> list[dict]:
    if not case.icd10_code and not (with_text and case.diagnosis):
        return []
    concept = {"coding": [{"system": ICD10_SYSTEM, "code": case.icd10_code}] if case.icd10_code else []}
    if with_text and case.diagnosis:
        concept["text"] = case.diagnosis
    return [concept]


def _common(case: Case) -> dict:
    return {
        "id": str(case.id),
        "status": CASE_STATUS[case.state],
        "intent": "order",
        "category": [coded_concept(SERVICE_CATEGORY_SYSTEM, "cancer-care-review", CANCER_CARE_REVIEW)],
        "priority": URGENCY_PRIORITY[case.urgency],
        "orderDetail": [discipline_concept(d.code, d.name) for d in case.disciplines],
        "performer": [reference("HealthcareService", case.board_id)] if case.board_id else [],
        "occurrencePeriod": {"end": instant(case.target_at)} if case.target_at else None,
    }


def to_fhir(case: Case, level: str) -> ServiceRequest:
    body = _common(case)
    if level != FULL:
        # Only Meridian's words are left in a summary, so they set its language; a full case keeps the
        # language its team wrote it in (below).
        body.update(meta=subsetted_meta(), language=reader_language(),
                    subject={"display": gettext("Pseudonymised: cross-border consent is not recorded")},
                    reasonCode=_reason(case, with_text=False), extension=[_state_extension(case)])
        return build(ServiceRequest, body)
    extensions = [_state_extension(case)]
    if case.question:
        extensions.append({"url": EXT_QUESTION, "valueString": case.question})
    if case.performance_status is not None:
        extensions.append({"url": EXT_PERFORMANCE_STATUS, "valueInteger": case.performance_status})
    if case.frailty_score is not None:
        extensions.append({"url": EXT_FRAILTY, "valueInteger": case.frailty_score})
    body.update(
        meta={"lastUpdated": instant(case.updated_at)},
        language=case.language,
        contained=[contained_patient(case)],
        subject=subject_of(case),
        reasonCode=_reason(case, with_text=True),
        requester=reference("Practitioner", case.referrer_id),
        authoredOn=instant(case.submitted_at or case.created_at),
        note=[{"text": case.clinical_summary}] if case.clinical_summary else [],
        supportingInfo=[reference("Consent", case.id)] if case.cross_border_consent is not None else [],
        extension=extensions,
    )
    return build(ServiceRequest, body)


# --- reading ------------------------------------------------------------------------------------


def visible_case(ctx: Context, resource_id: str, what: str = "ServiceRequest") -> tuple[Case, str]:
    """The case and the actor's access level; NotFound when they may not know it exists."""
    case_id = parse_id(resource_id)
    case = ctx.session.get(Case, case_id) if case_id is not None else None
    level = access_level(ctx.viewer, case_facts(case)) if case is not None else None
    if level is None:
        raise NotFound(N_('No %(what)s with id %(resource_id)s.'),
                       params={'what': what, 'resource_id': resource_id})
    return case, level


def read(ctx: Context, resource_id: str) -> ServiceRequest:
    case, level = visible_case(ctx, resource_id)
    ctx.audit("case.viewed", target_type="case", target_id=case.id,
              detail={"access": level, "resource": "ServiceRequest"})
    return to_fhir(case, level)


def search(ctx: Context, query: Query) -> Page:
    viewer = ctx.viewer
    statement = visible_cases_query(viewer)
    for condition in id_conditions(query, "_id", Case.id):
        statement = statement.where(condition)
    for group in query.tokens("status"):
        unknown = group - set(SERVICE_REQUEST_STATUSES)
        if unknown:
            raise FhirError(400, N_("status: %(statuses)s is not a ServiceRequest status."),
                            params={"statuses": ", ".join(sorted(unknown))}, expression="status")
        statement = statement.where(Case.state.in_(statuses_to_states(CASE_STATUS, group)))
    if query.has("requester"):
        # Who referred a case is not part of the cross-border summary: search only what is seen in full.
        statement = statement.where(full_access_condition(viewer))
        for condition in id_conditions(query, "requester", Case.referrer_id):
            statement = statement.where(condition)
    for bound in query.dates("authored"):
        # When a case was submitted is not part of the cross-border summary either.
        statement = statement.where(list_filter(
            viewer, "submitted_at", bound.condition(func.coalesce(Case.submitted_at, Case.created_at))))
    for condition in id_conditions(query, "performer", Case.board_id):
        statement = statement.where(condition)

    def convert(cases):
        ids = [case.id for case in cases]
        loaded = {c.id: c for c in ctx.session.scalars(
            select(Case).where(Case.id.in_(ids)).options(selectinload(Case.disciplines)))}
        resources = []
        for case_id in ids:
            case = loaded[case_id]
            level = access_level(viewer, case_facts(case))
            ctx.audit("case.viewed", target_type="case", target_id=case.id,
                      detail={"access": level, "resource": "ServiceRequest", "search": True})
            resources.append(to_fhir(case, level))
        return resources

    return page_rows(ctx.session, statement, Case.id, query, convert)
