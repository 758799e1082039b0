"""How stored codes read on a page, in the request's language: `{{ code|label }}`, `{{ code|discipline }}`.

The codes and their English names live in app.vocabulary (shared with notification texts).
"""
from __future__ import annotations

from flask import has_request_context, request
from flask_babel import get_locale, gettext
from sqlalchemy import select

from app.vocabulary import DISCIPLINE_NAMES, LABELS


def label(code) -> str:
    """A stored code as the reader's language says it; an unknown code is shown as it is."""
    if code is None:
        return ""
    found = LABELS.get(str(code))
    return gettext(found) if found is not None else str(code)


_STORED_KEY = "meridian.stored_disciplines"


def _stored_disciplines() -> dict[str, tuple[str, dict]]:
    """code -> (English name, {locale: name}) as administrators keep them; read once per request."""
    if not has_request_context():
        return {}
    # Kept on the request itself (an application context, and `g`, may outlive one request).
    stored = request.environ.get(_STORED_KEY)
    if stored is None:
        from app.extensions import db
        from app.specialists.models import Discipline

        rows = db.session.execute(select(Discipline.code, Discipline.name, Discipline.labels))
        stored = request.environ[_STORED_KEY] = {code: (name, labels or {}) for code, name, labels in rows}
    return stored


def discipline(code, stored_name: str | None = None) -> str:
    """An administrator's name for the reader's language first; then the catalogues' translation of
    a shipped name not renamed since; then the stored English name."""
    code = str(code)
    stored = _stored_disciplines().get(code)
    if stored is not None:
        locale = str(get_locale() or "en").split("_")[0]
        if stored[1].get(locale):
            return stored[1][locale]
        stored_name = stored[0]
    found = DISCIPLINE_NAMES.get(code)
    if found is not None and (stored_name is None or stored_name == found):
        return gettext(found)
    return gettext(str(stored_name)) if stored_name else gettext(code)


def disciplines(codes) -> str:
    # TRANSLATORS: the separator between the items of a list ("、" or "，" in Chinese).
    return gettext(", ").join(discipline(code) for code in codes) if codes else ""


def register_vocabulary(app) -> None:
    app.add_template_filter(label, "label")
    app.add_template_filter(discipline, "discipline")
    app.add_template_filter(disciplines, "disciplines")
