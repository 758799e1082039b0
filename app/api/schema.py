"""Base classes and types for API request/response bodies (pydantic)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, PlainSerializer

from app.inputs import field_path
from app.timekeeping import check_supported_year, ensure_utc, format_instant


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
OutputInstant = Annotated[datetime, PlainSerializer(format_instant, return_type=str)]


def describe_errors(validation_error) -> list[dict]:
    errors = []
    for error in validation_error.errors(include_url=False):
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "is not a known field"
        elif error["type"] == "missing":
            message = "is required"
        errors.append({"field": field_path(error["loc"]), "message": message})
    return errors
