"""A referral from another system: a FHIR ServiceRequest (and its Consent) as a draft case.

The values go through the same pro-forma as the pages and the API (`cases.operations.create_case`),
so the same rules hold; a broken rule comes back naming the FHIR element to fix. The patient is
taken only as the site's pseudonymous reference: a Patient with a name is refused, not stored.
"""
from __future__ import annotations

from dataclasses import dataclass

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

from app.cases import operations
from app.cases.models import Case
from app.errors import InvalidInput
from app.fhir.codes import (DISCIPLINE_SYSTEM, EXT_FRAILTY, EXT_PERFORMANCE_STATUS, EXT_QUESTION,
                            ICD10_SYSTEM, PRIORITY_URGENCY)
from app.fhir.context import Context
from app.fhir.errors import FhirError, from_domain, invalid_element
from app.fhir.search import reference_id
from app.vocabulary import N_

# Where each pro-forma field comes from, to name it in errors.
FIELD_PATHS = {
    "patient_reference": "ServiceRequest.subject.identifier.value",
    "year_of_birth": "Patient.birthDate",
    "sex": "Patient.gender",
    "country_of_residence": "Patient.address.country",
    "icd10_code": f"ServiceRequest.reasonCode.coding.where(system='{ICD10_SYSTEM}').code",
    "diagnosis": "ServiceRequest.reasonCode.text",
    "performance_status": f"ServiceRequest.extension('{EXT_PERFORMANCE_STATUS}').valueInteger",
    "frailty_score": f"ServiceRequest.extension('{EXT_FRAILTY}').valueInteger",
    "clinical_summary": "ServiceRequest.note.text",
    "question": f"ServiceRequest.extension('{EXT_QUESTION}').valueString",
    "urgency": "ServiceRequest.priority",
    "disciplines": f"ServiceRequest.orderDetail.coding.where(system='{DISCIPLINE_SYSTEM}').code",
    "language": "ServiceRequest.language",
    "board_id": "ServiceRequest.performer",
    "cross_border_consent": "Consent.provision.type",
}
ACCEPTED_STATUSES = ("draft", "active")


def parse_resource(model, body, what: str):
    """`body` validated as a fhir.resources model; 400 naming every structural error."""
    if not isinstance(body, dict) or body.get("resourceType") != what:
        raise FhirError(400, N_("Expected a %(what)s resource (resourceType '%(what)s')."), params={"what": what},
                        code="structure")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in error['loc']) or what}: {error['msg']}"
                             for error in exc.errors(include_url=False)[:10])
        # the validator's own (English) words for each problem are passed on as they are
        raise FhirError(400, N_("The %(what)s is not valid FHIR R4: %(problems)s."),
                        params={"what": what, "problems": problems}, code="structure") from None


def _extension(resource, url: str):
    for extension in resource.extension or []:
        if extension.url == url:
            return extension
    return None


def _patient_values(request: ServiceRequest) -> dict:
    values: dict = {}
    subject = request.subject
    patient = None
    if subject.reference and subject.reference.startswith("#"):
        patient = next((item for item in (request.contained or [])
                        if item.get_resource_type() == "Patient" and item.id == subject.reference[1:]), None)
        if patient is None:
            raise invalid_element("ServiceRequest.subject.reference", N_("%(reference)s names no contained Patient"),
                                  {"reference": subject.reference})
    elif subject.reference:
        raise invalid_element("ServiceRequest.subject", N_("send the site's pseudonymous patient reference as "
                                                           "subject.identifier (and details in a contained Patient)"))
    identifier = subject.identifier or (patient.identifier[0] if patient and patient.identifier else None)
    if identifier is not None:
        values["patient_reference"] = identifier.value
    if patient is not None:
        if patient.name:
            raise invalid_element("Patient.name", N_("Meridian never stores a patient's name; send only the "
                                                     "site's pseudonymous reference as the identifier"))
        if patient.gender:
            values["sex"] = patient.gender
        if patient.birthDate:
            values["year_of_birth"] = int(str(patient.birthDate)[:4])
        countries = [address.country for address in (patient.address or []) if address.country]
        if countries:
            values["country_of_residence"] = countries[0]
    return values


def referral_values(request: ServiceRequest, consent: Consent | None, actor) -> dict:
    """The pro-forma values a ServiceRequest (and Consent) carry. Raises FhirError."""
    if request.status not in ACCEPTED_STATUSES:
        raise invalid_element("ServiceRequest.status",
                              N_("a new referral is draft or active (it becomes a draft case)"))
    if request.requester is not None:
        if reference_id(request.requester.reference or "", ("Practitioner",)) != actor.id:
            raise invalid_element("ServiceRequest.requester", N_("must be you (Practitioner/%(id)s) or left out"),
                                  {"id": actor.id})
    values = _patient_values(request)
    for concept in request.reasonCode or []:
        codes = [coding.code for coding in (concept.coding or []) if coding.system == ICD10_SYSTEM]
        if codes:
            values["icd10_code"] = codes[0]
        if concept.text:
            values["diagnosis"] = concept.text
    notes = [note.text for note in (request.note or []) if note.text]
    if notes:
        values["clinical_summary"] = "\n\n".join(notes)
    for field, url, kind in (("question", EXT_QUESTION, "valueString"),
                             ("performance_status", EXT_PERFORMANCE_STATUS, "valueInteger"),
                             ("frailty_score", EXT_FRAILTY, "valueInteger")):
        extension = _extension(request, url)
        if extension is not None:
            values[field] = getattr(extension, kind)
    if request.priority:
        values["urgency"] = PRIORITY_URGENCY[request.priority] if request.priority in PRIORITY_URGENCY \
            else request.priority
    disciplines = [coding.code for concept in (request.orderDetail or []) for coding in (concept.coding or [])
                   if coding.system == DISCIPLINE_SYSTEM]
    if disciplines:
        values["disciplines"] = disciplines
    if request.language:
        values["language"] = request.language.split("-")[0].lower()
    boards = [performer.reference for performer in (request.performer or []) if performer.reference]
    if boards:
        board_id = reference_id(boards[0], ("HealthcareService",))
        if board_id is None or len(boards) > 1:
            raise invalid_element("ServiceRequest.performer", N_("name one board as HealthcareService/{id}"))
        values["board_id"] = board_id
    if consent is not None:
        values.update(consent_values(consent, values.get("patient_reference")))
    return values


def consent_values(consent: Consent, patient_reference: str | None) -> dict:
    patient = consent.patient.identifier.value if consent.patient and consent.patient.identifier else None
    if patient and patient_reference and patient != patient_reference:
        raise invalid_element("Consent.patient.identifier", N_("is not the ServiceRequest's patient"))
    if consent.status in ("draft", "proposed"):
        return {}
    if consent.status == "rejected":
        return {"cross_border_consent": False}
    if consent.status != "active" or consent.provision is None or consent.provision.type is None:
        raise invalid_element("Consent.provision.type", N_("an active Consent says permit or deny"))
    return {"cross_border_consent": consent.provision.type == "permit"}


def create_referral(ctx: Context, request: ServiceRequest, consent: Consent | None = None) -> Case:
    values = referral_values(request, consent, ctx.actor)
    try:
        case = operations.create_case(ctx.session, ctx.actor, values, at=ctx.at)
    except InvalidInput as error:
        raise from_domain(error, field_paths=FIELD_PATHS) from None
    ctx.audit("case.created", target_type="case", target_id=case.id, detail={"fields": sorted(values)})
    return case


@dataclass
class Transaction:
    request: ServiceRequest
    consent: Consent | None


def parse_transaction(body) -> Transaction:
    """A transaction Bundle holding one ServiceRequest to POST and, optionally, its Consent."""
    bundle = parse_resource(Bundle, body, "Bundle")
    if bundle.type != "transaction":
        raise invalid_element("Bundle.type", N_("only a transaction is accepted here"))
    found: dict[str, list] = {"ServiceRequest": [], "Consent": []}
    for index, entry in enumerate(bundle.entry or []):
        resource = entry.resource
        kind = resource.get_resource_type() if resource is not None else None
        method = entry.request.method if entry.request else None
        if kind not in found or method != "POST":
            raise invalid_element(f"Bundle.entry[{index}]", N_("a referral transaction holds one ServiceRequest "
                                                               "and at most one Consent, each with request.method "
                                                               "POST"))
        found[kind].append(resource)
    if len(found["ServiceRequest"]) != 1 or len(found["Consent"]) > 1:
        raise invalid_element("Bundle.entry", N_("a referral transaction holds exactly one ServiceRequest and "
                                                 "at most one Consent"))
    return Transaction(found["ServiceRequest"][0], (found["Consent"] or [None])[0])
