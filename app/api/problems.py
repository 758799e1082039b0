"""RFC 9457 problem details: the one error shape of the API."""
from __future__ import annotations

from flask import jsonify
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem(status: int, detail: str, /, *, type_: str = "about:blank", title: str | None = None,
            errors: list[dict] | None = None, headers: dict | None = None, **extra):
    body = {
        "type": type_,
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
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
                   title="The request has invalid fields", errors=errors)


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
