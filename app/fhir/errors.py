"""OperationOutcome: the one error shape of the facade, and the exception that carries it."""
from __future__ import annotations

from fhir.resources.R4B.operationoutcome import OperationOutcome

from app.errors import (Conflict, DomainError, InvalidInput, MalformedInput, NotAuthenticated, NotFound,
                        PermissionDenied)

# FHIR issue type codes for each status the facade answers with.
ISSUE_CODE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 406: "not-supported",
              409: "conflict", 413: "too-costly", 415: "not-supported", 422: "processing",
              500: "exception"}


class FhirError(Exception):
    """A request the facade refuses: `status`, and what to tell the client."""

    def __init__(self, status: int, diagnostics: str, *, code: str | None = None,
                 expression: str | None = None, headers: dict | None = None):
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code or ISSUE_CODE.get(status, "processing")
        self.expression = expression
        self.headers = headers or {}

    def outcome(self) -> OperationOutcome:
        return operation_outcome([issue("error", self.code, self.diagnostics, self.expression)])


def issue(severity: str, code: str, diagnostics: str, expression: str | None = None) -> dict:
    entry = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        entry["expression"] = [expression]
    return entry


def operation_outcome(issues: list[dict]) -> OperationOutcome:
    return OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": issues})


def from_domain(error: DomainError, *, field_paths: dict[str, str] | None = None) -> FhirError:
    """The domain's refusal as a FhirError; `field_paths` maps pro-forma fields to FHIR paths."""
    if isinstance(error, InvalidInput):
        path = (field_paths or {}).get(error.field or "", error.field)
        where = f"{path}: " if path else ""
        if isinstance(error, MalformedInput):  # unreadable (a NUL character): the request's structure
            return FhirError(400, f"{where}{error.message}", code="structure", expression=path)
        return FhirError(422, f"{where}{error.message}", code="processing", expression=path)
    for kind, status in ((NotFound, 404), (PermissionDenied, 403), (Conflict, 409), (NotAuthenticated, 401)):
        if isinstance(error, kind):
            return FhirError(status, error.message)
    return FhirError(400, error.message)
