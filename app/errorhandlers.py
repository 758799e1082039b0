"""Turn every error into a response a person can act on: problem+json for the API, a page otherwise.

No traceback ever reaches a user; unexpected errors are logged with one.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.api.problems import problem, validation_problem
from app.errors import (Conflict, DomainError, InvalidInput, MalformedInput, NotAuthenticated, NotFound,
                        PermissionDenied, TooManyAttempts, use_translator)
from app.vocabulary import N_

PAGE_MESSAGES = {
    400: N_("The request could not be understood; go back and try again."),
    403: N_("You may not open this page."),
    404: N_("There is nothing here: the page does not exist, or it is not yours to see."),
    405: N_("This page cannot be used that way."),
    415: N_("This page takes the fields of its form; send them as the form does (the API is under /api/v1/)."),
    429: N_("Too many attempts; wait a little and try again."),
}

_DOMAIN_STATUS = ((MalformedInput, 400), (InvalidInput, 422), (NotFound, 404), (Conflict, 409), (PermissionDenied, 403),
                  (NotAuthenticated, 401), (TooManyAttempts, 429))


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def _status_of(error: DomainError) -> int:
    for kind, status in _DOMAIN_STATUS:
        if isinstance(error, kind):
            return status
    return 400


def _allow_header(error: HTTPException) -> dict:
    """A 405 says which methods the URL does take (RFC 9110 requires `Allow`)."""
    methods = getattr(error, "valid_methods", None)
    return {"Allow": ", ".join(sorted(methods))} if methods else {}


def reader_translation(template: str) -> str:
    """A domain message template in the language of the request being answered (none: as written)."""
    from flask import has_request_context

    return gettext(template) if has_request_context() else template


def reader_value(name: str, value):
    """A value of a domain message, shown to the reader by its name: an instant (`*_at`, ISO 8601) in their
    zone and language, a calendar date (`*_on`, YYYY-MM-DD), a weekday (`*weekday`, 0 = Monday), a
    discipline (`discipline`, its code) and disciplines (`disciplines`, codes) in their language; whatever
    its name, a value that knows how it reads (`for_reader(locale_code)`: `app.timekeeping.LocalTime` on its
    own zone's clock, `ZoneName` by its place) in their language, as does an `app.vocabulary.CodeList`
    whatever its name; other values as given."""
    from datetime import date, datetime

    from flask import has_request_context

    if not has_request_context():
        return value
    from app.i18n import current_locale_code

    from app.vocabulary import CodeList

    # Codes stored with a message (a notification's params) come back as a plain list.
    if isinstance(value, CodeList) or (name == "disciplines" and isinstance(value, (list, tuple))):
        from app.web.vocabulary import disciplines   # the names administrators give, read per request

        return disciplines(value) or "—"
    if hasattr(value, "for_reader"):
        return value.for_reader(current_locale_code())

    if name.endswith("_at") and isinstance(value, str):
        from app.security import current_actor
        from app.timekeeping import format_for_reader, parse_instant

        try:
            instant = parse_instant(value)
        except ValueError:
            return value
        # The reader: the session's user on a page, the token's on the API (Flask-Login knows only the former).
        zone = getattr(current_actor(), "timezone", None) or "UTC"
        return format_for_reader(instant, zone, current_locale_code())
    if name.endswith("_on") and isinstance(value, (str, date)) and not isinstance(value, datetime):
        from app.timekeeping import format_day_for_reader

        try:
            day = value if isinstance(value, date) else date.fromisoformat(value)
        except ValueError:
            return value
        return format_day_for_reader(day, current_locale_code())
    if name == "discipline" and isinstance(value, str):  # a discipline's code, by the name the reader knows
        from app.web.vocabulary import discipline

        return discipline(value)
    if name.endswith("weekday") and isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        from app.timekeeping import weekday_for_reader

        return weekday_for_reader(value, current_locale_code())
    return value


def register_error_handlers(app):
    use_translator(reader_translation, reader_value)

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        from app.extensions import db

        db.session.rollback()
        status = _status_of(error)
        message = error.message  # in the reader's language (reader_translation)
        if _wants_problem():
            if isinstance(error, MalformedInput):
                return problem(400, f"{error.field}: {message}", errors=[{"field": error.field, "message": message}])
            if isinstance(error, InvalidInput):
                return validation_problem([{"field": error.field, "message": message}])
            headers = {}
            if isinstance(error, TooManyAttempts):
                headers["Retry-After"] = str(error.retry_after)
            if isinstance(error, NotAuthenticated):
                headers["WWW-Authenticate"] = 'Bearer realm="meridian"'
            return problem(status, message, headers=headers, **getattr(error, "extra", {}))
        if isinstance(error, MalformedInput):
            message = f"{error.field}: {message}"
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(RequestEntityTooLarge)
    def handle_too_large(error):
        limit = app.config.get("MAX_CONTENT_LENGTH")
        message = gettext("The request body is larger than the limit of %(limit)s bytes.", limit=limit)
        if _wants_problem():
            return problem(413, message)
        return render_template("error.html", status=413, message=message), 413

    @app.errorhandler(CSRFError)
    def handle_csrf(error):
        message = gettext("The form expired or was not sent from this site; reload the page and try again.")
        if _wants_problem():
            return problem(400, message)
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if _wants_problem():
            detail = error.description or error.name
            if error.code == 404:
                detail = gettext("Nothing at %(path)s.", path=request.path)
            elif error.code == 405:
                detail = gettext("%(method)s is not allowed on %(path)s.", method=request.method, path=request.path)
            return problem(error.code or 500, detail, headers=_allow_header(error))
        message = error.description
        if error.code in PAGE_MESSAGES and error.description == type(error).description:
            message = gettext(PAGE_MESSAGES[error.code])  # werkzeug's stock English, in the reader's language
        return render_template("error.html", status=error.code, message=message), error.code, _allow_header(error)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        from app.extensions import db
        from app.headers import loggable_request

        # The URL rule, not the path: a path may hold a link's secret or a patient reference.
        app.logger.exception("unhandled error on %s", loggable_request())
        db.session.rollback()
        message = gettext("Something went wrong on our side; nothing was saved. Please try again.")
        if _wants_problem():
            return problem(500, message)
        return render_template("error.html", status=500, message=message), 500
