"""OperationOutcome: the one error shape of the facade, and the exception that carries it.

A refusal's `diagnostics` is a template marked with `N_` (so it is extracted for translation) and the
values that fill it (`params`: the client's own values, ids, paths). It is put into the reader's language
only when the OperationOutcome is written (`outcome()`), through `app.errors.in_readers_language`, the
one home of that rendering (the API's problem details and the domain's messages use it too);
`str(error)` and `error.english` stay English, for logs.
"""
from __future__ import annotations

from fhir.resources.R4B.operationoutcome import OperationOutcome

from app.errors import (Conflict, DomainError, InvalidInput, MalformedInput, NotAuthenticated, NotFound,
                        PermissionDenied, fill, in_readers_language)
from app.vocabulary import N_

# FHIR issue type codes for each status the facade answers with.
ISSUE_CODE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 406: "not-supported",
              409: "conflict", 413: "too-costly", 415: "not-supported", 422: "processing",
              500: "exception"}


class Phrase:
    """A template and its values inside another message's params (e.g. a domain rule's message after the
    FHIR path it concerns): English where the outer message is filled in English (logs), in the reader's
    language where it is shown (app.errorhandlers.reader_value calls `for_reader`)."""

    def __init__(self, template: str, params: dict | None = None):
        self.template = template
        self.params = dict(params or {})

    def __str__(self) -> str:
        return fill(self.template, self.params)

    def for_reader(self, locale_code: str | None = None) -> str:
        return in_readers_language(self.template, self.params)

    def __repr__(self) -> str:
        return f"Phrase({self.template!r}, {self.params!r})"


class FhirError(Exception):
    """A request the facade refuses: `status`, and what to tell the client (`diagnostics`, an `N_`
    template, filled with `params` in the reader's language when the OperationOutcome is written)."""

    def __init__(self, status: int, diagnostics: str, *, params: dict | None = None, code: str | None = None,
                 expression: str | None = None, headers: dict | None = None):
        self.status = status
        self.template = diagnostics
        self.params = dict(params or {})
        self.code = code or ISSUE_CODE.get(status, "processing")
        self.expression = expression
        self.headers = headers or {}
        super().__init__(self.english)

    @property
    def english(self) -> str:
        """The diagnostics in English (logs)."""
        return fill(self.template, self.params)

    @property
    def diagnostics(self) -> str:
        """The diagnostics in the reader's language (English outside a request)."""
        return in_readers_language(self.template, self.params)

    def outcome(self) -> OperationOutcome:
        return operation_outcome([issue("error", self.code, self.diagnostics, self.expression)])


def issue(severity: str, code: str, diagnostics: str, expression: str | None = None) -> dict:
    """One OperationOutcome issue; `diagnostics` is text already in the reader's language."""
    entry = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        entry["expression"] = [expression]
    return entry


def operation_outcome(issues: list[dict]) -> OperationOutcome:
    return OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": issues})


def invalid_element(path: str, template: str, params: dict | None = None, *, status: int = 422,
                    code: str = "processing") -> FhirError:
    """A refusal naming the FHIR element at fault (`path`, also the issue's expression) before the rule it
    broke (`template`, an `N_` template filled with `params`)."""
    return FhirError(status, N_("%(path)s: %(message)s"), params={"path": path, "message": Phrase(template, params)},
                     code=code, expression=path)


def from_domain(error: DomainError, *, field_paths: dict[str, str] | None = None) -> FhirError:
    """The domain's refusal as a FhirError, its template and values passed on as they are (so it is put
    into the reader's language when written); `field_paths` maps pro-forma fields to FHIR paths."""
    if isinstance(error, InvalidInput):
        path = (field_paths or {}).get(error.field or "", error.field)
        # unreadable (a NUL character): the request's structure; else a rule of the pro-forma
        status, code = (400, "structure") if isinstance(error, MalformedInput) else (422, "processing")
        if path:
            return invalid_element(path, error.template, error.params, status=status, code=code)
        return FhirError(status, error.template, params=error.params, code=code)
    for kind, status in ((NotFound, 404), (PermissionDenied, 403), (Conflict, 409), (NotAuthenticated, 401)):
        if isinstance(error, kind):
            return FhirError(status, error.template, params=error.params)
    return FhirError(400, error.template, params=error.params)
