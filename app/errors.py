"""Errors the domain raises; the web and API layers turn them into responses (no Flask here)."""
from __future__ import annotations


class DomainError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """Input broke a rule; `field` names it (dotted path), so a person knows what to fix."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


class MalformedInput(InvalidInput):
    """Input that cannot be read at all (e.g. text holding a NUL character): 400, naming the field."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """The request clashes with the current state (e.g. an illegal transition, a double booking)."""

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.extra = extra


class PermissionDenied(DomainError):
    pass


class NotAuthenticated(DomainError):
    """Credentials were missing or wrong."""


class TooManyAttempts(DomainError):
    """Refused for a while (e.g. a locked account); `retry_after` is in seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
