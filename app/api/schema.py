"""Base classes and types for API request/response bodies (pydantic)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, PlainSerializer

from app.errors import InvalidValue, in_readers_language
from app.inputs import field_path
from app.timekeeping import check_supported_year, ensure_utc, format_instant, utc_to_the_second
from app.vocabulary import N_


class RequestBody(BaseModel):
    """Unknown fields are refused, so a typo in a field name is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# An instant: offset required on input, UTC with a trailing Z on output.
# Years outside the supported range are refused before conversion (which could overflow).
Instant = Annotated[
    AwareDatetime,
    AfterValidator(lambda value: ensure_utc(check_supported_year(value))),
    PlainSerializer(lambda value: format_instant(value), return_type=str),
]
# Normalised when the answer is validated, so that pydantic's own serialiser writes it ("...T09:30:00Z"):
# formatting each in Python cost more, and a list of fifty cases writes two hundred.
OutputInstant = Annotated[datetime, AfterValidator(utc_to_the_second)]


# Pydantic's error types, as a person reads them (in their language, with the limits Pydantic reports in
# its `ctx`); any other type keeps Pydantic's own English.
VALIDATION_MESSAGES = {
    "missing": N_("is required"),
    "extra_forbidden": N_("is not a known field"),
    "string_type": N_("must be text"),
    "string_too_short": N_("must have at least %(min_length)s characters"),
    "string_too_long": N_("must have at most %(max_length)s characters"),
    "string_pattern_mismatch": N_("is not in the expected form"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "greater_than": N_("must be greater than %(gt)s"),
    "greater_than_equal": N_("must be at least %(ge)s"),
    "less_than": N_("must be less than %(lt)s"),
    "less_than_equal": N_("must be at most %(le)s"),
    "literal_error": N_("must be one of %(expected)s"),
    "enum": N_("must be one of %(expected)s"),
    "date_type": N_("must be a date (YYYY-MM-DD)"),
    "date_parsing": N_("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": N_("must be a date (YYYY-MM-DD)"),
    "datetime_type": N_("must be an instant with its zone, e.g. 2026-11-26T06:00:00Z"),
    "datetime_parsing": N_("must be an instant with its zone, e.g. 2026-11-26T06:00:00Z"),
    "datetime_from_date_parsing": N_("must be an instant with its zone, e.g. 2026-11-26T06:00:00Z"),
    "timezone_aware": N_("must be an instant with its zone, e.g. 2026-11-26T06:00:00Z"),
    "time_type": N_("must be a time of day (HH:MM)"),
    "time_parsing": N_("must be a time of day (HH:MM)"),
    "list_type": N_("must be a list"),
    "too_short": N_("must have at least %(min_length)s items"),
    "too_long": N_("must have at most %(max_length)s items"),
    "dict_type": N_("must be an object"),
    "model_type": N_("must be an object"),
    "model_attributes_type": N_("must be an object"),
    "json_invalid": N_("is not valid JSON"),
}


NOT_EMPTY = N_("must not be empty")


def validation_message(error: dict) -> str:
    """One Pydantic error as a person reads it, in the reader's language."""
    template = VALIDATION_MESSAGES.get(error["type"])
    raised = (error.get("ctx") or {}).get("error")
    if error["type"] == "value_error" and isinstance(raised, InvalidValue):
        # A validator's own refusal (e.g. an Instant outside the supported years) carries its template.
        return in_readers_language(raised.template, raised.params)
    if error["type"] == "string_too_short" and (error.get("ctx") or {}).get("min_length") == 1:
        template = NOT_EMPTY
    if template is None:
        message = error["msg"]
        return message[len("Value error, "):] if message.startswith("Value error, ") else message
    context = {name: str(value) for name, value in (error.get("ctx") or {}).items()}
    return in_readers_language(template, context)


def describe_errors(validation_error) -> list[dict]:
    return [{"field": field_path(error["loc"]), "message": validation_message(error)}
            for error in validation_error.errors(include_url=False)]
