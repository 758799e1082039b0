"""`@endpoint`: the one way an API view is declared.

It authenticates, authorises (deny by default), parses and validates the JSON body and query
string, calls the view, serialises its answer, and commits once. Its metadata feeds the
OpenAPI document, so the document cannot drift from the code.
"""
from __future__ import annotations

import json
from functools import wraps

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError, validate_csrf
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.api.problems import problem, validation_problem
from app.api.schema import describe_errors
from app.errors import in_readers_language
from app.extensions import db
from app.inputs import out_of_range
from app.security import PUBLIC, SIGNED_IN, current_actor, declare_access, is_allowed
from app.vocabulary import N_, label_text

_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ApiResponse:
    """A view's answer when it needs a status or headers other than the endpoint's default."""

    def __init__(self, body=None, status: int | None = None, headers: dict | None = None):
        self.body, self.status, self.headers = body, status, headers or {}


def endpoint(*, summary: str, roles=SIGNED_IN, body: type[BaseModel] | None = None,
             query: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
             many: bool = False, status: int = 200, tags: tuple[str, ...] = (),
             raw_body: str | None = None, errors: dict[int, str] | None = None,
             body_optional: bool = False):
    """`raw_body` names the media type of a body the view reads itself (a CSV file, an upload);
    it is only described in the OpenAPI document. `errors` documents statuses beyond the ones
    every operation of its kind may return (see `app.api.openapi`). With `body_optional`, a request
    with no body at all reads as the body model's defaults (every field of it must have one)."""
    access = roles if roles in (PUBLIC, SIGNED_IN) else frozenset(roles)
    shape = None if response is None else TypeAdapter(list[response] if many else response)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if access != PUBLIC:
                if actor is None:
                    return problem(401, N_("Sign in first: send 'Authorization: Bearer <token>' "
                                           "from POST /api/v1/auth/token."),
                                   headers={"WWW-Authenticate": 'Bearer realm="meridian"'})
                if not is_allowed(actor, access):
                    return problem(403, N_("Your role does not allow this. Needed: %(roles)s."),
                                   params={"roles": ", ".join(in_readers_language(label_text(role) or role)
                                                              for role in sorted(access))})
                refusal = _check_csrf_for_cookie_auth()
                if refusal is not None:
                    return refusal
            for name, model, parse in (("body", body, _parse_body), ("query", query, _parse_query)):
                if model is None:
                    continue
                parsed = (model() if name == "body" and body_optional and not _has_body() else parse(model))
                if not isinstance(parsed, BaseModel):
                    return parsed
                beyond = out_of_range(parsed)
                if beyond:
                    return validation_problem(beyond)
                kwargs[name] = parsed
            result = view(*args, **kwargs)
            db.session.commit()
            return _serialise(result)

        def _serialise(result):
            if isinstance(result, current_app.response_class):
                return result
            answer = result if isinstance(result, ApiResponse) else ApiResponse(result)
            code = answer.status or status
            if answer.body is None:
                return current_app.response_class(status=code, headers=answer.headers)
            if shape is not None:  # validated and written as JSON in one pass
                text = shape.dump_json(shape.validate_python(answer.body))
            else:
                text = json.dumps(answer.body, ensure_ascii=False)
            reply = current_app.response_class(text, status=code, mimetype="application/json")
            reply.headers.update(answer.headers)
            return reply

        wrapper._api_spec = {
            "summary": summary, "access": access, "body": body, "query": query,
            "response": response, "many": many, "status": status, "tags": tags, "raw_body": raw_body,
            "errors": errors or {}, "body_optional": body_optional,
        }
        return declare_access(wrapper, access)

    return decorator


def _check_csrf_for_cookie_auth():
    """A browser session authenticates by cookie, so its unsafe requests must prove they are ours."""
    if g.get("auth_method") != "session" or request.method not in _UNSAFE_METHODS:
        return None
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except (CSRFError, Exception):
        return problem(403, N_("Missing or invalid X-CSRFToken header for a cookie-authenticated request."))
    return None


def _has_body() -> bool:
    return bool(request.content_length) or bool(request.get_data(cache=True))


def _parse_body(model: type[BaseModel]):
    limit = current_app.config["API_MAX_JSON_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        return problem(413, N_("The JSON body is larger than %(limit)s bytes."), params={"limit": limit})
    if not request.is_json:
        return problem(415, N_("Send the body as JSON with 'Content-Type: application/json'."))
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        return problem(413, N_("The JSON body is larger than %(limit)s bytes."), params={"limit": limit})
    try:
        return model.model_validate_json(raw or b"")
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            return problem(400, N_("The body is not valid JSON: %(problem)s."),
                           params={"problem": exc.errors()[0]["msg"]})
        if any(e["type"] == "model_type" and not e["loc"] for e in exc.errors()):
            return problem(400, N_("The body must be a JSON object."))
        return validation_problem(describe_errors(exc))


def _parse_query(model: type[BaseModel]):
    values = {}
    for key in request.args:
        items = request.args.getlist(key)
        values[key] = items if len(items) > 1 else items[0]
    try:
        # Query strings are text, so types are coerced here (strict mode is for JSON bodies).
        return model.model_validate(values, strict=False)
    except ValidationError as exc:
        return validation_problem(describe_errors(exc))
