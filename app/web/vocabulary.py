"""How stored codes read on a page, in the request's language: `{{ code|label }}`, `{{ code|discipline }}`.

The codes and their English names live in app.vocabulary (shared with notification texts).
"""
from __future__ import annotations

from flask_babel import gettext

from app.vocabulary import DISCIPLINE_NAMES, LABELS


def label(code) -> str:
    """A stored code as the reader's language says it; an unknown code is shown as it is."""
    if code is None:
        return ""
    found = LABELS.get(str(code))
    return gettext(found) if found is not None else str(code)


def discipline(code, stored_name: str | None = None) -> str:
    found = DISCIPLINE_NAMES.get(str(code))
    if found is not None:
        return gettext(found)
    return gettext(str(stored_name)) if stored_name else gettext(str(code))


def disciplines(codes) -> str:
    # TRANSLATORS: the separator between the items of a list ("、" or "，" in Chinese).
    return gettext(", ").join(discipline(code) for code in codes) if codes else ""


def register_vocabulary(app) -> None:
    app.add_template_filter(label, "label")
    app.add_template_filter(discipline, "discipline")
    app.add_template_filter(disciplines, "disciplines")
