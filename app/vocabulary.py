"""The codes Meridian stores (states, roles, urgencies, outcome categories, disciplines) and their
English names. Plain Python: pages (app.web.vocabulary) and notification texts translate the names
through the catalogues; codes stay codes in the database and the API."""
from __future__ import annotations


def N_(text: str) -> str:
    """Marks a message for the catalogues; it is translated where it is shown."""
    return text


LABELS = {
    # Meetings and invitations
    "scheduled": N_("scheduled"), "in_progress": N_("in progress"), "finished": N_("finished"),
    "cancelled": N_("cancelled"), "pending": N_("pending"), "accepted": N_("accepted"),
    "tentative": N_("tentative"), "declined": N_("declined"), "withdrawn": N_("withdrawn"),
    "seat": N_("seat"), "attendee": N_("attendee"), "chair": N_("chair"), "observer": N_("observer"),
    # Cases
    "draft": N_("draft"), "submitted": N_("submitted"), "returned": N_("returned"), "triaged": N_("triaged"),
    "listed_not_discussed": N_("listed, not discussed"), "discussed": N_("discussed"),
    "outcome_signed": N_("outcome signed"), "closed": N_("closed"), "listed": N_("listed"),
    "not_discussed": N_("not discussed"),
    "urgent": N_("urgent"), "routine": N_("routine"),
    # People
    "referrer": N_("referrer"), "specialist": N_("specialist"), "coordinator": N_("coordinator"),
    "admin": N_("administrator"), "core": N_("core member"), "deputy": N_("deputy"),
    # Licences, quorum, rotas
    "valid": N_("valid"), "unverified": N_("unverified"), "expired": N_("expired"),
    "met": N_("met"), "at_risk": N_("at risk"), "missing": N_("missing"),
    "open": N_("open"), "approved": N_("approved"), "rejected": N_("rejected"),
    # Outcome categories
    "surgery": N_("surgery"), "systemic_therapy": N_("systemic therapy"), "radiotherapy": N_("radiotherapy"),
    "chemoradiotherapy": N_("chemoradiotherapy"), "further_investigation": N_("further investigation"),
    "surveillance": N_("surveillance"), "palliative_care": N_("palliative care"),
    "clinical_trial": N_("clinical trial"), "refer_on": N_("refer on"), "no_further_action": N_("no further action"),
    # Attendance
    "present": N_("present"), "absent": N_("absent"), "live": N_("live"),
    "present now": N_("present now"), "not yet joined": N_("not yet joined"),
    # Pro-forma values
    "female": N_("female"), "male": N_("male"), "other": N_("other"), "unknown": N_("unknown"),
}

# The discipline vocabulary as shipped (migrations/versions/0002); a discipline a hospital adds later
# shows its stored name (translated if a catalogue has it).
DISCIPLINE_NAMES = {
    "radiology": N_("Radiology"),
    "interventional-radiology": N_("Interventional radiology"),
    "nuclear-medicine": N_("Nuclear medicine"),
    "pathology": N_("Pathology"),
    "medical-oncology": N_("Medical oncology"),
    "clinical-oncology": N_("Clinical / radiation oncology"),
    "haematology": N_("Haematology"),
    "paediatric-oncology": N_("Paediatric oncology"),
    "thoracic-surgery": N_("Thoracic surgery"),
    "colorectal-surgery": N_("Colorectal surgery"),
    "hepatobiliary-surgery": N_("Hepatobiliary and pancreatic surgery"),
    "upper-gi-surgery": N_("Upper gastrointestinal surgery"),
    "breast-surgery": N_("Breast surgery"),
    "head-and-neck-surgery": N_("Head and neck surgery"),
    "urology": N_("Urology"),
    "gynaecological-oncology": N_("Gynaecological oncology"),
    "neurosurgery": N_("Neurosurgery"),
    "neurology": N_("Neurology"),
    "cardiology": N_("Cardiology"),
    "respiratory-medicine": N_("Respiratory medicine"),
    "gastroenterology": N_("Gastroenterology"),
    "dermatology": N_("Dermatology"),
    "palliative-care": N_("Palliative care"),
    "clinical-genetics": N_("Clinical genetics"),
    "specialist-nursing": N_("Clinical nurse specialist"),
    "pharmacy": N_("Oncology pharmacy"),
    "psycho-oncology": N_("Psycho-oncology"),
    "dietetics": N_("Dietetics"),
}


# The name shown for moves, reads and messages made by Meridian itself (the scheduler, the meeting's
# close, retention) rather than by a person.
SYSTEM_ACTOR = N_("Meridian (system)")

# Why Meridian itself moved a case: CaseTransition.reason_code, filled from its reason_params when
# shown. A person's reason is kept as their own words instead (CaseTransition.reason).
TRANSITION_REASONS = {
    "agenda.listed": N_("on the agenda of %(title)s"),
    "agenda.rolled_back": N_("not discussed at meeting #%(meeting_id)s; waiting for the next meeting"),
    "meeting.discussed": N_("discussed at meeting #%(meeting_id)s"),
    "outcome.signed": N_("Outcome version %(version)s signed by every required discipline"),
}


def transition_reason_text(code: str, params: dict | None, gettext) -> str:
    """A system reason in the language of `gettext` (the reader's)."""
    template = TRANSITION_REASONS.get(code)
    if template is None:  # a code a later version added: show the code rather than fail
        return code
    try:
        return gettext(template) % (params or {})
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
        return template % (params or {})


class CodeList(tuple):
    """Discipline codes in a message's params: joined by commas where a message is filled in English (logs),
    by their names in the reader's language at the edge (app.errorhandlers.reader_value)."""

    def __str__(self) -> str:
        return ", ".join(self) or "—"


def label_text(code) -> str | None:
    return LABELS.get(str(code)) if code is not None else None


def discipline_text(code) -> str | None:
    return DISCIPLINE_NAMES.get(str(code)) if code is not None else None
