"""Errors the domain raises; the web and API layers turn them into responses (no Flask here).

A message is an English template (marked with `N_` so it is extracted for translation) and the
values that fill it (`params`), so it can be shown in any language: `error.message` is the template
in the reader's language (through the translator the app installs with `use_translator`; English
outside a request), filled with the values; `str(error)` and `error.english` stay English (logs).
"""
from __future__ import annotations

from typing import Callable

_translate: Callable[[str], str] | None = None
_show: Callable[[str, object], object] | None = None


def use_translator(translate: Callable[[str], str] | None,
                   show: Callable[[str, object], object] | None = None) -> None:
    """Install how a template is put into the reader's language (the app: Flask-Babel, per request) and
    how a value is shown to the reader (`show(name, value)`: e.g. `*_at` instants in their zone)."""
    global _translate, _show
    _translate, _show = translate, show


class DomainError(Exception):
    def __init__(self, message: str, params: dict | None = None):
        self.template = message
        self.params = dict(params or {})
        super().__init__(self.english)

    @property
    def english(self) -> str:
        return fill(self.template, self.params)

    @property
    def message(self) -> str:
        """The message in the reader's language."""
        return in_readers_language(self.template, self.params)


def in_readers_language(template: str, params: dict | None = None) -> str:
    """`template` in the reader's language (English without a translator or a template), filled."""
    if not template or _translate is None:
        return fill(template, params or {})
    values = {name: _show(name, value) for name, value in params.items()} if params and _show else params
    return fill(_translate(template), values or {})


def fill(template: str, params: dict) -> str:
    """`template % params`, leaving the template as it is when it has no placeholders to fill."""
    if not params:
        return template
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return template


class InvalidValue(ValueError):
    """A value helper's refusal (no field known yet), as a template and its values: the caller that knows
    the field passes `template` and `params` on to InvalidInput."""

    def __init__(self, template: str, params: dict | None = None):
        self.template = template
        self.params = dict(params or {})
        super().__init__(fill(template, self.params))


class InvalidInput(DomainError):
    """Input broke a rule; `field` names it (dotted path), so a person knows what to fix."""

    def __init__(self, field: str | None, message: str, params: dict | None = None):
        super().__init__(message, params)
        self.field = field


class MalformedInput(InvalidInput):
    """Input that cannot be read at all (e.g. text holding a NUL character): 400, naming the field."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """The request clashes with the current state (e.g. an illegal transition, a double booking).
    `extra` members go into the problem+json answer as they are (machine-readable)."""

    def __init__(self, message: str, params: dict | None = None, **extra):
        super().__init__(message, params)
        self.extra = extra


class PermissionDenied(DomainError):
    pass


class NotAuthenticated(DomainError):
    """Credentials were missing or wrong."""


class TooManyAttempts(DomainError):
    """Refused for a while (e.g. a locked account); `retry_after` is in seconds."""

    def __init__(self, message: str, retry_after: int, params: dict | None = None):
        super().__init__(message, params)
        self.retry_after = retry_after
