"""RFC 9457 problem details: the one error shape of the API."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext
from werkzeug.http import HTTP_STATUS_CODES

from app.errors import in_readers_language
from app.vocabulary import N_

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Titles a person may read, in the request's language (see docs/api.md); other statuses keep HTTP's name.
TITLES = {400: N_("Bad Request"), 401: N_("Unauthorized"), 403: N_("Forbidden"), 404: N_("Not Found"),
          405: N_("Method Not Allowed"), 409: N_("Conflict"), 413: N_("Request Entity Too Large"),
          415: N_("Unsupported Media Type"), 422: N_("Unprocessable Entity"), 429: N_("Too Many Requests"),
          500: N_("Internal Server Error"), 503: N_("Service Unavailable")}
VALIDATION_TITLE = N_("The request has invalid fields")


def problem(status: int, detail: str, /, *, type_: str = "about:blank", title: str | None = None,
            errors: list[dict] | None = None, headers: dict | None = None, params: dict | None = None, **extra):
    """`detail` is an `N_` template filled with `params`, in the request's language (text already in it
    passes through unchanged)."""
    body = {
        "type": type_,
        "title": gettext(title) if title else (gettext(TITLES[status]) if status in TITLES
                                               else HTTP_STATUS_CODES.get(status, "Error")),
        "status": status,
        "detail": in_readers_language(detail, params),
    }
    if errors:
        body["errors"] = errors
    # Extra members never replace the standard ones (a conflict's `status` must not hide the code).
    body.update({name: value for name, value in extra.items() if name not in body and name != "errors"})
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MEDIA_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def validation_problem(errors: list[dict], detail: str | None = None):
    """422 with one entry per offending field: {"field": "a.b[0]", "message": "..."}."""
    if detail is None:
        detail = "; ".join(f"{e['field']}: {e['message']}" if e.get("field") else e["message"]
                           for e in errors)
    return problem(422, detail, type_="/problems/validation-error",
                   title=VALIDATION_TITLE, errors=errors)


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"}},
            },
        },
    },
}
