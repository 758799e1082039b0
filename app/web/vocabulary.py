"""How the codes Meridian stores (states, roles, urgencies, disciplines) read on a page, per language.

Codes stay codes in the database and the API; pages show `{{ code|label }}` and `{{ code|discipline }}`.
"""
from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

LABELS = {
    # Meetings and invitations
    "scheduled": _l("scheduled"), "in_progress": _l("in progress"), "finished": _l("finished"),
    "cancelled": _l("cancelled"), "pending": _l("pending"), "accepted": _l("accepted"),
    "tentative": _l("tentative"), "declined": _l("declined"), "withdrawn": _l("withdrawn"),
    "seat": _l("seat"), "attendee": _l("attendee"), "chair": _l("chair"), "observer": _l("observer"),
    # Cases
    "draft": _l("draft"), "submitted": _l("submitted"), "returned": _l("returned"), "triaged": _l("triaged"),
    "listed_not_discussed": _l("listed, not discussed"), "discussed": _l("discussed"),
    "outcome_signed": _l("outcome signed"), "closed": _l("closed"), "listed": _l("listed"),
    "not_discussed": _l("not discussed"),
    "urgent": _l("urgent"), "routine": _l("routine"),
    # People
    "referrer": _l("referrer"), "specialist": _l("specialist"), "coordinator": _l("coordinator"),
    "admin": _l("administrator"), "core": _l("core member"), "deputy": _l("deputy"),
    # Licences, quorum, rotas
    "valid": _l("valid"), "unverified": _l("unverified"), "expired": _l("expired"),
    "met": _l("met"), "at_risk": _l("at risk"), "missing": _l("missing"),
    "open": _l("open"), "approved": _l("approved"), "rejected": _l("rejected"),
    # Outcome categories
    "surgery": _l("surgery"), "systemic_therapy": _l("systemic therapy"), "radiotherapy": _l("radiotherapy"),
    "chemoradiotherapy": _l("chemoradiotherapy"), "further_investigation": _l("further investigation"),
    "surveillance": _l("surveillance"), "palliative_care": _l("palliative care"),
    "clinical_trial": _l("clinical trial"), "refer_on": _l("refer on"), "no_further_action": _l("no further action"),
    # Attendance
    "present": _l("present"), "absent": _l("absent"), "live": _l("live"),
    "present now": _l("present now"), "not yet joined": _l("not yet joined"),
    # Pro-forma values
    "female": _l("female"), "male": _l("male"), "other": _l("other"), "unknown": _l("unknown"),
}

# The discipline vocabulary as shipped (migrations/versions/0002); a discipline a hospital adds later shows
# its stored name until a catalogue translates it.
DISCIPLINE_NAMES = {
    "radiology": _l("Radiology"),
    "interventional-radiology": _l("Interventional radiology"),
    "nuclear-medicine": _l("Nuclear medicine"),
    "pathology": _l("Pathology"),
    "medical-oncology": _l("Medical oncology"),
    "clinical-oncology": _l("Clinical / radiation oncology"),
    "haematology": _l("Haematology"),
    "paediatric-oncology": _l("Paediatric oncology"),
    "thoracic-surgery": _l("Thoracic surgery"),
    "colorectal-surgery": _l("Colorectal surgery"),
    "hepatobiliary-surgery": _l("Hepatobiliary and pancreatic surgery"),
    "upper-gi-surgery": _l("Upper gastrointestinal surgery"),
    "breast-surgery": _l("Breast surgery"),
    "head-and-neck-surgery": _l("Head and neck surgery"),
    "urology": _l("Urology"),
    "gynaecological-oncology": _l("Gynaecological oncology"),
    "neurosurgery": _l("Neurosurgery"),
    "neurology": _l("Neurology"),
    "cardiology": _l("Cardiology"),
    "respiratory-medicine": _l("Respiratory medicine"),
    "gastroenterology": _l("Gastroenterology"),
    "dermatology": _l("Dermatology"),
    "palliative-care": _l("Palliative care"),
    "clinical-genetics": _l("Clinical genetics"),
    "specialist-nursing": _l("Clinical nurse specialist"),
    "pharmacy": _l("Oncology pharmacy"),
    "psycho-oncology": _l("Psycho-oncology"),
    "dietetics": _l("Dietetics"),
}


def label(code) -> str:
    """A stored code as the reader's language says it; an unknown code is shown as it is."""
    if code is None:
        return ""
    found = LABELS.get(str(code))
    return str(found) if found is not None else str(code)


def discipline(code, stored_name: str | None = None) -> str:
    found = DISCIPLINE_NAMES.get(str(code))
    if found is not None:
        return str(found)
    return gettext(stored_name) if stored_name else str(code)


def disciplines(codes) -> str:
    # TRANSLATORS: the separator between items of a list, e.g. disciplines ("、" in Chinese).
    return gettext(", ").join(discipline(code) for code in codes) if codes else ""


def register_vocabulary(app) -> None:
    app.add_template_filter(label, "label")
    app.add_template_filter(discipline, "discipline")
    app.add_template_filter(disciplines, "disciplines")
