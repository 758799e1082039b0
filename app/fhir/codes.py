"""Code systems, identifier systems and extensions the facade uses, in one place."""
from __future__ import annotations

FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json"

# Meridian's own canonical base for the code systems and extensions it defines.
CANONICAL = "https://meridian.health/fhir"
DISCIPLINE_SYSTEM = f"{CANONICAL}/CodeSystem/discipline"
BOARD_SYSTEM = f"{CANONICAL}/CodeSystem/board"
SERVICE_CATEGORY_SYSTEM = f"{CANONICAL}/CodeSystem/service-category"
OUTCOME_CATEGORY_SYSTEM = f"{CANONICAL}/CodeSystem/outcome-category"
MEETING_ROLE_SYSTEM = f"{CANONICAL}/CodeSystem/meeting-role"
CASE_STATE_SYSTEM = f"{CANONICAL}/CodeSystem/case-state"
ORGANIZATION_ID_SYSTEM = f"{CANONICAL}/sid/organization"
PRACTITIONER_ID_SYSTEM = f"{CANONICAL}/sid/practitioner"
LICENCE_SYSTEM = f"{CANONICAL}/sid/licence"


def patient_reference_system(organization_id: int) -> str:
    """A patient's pseudonym is the referring site's: its identifier system names the site."""
    return f"{CANONICAL}/sid/patient-reference/organization/{organization_id}"


EXT_TIMEZONE = f"{CANONICAL}/StructureDefinition/timezone"
EXT_QUESTION = f"{CANONICAL}/StructureDefinition/mdt-question"
EXT_PERFORMANCE_STATUS = f"{CANONICAL}/StructureDefinition/who-performance-status"
EXT_FRAILTY = f"{CANONICAL}/StructureDefinition/clinical-frailty-scale"
EXT_CASE_STATE = f"{CANONICAL}/StructureDefinition/case-state"
EXT_RESIDENCY_REGION = f"{CANONICAL}/StructureDefinition/residency-region"

ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
ISO_COUNTRY_SYSTEM = "urn:iso:std:iso:3166"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
LOINC = "http://loinc.org"
CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PROVENANCE_AGENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DATA_OPERATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
OBSERVATION_VALUE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
PARTICIPATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"

# A resource cut down to what the viewer may see (a cross-border summary) carries this tag.
SUBSETTED = {"system": OBSERVATION_VALUE_SYSTEM, "code": "SUBSETTED", "display": "subsetted"}

# --- Meridian states as FHIR codes --------------------------------------------------------------

# ServiceRequest.status for each case state.
CASE_STATUS = {
    "draft": "draft",
    "submitted": "active",
    "returned": "on-hold",
    "triaged": "active",
    "scheduled": "active",
    "discussed": "active",
    "listed_not_discussed": "completed",
    "outcome_signed": "completed",
    "closed": "completed",
    "withdrawn": "revoked",
}
SERVICE_REQUEST_STATUSES = ("draft", "active", "on-hold", "revoked", "completed", "entered-in-error",
                            "unknown")

# Appointment.status for each meeting status.
MEETING_STATUS = {"scheduled": "booked", "in_progress": "arrived", "finished": "fulfilled",
                  "cancelled": "cancelled"}
APPOINTMENT_STATUSES = ("proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow",
                        "entered-in-error", "checked-in", "waitlist")

# Appointment.participant.status for each invitation status (withdrawn invitations are left out).
INVITATION_STATUS = {"pending": "needs-action", "accepted": "accepted", "tentative": "tentative",
                     "declined": "declined"}

URGENCY_PRIORITY = {"routine": "routine", "urgent": "urgent"}
# What another system's priority means here.
PRIORITY_URGENCY = {"routine": "routine", "urgent": "urgent", "asap": "urgent", "stat": "urgent"}

SEX_GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


def statuses_to_states(mapping: dict[str, str], statuses) -> list[str]:
    """The Meridian states that show as any of `statuses` (for searching by status)."""
    return sorted(state for state, status in mapping.items() if status in set(statuses))
