"""Routes of the facade: authenticate, parse, call the mappings, answer FHIR JSON.

Every view declares its access (deny by default, as everywhere) and authenticates with the API's
bearer tokens only: a browser session is not accepted here, so cross-site requests cannot act.
Every error is an OperationOutcome with its status; nothing a client sends gets a 5xx.
"""
from __future__ import annotations

import json
from functools import wraps
from urllib.parse import urlencode

from fhir.resources.R4B.servicerequest import ServiceRequest
from flask import current_app, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from app.cases.visibility import FULL
from app.errors import DomainError
from app.extensions import csrf, db
from app.fhir import fhir
from app.fhir.capability import capability_statement
from app.fhir.codes import MEDIA_TYPE
from app.fhir.consent import to_fhir as consent_of
from app.fhir.context import Context
from app.fhir.errors import FhirError, from_domain, operation_outcome
from app.fhir.referral import create_referral, parse_resource, parse_transaction
from app.fhir.registry import RESOURCE_TYPES
from app.fhir.search import Page, parse_query
from app.fhir.service_request import to_fhir as service_request_of
from app.security import PUBLIC, SIGNED_IN, current_actor, declare_access, enforce_declared_access, is_allowed
from app.timekeeping import now_utc
from app.vocabulary import N_

ACCEPTED_BODY_TYPES = ("application/fhir+json", "application/json")
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


# --- answers ------------------------------------------------------------------------------------


def fhir_response(resource, status: int = 200, headers: dict | None = None):
    body = resource.model_dump_json() if hasattr(resource, "model_dump_json") else json.dumps(resource)
    response = current_app.response_class(body, status=status, mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def base_url() -> str:
    return request.url_root.rstrip("/") + fhir.url_prefix


def _link(resource_type: str, pairs: list[tuple[str, str]], cursor: int | None) -> str:
    kept = [(key, value) for key, value in pairs if key != "_cursor"]
    if cursor is not None:
        kept.append(("_cursor", str(cursor)))
    return f"{base_url()}/{resource_type}" + (f"?{urlencode(kept)}" if kept else "")


def searchset(resource_type: str, page: Page, pairs, cursor, issues: list[dict]) -> dict:
    links = [{"relation": "self", "url": _link(resource_type, pairs, cursor)}]
    if page.next_cursor is not None:
        links.append({"relation": "next", "url": _link(resource_type, pairs, page.next_cursor)})
    entries = [{"fullUrl": f"{base_url()}/{resource_type}/{resource.id}",
                "resource": json.loads(resource.model_dump_json()), "search": {"mode": "match"}}
               for resource in page.resources]
    if issues:
        outcome = json.loads(operation_outcome(issues).model_dump_json())
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": page.total, "link": links}
    if entries:
        bundle["entry"] = entries
    return bundle


# --- the view decorator -------------------------------------------------------------------------


def fhir_view(access=SIGNED_IN):
    """Declare a view's access; authenticate by bearer token; commit once; answer FHIR."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if access != PUBLIC:
                if actor is None or g.get("auth_method") != "token":
                    raise FhirError(401, N_("Sign in first: send 'Authorization: Bearer <token>' from "
                                            "POST /api/v1/auth/token."),
                                    headers={"WWW-Authenticate": 'Bearer realm="meridian"'})
                if not is_allowed(actor, access):
                    raise FhirError(403, N_("Your role does not allow this."))
            ctx = Context(db.session, actor, now_utc(), request.remote_addr)
            result = view(ctx, *args, **kwargs)
            db.session.commit()
            return result

        return declare_access(wrapper, access)

    return decorator


def _resource_type(name: str):
    resource_type = RESOURCE_TYPES.get(name)
    if resource_type is None:
        raise FhirError(404, N_("'%(name)s' is not a resource type this server supports; see /fhir/R4/metadata."),
                        params={"name": name}, code="not-supported")
    return resource_type


def _strict() -> bool:
    return "handling=strict" in request.headers.get("Prefer", "").replace(" ", "")


def _json_body():
    if request.mimetype not in ACCEPTED_BODY_TYPES:
        raise FhirError(415, N_("Send the body as FHIR JSON with 'Content-Type: application/fhir+json'."))
    limit = current_app.config["API_MAX_JSON_BYTES"]
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise FhirError(413, N_("The request body is larger than the limit of %(limit)s bytes."),
                        params={"limit": limit})
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        # the parser's own words (where it stopped) are passed on as they are
        raise FhirError(400, N_("The body is not valid JSON: %(problem)s."), params={"problem": str(exc)},
                        code="structure") from None
    try:
        has_nul = _contains_nul(body)
    except RecursionError:
        raise FhirError(400, N_("The body is nested too deeply."), code="structure") from None
    if has_nul:
        raise FhirError(400, N_("The body contains a NUL character."), code="structure")
    return body


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


# --- routes -------------------------------------------------------------------------------------


@fhir.before_request
def refuse_nul_characters():
    form = request.form.items(multi=True) if request.mimetype == "application/x-www-form-urlencoded" else ()
    pairs = list(request.args.items(multi=True)) + list(form)
    if "\x00" in request.path or any("\x00" in key or "\x00" in value for key, value in pairs):
        raise FhirError(400, N_("The request contains a NUL character."), code="structure")


@fhir.before_request
def refuse_formats_not_served():
    """Only JSON is served: a client that accepts nothing like it is told so (406)."""
    accepted = request.accept_mimetypes
    if request.headers.get("Accept") and not accepted.best_match([MEDIA_TYPE, "application/json"]):
        raise FhirError(406, N_("Only FHIR JSON is served: accept application/fhir+json."), code="not-supported")


@fhir.get("/metadata")
@fhir_view(PUBLIC)
def metadata(ctx: Context):
    return fhir_response(capability_statement(base_url(), ctx.at))


def _search(ctx: Context, name: str, pairs):
    resource_type = _resource_type(name)
    query = parse_query(pairs, resource_type.params, strict=_strict())
    page = resource_type.search(ctx, query)
    issues = query.outcome_issues() + page.issues
    return fhir_response(searchset(name, page, pairs, query.cursor, issues))


@fhir.get("/<resource_type>")
@fhir_view()
def search(ctx: Context, resource_type: str):
    return _search(ctx, resource_type, list(request.args.items(multi=True)))


@fhir.post("/<resource_type>/_search")
@fhir_view()
def search_by_post(ctx: Context, resource_type: str):
    pairs = list(request.args.items(multi=True)) + list(request.form.items(multi=True))
    return _search(ctx, resource_type, pairs)


@fhir.get("/<resource_type>/<resource_id>")
@fhir_view()
def read(ctx: Context, resource_type: str, resource_id: str):
    return fhir_response(_resource_type(resource_type).read(ctx, resource_id))


@fhir.post("/ServiceRequest")
@fhir_view({"referrer"})
def create_service_request(ctx: Context):
    service_request = parse_resource(ServiceRequest, _json_body(), "ServiceRequest")
    case = create_referral(ctx, service_request)
    location = f"{base_url()}/ServiceRequest/{case.id}"
    return fhir_response(service_request_of(case, FULL), 201, {"Location": location})


@fhir.post("")
@fhir.post("/")
@fhir_view({"referrer"})
def transaction(ctx: Context):
    parsed = parse_transaction(_json_body())
    case = create_referral(ctx, parsed.request, parsed.consent)
    entries = [{"fullUrl": f"{base_url()}/ServiceRequest/{case.id}",
                "resource": json.loads(service_request_of(case, FULL).model_dump_json()),
                "response": {"status": "201 Created", "location": f"ServiceRequest/{case.id}"}}]
    if parsed.consent is not None:
        entries.append({"fullUrl": f"{base_url()}/Consent/{case.id}",
                        "resource": json.loads(consent_of(case).model_dump_json()),
                        "response": {"status": "201 Created", "location": f"Consent/{case.id}"}})
    return fhir_response({"resourceType": "Bundle", "type": "transaction-response", "entry": entries})


@fhir.route("", methods=["GET", "PUT", "PATCH", "DELETE"])
@fhir.route("/", methods=["GET", "PUT", "PATCH", "DELETE"])
@fhir.route("/<path:rest>", methods=ALL_METHODS)
@fhir_view(PUBLIC)
def unsupported(ctx: Context, rest: str = ""):
    if request.method not in ("GET", "POST") or rest in RESOURCE_TYPES:
        raise FhirError(405, N_("%(method)s is not supported: this facade reads, searches and creates referrals "
                                "only."), params={"method": request.method}, code="not-supported")
    raise FhirError(404, N_("Nothing at %(path)s; see /fhir/R4/metadata."), params={"path": request.path},
                    code="not-supported")


csrf.exempt(fhir)  # bearer tokens only: no cookie, so no cross-site forgery to guard against


# --- errors -------------------------------------------------------------------------------------


@fhir.errorhandler(FhirError)
def handle_fhir_error(error: FhirError):
    db.session.rollback()
    return fhir_response(error.outcome(), error.status, error.headers)


@fhir.errorhandler(DomainError)
def handle_domain_error(error: DomainError):
    return handle_fhir_error(from_domain(error))


def werkzeug_refusal(error: HTTPException) -> FhirError:
    """Werkzeug's own refusal (routing, body size, a malformed form, a rate limit) as a Meridian sentence
    the reader's language has, with the same status."""
    status = error.code or 500
    if status == 400:
        return FhirError(400, N_("The request could not be read: it is malformed."))
    if status == 404:
        return FhirError(404, N_("Nothing at %(path)s; see /fhir/R4/metadata."), params={"path": request.path})
    if status == 405:
        methods = getattr(error, "valid_methods", None)
        return FhirError(405, N_("%(method)s is not supported on %(path)s."),
                         params={"method": request.method, "path": request.path}, code="not-supported",
                         headers={"Allow": ", ".join(sorted(methods))} if methods else None)
    if status == 413:
        return FhirError(413, N_("The request body is larger than the limit of %(limit)s bytes."),
                         params={"limit": current_app.config.get("MAX_CONTENT_LENGTH")})
    if status == 429:
        return FhirError(429, N_("Too many requests; wait a little and try again."))
    return FhirError(status, N_("The request was refused (HTTP status %(status)s)."), params={"status": status})


@fhir.errorhandler(HTTPException)
def handle_http_error(error: HTTPException):
    return handle_fhir_error(werkzeug_refusal(error))


# Flask looks for a handler by status code before it looks by class: the app's own handlers for these
# (e.g. its 413 page) must not answer a FHIR client with HTML.
for _status in (400, 404, 405, 413, 429):
    fhir.register_error_handler(_status, handle_http_error)


@fhir.before_app_request
def answer_routing_refusals():
    """A method no route of the facade takes (e.g. TRACE) fails in routing, before the request belongs to
    the blueprint, so its error handlers never see it: answer it here, as an OperationOutcome."""
    error = request.routing_exception
    prefix = fhir.url_prefix
    if (not isinstance(error, HTTPException) or isinstance(error, RequestRedirect) or (error.code or 0) < 400
            or not (request.path == prefix or request.path.startswith(prefix + "/"))):
        return None
    enforce_declared_access()  # forgets an earlier request's actor (tests share `g`); no endpoint: no refusal
    return handle_http_error(error)


@fhir.errorhandler(Exception)
def handle_unexpected(error: Exception):
    from app.headers import loggable_request

    # The URL rule, not the path: no value typed into a URL reaches the log (docs/security.md).
    current_app.logger.exception("unhandled error on %s", loggable_request())
    return handle_fhir_error(FhirError(500, N_("Something went wrong on our side; nothing was saved. "
                                               "Please try again.")))
