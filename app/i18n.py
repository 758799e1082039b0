"""Languages: which one a request is answered in, and the bits of a page that depend on it.

The language is, in order: the signed-in user's saved choice (`User.locale`), the choice made
with the language switcher in this browser session, the browser's Accept-Language, and the
deployment's default (`MERIDIAN_DEFAULT_LOCALE`, else English). The zone is the reader's own.
Catalogues live in app/translations (see docs/i18n.md); adding a language is one catalogue plus
its code in LOCALES.
Importable without Flask (the domain checks a saved choice with `checked_locale`).
"""
from __future__ import annotations

from babel import Locale

from app.errors import InvalidValue
from app.vocabulary import N_

# Code stored in User.locale / accepted by the API -> the language's own name (for the switcher).
LOCALES = {"en": "English", "zh": "中文（简体）", "ru": "Русский"}
# The BCP 47 tag a page declares in <html lang>: Chinese is written in Simplified characters.
HTML_LANG = {"zh": "zh-Hans"}
SESSION_KEY = "locale"


def checked_locale(value: str | None) -> str | None:
    """None (follow the browser) or one of LOCALES; raises ValueError naming the choices otherwise."""
    if value is None:
        return None
    code = str(value).strip().replace("-", "_")
    if code not in LOCALES:
        raise InvalidValue(N_("must be one of %(choices)s (or null to follow the browser)"),
                           params={"choices": ", ".join(LOCALES)})
    return code


def supported_locales() -> list[str]:
    return list(LOCALES)


def default_locale() -> str:
    from flask import current_app

    return current_app.config.get("BABEL_DEFAULT_LOCALE") or "en"


def select_locale() -> str:
    """Saved choice, then this session's choice, then Accept-Language, then the default."""
    from flask import g, has_request_context, request, session

    if not has_request_context():
        return default_locale()
    from app.security import current_actor

    try:
        user = current_actor()
    except Exception:  # a broken token or an unreadable session must not stop a page in its language
        user = None
    wanted = request.accept_languages.best_match(supported_locales())
    api_client = request.path.startswith(("/api/", "/fhir/")) and g.get("auth_method") != "session"
    if wanted and api_client and request.headers.get("Accept-Language"):
        # A client that names a language gets it (problem titles, notification texts); the pages' own
        # scripts (signed in by cookie) get the page's language, whatever the browser sends.
        return wanted
    if user is not None and user.locale in LOCALES:
        return user.locale
    chosen = session.get(SESSION_KEY)
    if chosen in LOCALES:
        return chosen
    return wanted or default_locale()


def select_timezone() -> str:
    from flask import has_request_context

    if not has_request_context():
        return "UTC"
    from app.security import current_actor

    try:
        user = current_actor()
    except Exception:
        user = None
    return user.timezone if user is not None else "UTC"


def current_locale_code() -> str:
    from flask_babel import get_locale

    return str(get_locale() or default_locale())


def html_lang(code: str | None = None) -> str:
    code = code or current_locale_code()
    return HTML_LANG.get(code, code.replace("_", "-"))


def text_direction(code: str | None = None) -> str:
    """'rtl' for Arabic, Persian, Uyghur, Urdu, Hebrew...; CLDR knows which scripts run right to left."""
    return Locale.parse(code or current_locale_code()).text_direction


def init_app(app) -> None:
    import os

    from app.extensions import babel

    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")  # config.py reads MERIDIAN_DEFAULT_LOCALE
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES",
                          os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    @app.before_request
    def choose_language_afresh():
        # Flask-Babel caches the choice on `g`, which tests and CLI commands share across requests.
        from flask import g

        g.pop("_flask_babel", None)

    @app.context_processor
    def language_of_page():
        code = current_locale_code()
        return {"page_lang": html_lang(code), "page_dir": text_direction(code), "html_lang": html_lang,
                "locale_code": code, "language_choices": LOCALES,
                "js_catalogue": {"messages": js_catalogue(code), "labels": code_labels()}}


def code_labels() -> dict[str, str]:
    """States, roles and disciplines in the request's language, for the page scripts."""
    from flask_babel import gettext

    from app.vocabulary import DISCIPLINE_NAMES, LABELS

    return {code: gettext(text) for code, text in {**LABELS, **DISCIPLINE_NAMES}.items()}


_JS_CATALOGUES: dict[str, dict] = {}


def js_catalogue(code: str) -> dict:
    """The page scripts' messages in one language (built by `make translations`), read once per process."""
    import json
    import os

    if code not in _JS_CATALOGUES:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static", "i18n", f"{code}.json")
        try:
            with open(path, encoding="utf-8") as handle:
                _JS_CATALOGUES[code] = json.load(handle)
        except FileNotFoundError:
            _JS_CATALOGUES[code] = {}
    return _JS_CATALOGUES[code]


def file_size_for_reader(value) -> str:
    """A size in bytes as the reader reads it: '25 MB', '512 KB' (binary units: 25 MB is 25 × 1024 × 1024
    bytes), in the request's language."""
    from babel.numbers import format_decimal
    from flask_babel import gettext

    from app.timekeeping import reader_locale

    locale = reader_locale(current_locale_code())
    value = int(value or 0)
    if value >= 1024 * 1024:
        return gettext("%(size)s MB", size=format_decimal(round(value / (1024 * 1024), 1), locale=locale))
    if value >= 1024:
        return gettext("%(size)s KB", size=format_decimal(round(value / 1024), locale=locale))
    return gettext("%(size)s bytes", size=format_decimal(value, locale=locale))
