"""Keyset (cursor) paging: a page of a query in a stable order, and a cursor to the next one.

The order ends with a unique column. The next page starts after the last row of this one
(`WHERE (key) > (last key)`), so its cost does not grow with how far one has paged, and rows
written meanwhile never shift a page. Cursors are opaque to clients. Plain SQLAlchemy, no Flask.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, and_, or_

from app.errors import InvalidInput
from app.timekeeping import ensure_utc
from app.vocabulary import N_

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


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
        raise InvalidInput("cursor", N_("is not a cursor this list gave; start again without it")) from None


def cursor_values(cursor: str, columns) -> list:
    """The values `cursor` holds for `columns`, each one that may be compared with its column."""
    values = decode_cursor(cursor, len(columns))
    _check_fit(columns, values)
    return values


def after(columns, values, *, descending: bool):
    """Rows strictly after `values` in the order of `columns` (all ascending or all descending)."""
    _check_fit(columns, values)
    return keyset_condition(columns, values, descending=descending)


def keyset_condition(columns, values, *, descending: bool):
    """As `after`, for values already checked, or parameters of a statement built once."""
    clauses = []
    for i, column in enumerate(columns):
        earlier_equal = [columns[j] == values[j] for j in range(i)]
        beyond = column < values[i] if descending else column > values[i]
        clauses.append(and_(*earlier_equal, beyond))
    return or_(*clauses)


def _check_fit(columns, values) -> None:
    if not all(_fits(column, value) for column, value in zip(columns, values)):
        raise InvalidInput("cursor", N_("is not a cursor this list gave; start again without it"))


def _fits(column, value) -> bool:
    """Whether a cursor's `value` can be compared with `column` at all: a hand-made cursor holding text
    for an id, or a number beyond the column's range, is refused here rather than by the database."""
    kind = getattr(column.type, "impl_instance", column.type)  # a TypeDecorator (UTCDateTime) by what it stores
    if isinstance(kind, Integer):
        bound = 2 ** 63 if isinstance(kind, BigInteger) else 2 ** 31
        return isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound
    if isinstance(kind, String):
        return isinstance(value, str) and "\x00" not in value
    if isinstance(kind, DateTime):
        return isinstance(value, datetime)
    return True


def keyset_page(session, statement, *, columns, limit: int = DEFAULT_LIMIT, cursor: str | None = None,
                descending: bool = False, values_of=None) -> Page:
    """One page of `statement` ordered by `columns` (the last one unique). Rows are mapped objects whose
    attributes carry the columns' names, or `values_of(row)` gives a row's values of `columns` (for an
    order by a joined table's column)."""
    if cursor is not None:
        statement = statement.where(after(columns, decode_cursor(cursor, len(columns)), descending=descending))
    statement = statement.order_by(*[c.desc() if descending else c.asc() for c in columns]).limit(limit + 1)
    rows = list(session.scalars(statement))
    more, rows = len(rows) > limit, rows[:limit]
    if not rows:
        last = None
    elif values_of is not None:
        last = list(values_of(rows[-1]))
    else:
        last = [getattr(rows[-1], column.key) for column in columns]
    return Page(rows=rows, next_cursor=encode_cursor(last) if more else None)
