"""Small builders shared by the resource mappings."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select

from app.fhir.codes import DISCIPLINE_SYSTEM, SUBSETTED
from app.i18n import html_lang
from app.specialists.models import SpecialistProfile, specialist_disciplines
from app.timekeeping import format_instant


def reference(resource_type: str, resource_id, display: str | None = None) -> dict:
    value = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        value["display"] = display
    return value


def instant(value: datetime | None) -> str | None:
    return format_instant(value) if value is not None else None


def reader_language() -> str:
    """Resource.language of the texts Meridian writes into a resource: the request's language, tagged as
    the pages tag it (BCP 47, `app.i18n.html_lang`: `zh-Hans`, as Chinese is written in Simplified characters)."""
    return html_lang()


def unidentified_patient() -> dict:
    """The subject of a case whose site has not yet given the patient's pseudonym."""
    return {"display": gettext("Patient not yet identified")}


def code_text(code: str) -> str:
    """A Meridian code (an outcome category, a meeting role) as the reader's language names it, for a
    CodeableConcept's `text`; a code the vocabulary lacks is shown as it is."""
    from app.web.vocabulary import label  # here: importing app.web loads every page's views

    return label(code)


def coded_concept(system: str, code: str, display: str) -> dict:
    """A CodeableConcept of one of Meridian's own codes: the coding keeps the code system's own (English)
    `display`, an `N_`-marked name; `text` is that name in the reader's language."""
    return {"coding": [{"system": system, "code": code, "display": display}], "text": gettext(display)}


def discipline_concept(code: str, name: str | None = None) -> dict:
    """The coding keeps the code system's own (English) display; `text` is the name in the reader's language."""
    from app.web.vocabulary import discipline  # here: importing app.web loads every page's views

    coding = {"system": DISCIPLINE_SYSTEM, "code": code}
    if name:
        coding["display"] = name
    return {"coding": [coding], "text": discipline(code, name)}


def subsetted_meta() -> dict:
    return {"tag": [SUBSETTED]}


def without_none(value):
    """Drop None values and empty lists/dicts, recursively (FHIR forbids empty elements)."""
    if isinstance(value, dict):
        cleaned = {key: without_none(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, [], {}, "")}
    if isinstance(value, list):
        cleaned = [without_none(item) for item in value]
        return [item for item in cleaned if item not in (None, [], {}, "")]
    return value


def build(model, body: dict):
    """A validated fhir.resources model from a plain body (None and empty values dropped)."""
    return model.model_validate(without_none({"resourceType": model.get_resource_type(), **body}))


def starts_with(text: str) -> str:
    """A LIKE pattern (escape character backslash) for values starting with `text`."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def holds_a_discipline(codes):
    """SQL: the specialist profile holds one of the discipline `codes` (a `specialty` search)."""
    return SpecialistProfile.id.in_(select(specialist_disciplines.c.profile_id)
                                    .where(specialist_disciplines.c.discipline_code.in_(sorted(codes))))
