"""Keyset (cursor) paging for the API lists.

A list answers at most `limit` rows (default 50, at most 200) in a stable order that ends with a
unique column, and a `Link: <...>; rel="next"` header while more rows follow. The next page starts
after the last row of this one (`WHERE (key) > (last key)`), so its cost does not grow with how far
one has paged, and rows written meanwhile never shift a page. The cursor is opaque to clients.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from flask import request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_

from app.errors import InvalidInput
from app.timekeeping import ensure_utc

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageQuery(BaseModel):
    """`limit` and `cursor`; a list's own filters extend this."""

    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT,
                       description=f"Rows per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})")
    cursor: str | None = Field(default=None, max_length=200,
                               description="From the previous page's `Link: <...>; rel=\"next\"` header")


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def encode_cursor(values) -> str:
    plain = [{"t": ensure_utc(v).isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list:
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(plain, list) or len(plain) != size:
            raise ValueError
        values = [ensure_utc(datetime.fromisoformat(v["t"])) if isinstance(v, dict) else v for v in plain]
        if not all(isinstance(v, int | str | datetime) and not isinstance(v, bool) for v in values):
            raise ValueError
        return values
    except (ValueError, TypeError, KeyError, json.JSONDecodeError):
        raise InvalidInput("cursor", "is not a cursor this list gave; start again without it") from None


def after(columns, values, *, descending: bool):
    """Rows strictly after `values` in the order of `columns` (all ascending or all descending)."""
    clauses = []
    for i, column in enumerate(columns):
        earlier_equal = [columns[j] == values[j] for j in range(i)]
        beyond = column < values[i] if descending else column > values[i]
        clauses.append(and_(*earlier_equal, beyond))
    return or_(*clauses)


def keyset_page(session, statement, *, columns, query: PageQuery, descending: bool = False,
                key=None, scalars: bool = True) -> Page:
    """One page of `statement` ordered by `columns` (the last one unique). `key(row)` gives a row's
    values for `columns` (default: the attributes of the same names)."""
    if query.cursor is not None:
        statement = statement.where(after(columns, decode_cursor(query.cursor, len(columns)),
                                          descending=descending))
    statement = statement.order_by(*[c.desc() if descending else c.asc() for c in columns]).limit(query.limit + 1)
    result = session.scalars(statement) if scalars else session.execute(statement)
    rows = list(result)
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    key = key or (lambda row: [getattr(row, column.key) for column in columns])
    return Page(rows=rows, next_cursor=encode_cursor(key(rows[-1])) if more and rows else None)


def next_link(page: Page) -> dict:
    """The `Link` header for the page after `page` (none on the last page), keeping every filter."""
    if page.next_cursor is None:
        return {}
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "cursor"]
    args.append(("cursor", page.next_cursor))
    return {"Link": f'<{request.path}?{urlencode(args)}>; rel="next"'}
