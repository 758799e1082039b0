"""Small builders shared by the resource mappings."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.fhir.codes import DISCIPLINE_SYSTEM, SUBSETTED
from app.specialists.models import SpecialistProfile, specialist_disciplines
from app.timekeeping import format_instant


def reference(resource_type: str, resource_id, display: str | None = None) -> dict:
    value = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        value["display"] = display
    return value


def instant(value: datetime | None) -> str | None:
    return format_instant(value) if value is not None else None


def discipline_concept(code: str, name: str | None = None) -> dict:
    coding = {"system": DISCIPLINE_SYSTEM, "code": code}
    if name:
        coding["display"] = name
    return {"coding": [coding], "text": name or code}


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
