"""Build the OpenAPI 3.1 document from the URL map and each view's `@endpoint` metadata."""
from __future__ import annotations

import re

from flask import current_app
from pydantic.json_schema import models_json_schema

from app.api.paging import PageQuery
from app.api.problems import PROBLEM_MEDIA_TYPE, PROBLEM_SCHEMA
from app.security import PUBLIC, SIGNED_IN

_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAM_TYPES = {"int": {"type": "integer"}, None: {"type": "string"}, "string": {"type": "string"},
                "path": {"type": "string"}, "uuid": {"type": "string", "format": "uuid"}}
_REF = "#/components/schemas/{model}"


def api_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith("/api/v1/"):
            yield rule, app.view_functions[rule.endpoint]


def build_openapi(app=None) -> dict:
    app = app or current_app
    models = set()
    for _, view in api_rules(app):
        spec = getattr(view, "_api_spec", None)
        if spec:
            models.update(m for m in (spec["body"], spec["response"], spec["query"]) if m)
    ordered = sorted(models, key=lambda m: m.__name__)
    key_map, definitions = models_json_schema(
        [(model, "validation") for model in ordered],
        ref_template=_REF,
    )
    schemas = dict(definitions.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA

    paths: dict[str, dict] = {}
    for rule, view in api_rules(app):
        spec = getattr(view, "_api_spec", None)
        path = _PATH_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": _PARAM_TYPES.get(conv, {"type": "string"})}
            for conv, name in _PATH_PARAM.findall(rule.rule)
        ]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, method, spec, parameters, key_map)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Meridian API", "version": "1",
                 "description": "Multinational MDT case boards. Errors are RFC 9457 problem+json."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def _ref(model, key_map, mode):
    return key_map[(model, mode)]


def _operation(rule, method, spec, parameters, key_map):
    if spec is None:  # a non-endpoint view under /api/v1 (only the document itself)
        return {"summary": rule.endpoint, "responses": {"200": {"description": "OK"}}}
    operation = {
        "operationId": rule.endpoint.replace("api.", "", 1),
        "summary": spec["summary"],
        "tags": list(spec["tags"]) or [rule.rule.split("/")[3]],
        "parameters": list(parameters),
        "responses": {},
    }
    access = spec["access"]
    if access == PUBLIC:
        operation["security"] = []
    else:
        operation["security"] = [{"bearerToken": []}, {"sessionCookie": []}]
        if access != SIGNED_IN:
            operation["x-roles"] = sorted(access)
    if spec["query"] is not None:
        query_schema = spec["query"].model_json_schema(ref_template=_REF)
        required = set(query_schema.get("required", []))
        for name, prop in query_schema.get("properties", {}).items():
            operation["parameters"].append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    if spec["body"] is not None:
        operation["requestBody"] = {
            "required": not spec.get("body_optional"),
            "content": {"application/json": {"schema": _ref(spec["body"], key_map, "validation")}},
        }
    elif spec.get("raw_body"):
        schema = ({"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
                  if spec["raw_body"] == "multipart/form-data" else {"type": "string"})
        operation["requestBody"] = {"required": True, "content": {spec["raw_body"]: {"schema": schema}}}
    success = {"description": "Success"}
    if spec["response"] is not None:
        schema = _ref(spec["response"], key_map, "validation")
        if spec["many"]:
            schema = {"type": "array", "items": schema}
        success["content"] = {"application/json": {"schema": schema}}
    if spec["query"] is not None and issubclass(spec["query"], PageQuery):
        success["headers"] = {"Link": {
            "description": 'The next page, while more rows follow: `<url>; rel="next"` (RFC 8288)',
            "schema": {"type": "string"}}}
    operation["responses"][str(spec["status"])] = success
    problem_ref = {"content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    codes = {"400": "Malformed request (e.g. text holding a NUL character)", "422": "Invalid fields",
             "429": "Too many requests; retry after the number of seconds in `Retry-After`"}
    if access != PUBLIC:
        codes.update({"401": "Not signed in", "403": "Not allowed"})
    if spec["body"] is not None or spec.get("raw_body"):
        codes.update({"413": "Body too large", "415": "Body of the wrong type"})
    if parameters:
        codes["404"] = "Not found (also any id beyond 2147483647)"
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        codes["409"] = "Conflicts with the current state (e.g. a meeting that is not running)"
    codes.update({str(code): text for code, text in spec.get("errors", {}).items()})
    for code, description in codes.items():
        operation["responses"][code] = {"description": description, **problem_ref}
    return operation
