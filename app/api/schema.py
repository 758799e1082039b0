"""Base classes and types for API request/response bodies (pydantic)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, PlainSerializer

from app.timekeeping import ensure_utc, format_instant


class RequestBody(BaseModel):
    """Unknown fields are refused, so a typo in a field name is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# An instant: offset required on input, UTC with a trailing Z on output.
Instant = Annotated[
    AwareDatetime,
    AfterValidator(ensure_utc),
    PlainSerializer(lambda value: format_instant(value), return_type=str),
]
OutputInstant = Annotated[datetime, PlainSerializer(format_instant, return_type=str)]


def field_path(location) -> str:
    """pydantic's location tuple as `a.b[0].c`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


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
