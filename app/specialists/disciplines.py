"""The discipline vocabulary, as administrators keep it: add, rename, translate, retire, restore.

Plain Python over a session; callers commit. A code never changes and is never deleted: boards,
profiles and cases store it. Retiring one only stops it being offered (app.specialists.operations
`list_disciplines`); everything that names it keeps working.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound
from app.specialists.models import Discipline
from app.timekeeping import ensure_utc
from app.vocabulary import N_

CODE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
LABEL_LOCALES = ("zh", "ru")  # English is the name itself
MAX_NAME = 120


def get_discipline(session: Session, code: str) -> Discipline:
    discipline = session.get(Discipline, code)
    if discipline is None:
        raise NotFound(N_("No discipline has code %(code)s."), params={"code": repr(code)})
    return discipline


def _clean_name(session: Session, name: str | None, *, keep: Discipline | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("name", N_("is required"))
    if len(name) > MAX_NAME:
        raise InvalidInput("name", N_("must be at most 120 characters"))
    clash = session.scalar(select(Discipline).where(func.lower(Discipline.name) == name.lower()))
    if clash is not None and clash is not keep:
        raise InvalidInput("name", N_("is already the name of another discipline"))
    return name


def _clean_labels(labels: dict | None) -> dict:
    cleaned = {}
    for locale, text in (labels or {}).items():
        if locale not in LABEL_LOCALES:
            raise InvalidInput("labels", N_("%(locale)s is not one of %(choices)s"),
                               params={"locale": repr(locale), "choices": ", ".join(LABEL_LOCALES)})
        text = " ".join((text or "").split())
        if len(text) > MAX_NAME:
            raise InvalidInput(f"label_{locale}", N_("must be at most 120 characters"))
        if text:
            cleaned[locale] = text
    return cleaned


def add_discipline(session: Session, *, code: str, name: str, labels: dict | None = None) -> Discipline:
    code = (code or "").strip().lower()
    if not CODE.match(code):
        raise InvalidInput("code", N_("must be 3 to 40 lower-case letters, digits or hyphens, e.g. "
                                      "'sarcoma-surgery'"))
    if session.get(Discipline, code) is not None:
        raise Conflict(N_("The code %(code)s is taken."), params={"code": repr(code)})
    discipline = Discipline(code=code, name=_clean_name(session, name), labels=_clean_labels(labels))
    session.add(discipline)
    session.flush()
    return discipline


def update_discipline(session: Session, discipline: Discipline, *, name: str | None = None,
                      labels: dict | None = None) -> dict:
    """Rename and/or set the translated names (an empty one falls back); returns what changed."""
    changes = {}
    if name is not None:
        name = _clean_name(session, name, keep=discipline)
        if name != discipline.name:
            changes["name"] = {"from": discipline.name, "to": name}
            discipline.name = name
    if labels is not None:
        labels = _clean_labels(labels)
        if labels != (discipline.labels or {}):
            changes["labels"] = {"from": dict(discipline.labels or {}), "to": labels}
            discipline.labels = labels
    session.flush()
    return changes


def set_retired(session: Session, discipline: Discipline, retired: bool, *, at: datetime) -> bool:
    """Retire (no longer offered) or restore; True when it changed."""
    if discipline.is_retired == retired:
        return False
    discipline.retired_at = ensure_utc(at) if retired else None
    session.flush()
    return True
