"""What may come in from outside: the limits every edge (API, pages, URLs) applies once.

Text, numbers and instants a person can type must fit what the database and the calendar can hold:
an id fits PostgreSQL's `integer`, text holds no NUL character (PostgreSQL refuses it), and instants
stay inside the years `app.timekeeping` supports. Anything else is a 4xx naming the field, never a 500.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import BaseModel
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from app.errors import InvalidValue, MalformedInput, in_readers_language
from app.timekeeping import check_supported_year
from app.vocabulary import N_

# Every id column is a PostgreSQL `integer`.
MAX_ID = 2**31 - 1
MAX_INTEGER = MAX_ID
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")

INTEGER_RANGE_MESSAGE = N_("must be between %(lowest)s and %(highest)s")
NUL_MESSAGE = N_("must not contain the NUL character (\\u0000)")


class IdConverter(IntegerConverter):
    """`<int:...>` in every URL: a number beyond any id is a 404, like any unknown id.

    It raises NotFound itself: a converter's ValidationError would make Werkzeug answer 405 when
    another rule takes the same path with other methods."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


def parse_id(text: str | None) -> int | None:
    """An id typed into a query string or form (ASCII digits, within MAX_ID), else None."""
    text = (text or "").strip()
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def parse_integer(text: str) -> int | None:
    """A whole number typed into a form (optional minus sign), within +-MAX_INTEGER, else None."""
    text = text.strip()
    digits = text[1:] if text.startswith("-") else text
    if not _ASCII_DIGITS.fullmatch(digits) or abs(int(text)) > MAX_INTEGER:
        return None
    return int(text)


def field_path(location) -> str:
    """A location tuple as `a.b[0].c`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def find_nul(value, location=()) -> str | None:
    """The path of the first string (or key) holding a NUL character, or None. Walked with a stack of
    its own, so no nesting depth can exhaust Python's."""
    stack = [(value, tuple(location))]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return field_path(where) or "body"
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                if isinstance(key, str) and "\x00" in key:
                    return field_path((*where, key))
                stack.append((child, (*where, key)))
        elif isinstance(item, list | tuple):
            stack.extend((child, (*where, index)) for index, child in reversed(list(enumerate(item))))
    return None


def out_of_range(value, location=()) -> list[dict]:
    """Fields of a parsed request (a pydantic model or plain data) beyond what can be stored."""
    if isinstance(value, BaseModel):
        errors = []
        for name, info in type(value).model_fields.items():
            errors += out_of_range(getattr(value, name), (*location, info.alias or name))
        return errors
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        if not -MAX_INTEGER <= value <= MAX_INTEGER:
            return [{"field": field_path(location),
                     "message": in_readers_language(INTEGER_RANGE_MESSAGE,
                                                    {"lowest": -MAX_INTEGER, "highest": MAX_INTEGER})}]
        return []
    if isinstance(value, date | datetime):
        try:
            check_supported_year(value)
        except InvalidValue as error:
            return [{"field": field_path(location), "message": in_readers_language(error.template, error.params)}]
        return []
    if isinstance(value, dict):
        return [e for key, item in value.items() for e in out_of_range(item, (*location, key))]
    if isinstance(value, list | tuple | set | frozenset):
        return [e for index, item in enumerate(value) for e in out_of_range(item, (*location, index))]
    return []


def refuse_nul_characters(request) -> None:
    """before_request: a NUL anywhere in the URL, query, form or JSON body is a 400 naming the field."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\x00" in value:
            raise MalformedInput(name, NUL_MESSAGE)
    sources = [request.args] + ([request.form] if request.mimetype != "application/json" else [])
    for source in sources:
        for name, values in source.lists():
            name = name or ""
            if "\x00" in name or any(isinstance(v, str) and "\x00" in v for v in values):
                raise MalformedInput(name.replace("\x00", "\\u0000"), NUL_MESSAGE)
    if not request.is_json:
        return
    from flask import current_app   # the domain imports this module's bounds without Flask

    # A body sent in chunks has no length: it is read (the server bounds it) and judged by what was read.
    size = request.content_length if request.content_length is not None else len(request.get_data(cache=True))
    if 0 < size <= current_app.config["API_MAX_JSON_BYTES"]:
        try:
            body = request.get_json(silent=True, cache=True)
        except RecursionError:  # nested deeper than the JSON parser goes
            raise MalformedInput("body", N_("nests too deeply to be read")) from None
        found = find_nul(body)
        if found:
            raise MalformedInput(found.replace("\x00", "\\u0000"), NUL_MESSAGE)
