"""Search parameters, paging and the searchset Bundle, as plain functions over parsed values.

Parsing follows FHIR's rules closely enough for the parameters the facade declares: a repeated
parameter ANDs, a comma inside one value ORs; dates take the prefixes eq, gt, ge, lt and le and
mean the whole span of their precision (`2026-03` is all of March, UTC). Unknown parameters are
ignored and reported (lenient handling) unless the client sends `Prefer: handling=strict`.
Pages are keyset pages over the resource id: the `next` link carries the last id seen, so a page
costs the same however deep it is, and rows added meanwhile never shift a page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import func, select

from app.errors import in_readers_language
from app.fhir.errors import FhirError, issue
from app.timekeeping import UTC
from app.vocabulary import N_

MAX_ID = 2**31 - 1
DEFAULT_COUNT = 20
MAX_COUNT = 100
# Parameters every search understands besides its declared ones.
CONTROL_PARAMETERS = ("_count", "_cursor", "_format")
SUPPORTED_PREFIXES = ("eq", "gt", "ge", "lt", "le")
ALL_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200

_DATE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?$")


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # token | reference | date | string
    documentation: str
    targets: tuple[str, ...] = ()  # resource types a reference parameter points at


def parse_id(text: str | None) -> int | None:
    """A Meridian id from a FHIR id: digits within a signed 32-bit integer, else None."""
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


@dataclass(frozen=True)
class DateBound:
    """`prefix` against the span [low, high) a date value names."""

    prefix: str
    low: datetime
    high: datetime

    def matches(self, value: datetime) -> bool:
        return {"eq": self.low <= value < self.high, "ge": value >= self.low, "gt": value >= self.high,
                "lt": value < self.low, "le": value < self.high}[self.prefix]

    def condition(self, column):
        if self.prefix == "eq":
            return (column >= self.low) & (column < self.high)
        return {"ge": column >= self.low, "gt": column >= self.high, "lt": column < self.low,
                "le": column < self.high}[self.prefix]


def parse_date(name: str, text: str) -> DateBound:
    prefix, value = "eq", text
    if text[:2] in ALL_PREFIXES and text[2:3].isdigit():
        prefix, value = text[:2], text[2:]
    if prefix not in SUPPORTED_PREFIXES:
        raise FhirError(400, N_("%(name)s: the prefix '%(prefix)s' is not supported; use one of %(prefixes)s."),
                        params={"name": name, "prefix": prefix, "prefixes": ", ".join(SUPPORTED_PREFIXES)},
                        expression=name)
    match = _DATE.match(value)
    if not match:
        raise FhirError(400, N_("%(name)s: '%(value)s' is not a FHIR date or dateTime (e.g. 2026-03-02 or "
                                "2026-03-02T09:00:00Z)."), params={"name": name, "value": value}, expression=name)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if not EARLIEST_YEAR <= int(year) <= LATEST_YEAR:
        raise FhirError(400, N_("%(name)s: the year must be between %(earliest)s and %(latest)s."),
                        params={"name": name, "earliest": EARLIEST_YEAR, "latest": LATEST_YEAR}, expression=name)
    if hour is not None and offset is None:
        raise FhirError(400, N_("%(name)s: a time needs a time-zone offset, e.g. 2026-03-02T09:00:00Z."),
                        params={"name": name}, expression=name)
    try:
        low = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                       int(second or 0), int((fraction or "0")[:6].ljust(6, "0")))
    except ValueError:  # e.g. 2026-02-30 or 2026-03-02T25:00Z
        raise FhirError(400, N_("%(name)s: '%(value)s' is not a real date and time (no such month, day, hour, "
                                "minute or second)."), params={"name": name, "value": value},
                        expression=name) from None
    if hour is not None:
        if offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            if hours > 14 or minutes > 59:
                raise FhirError(400, N_("%(name)s: '%(offset)s' is not a time-zone offset."),
                                params={"name": name, "offset": offset}, expression=name)
            low -= sign * timedelta(hours=hours, minutes=minutes)
        step = timedelta(seconds=1) if second is not None else timedelta(minutes=1)
        if fraction:
            step = timedelta(microseconds=1)
        high = low + step
    elif day is not None:
        high = low + timedelta(days=1)
    elif month is not None:
        high = datetime(low.year + (low.month == 12), low.month % 12 + 1, 1)
    else:
        high = datetime(low.year + 1, 1, 1)
    return DateBound(prefix, low.replace(tzinfo=UTC), high.replace(tzinfo=UTC))


def reference_id(text: str, targets: tuple[str, ...]) -> int | None:
    """The id in `Type/123`, a full URL ending so, or a bare `123`; None when it cannot match."""
    parts = text.rstrip("/").split("/")
    if len(parts) >= 2:
        if parts[-2] not in targets:
            return None
        return parse_id(parts[-1])
    return parse_id(parts[0])


@dataclass
class Query:
    """A parsed search: each declared parameter's values (one list per repeat), paging, and what
    was ignored."""

    declared: dict[str, SearchParam]
    values: dict[str, list[str]] = field(default_factory=dict)
    count: int = DEFAULT_COUNT
    cursor: int | None = None
    ignored: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return bool(self.values.get(name))

    def tokens(self, name: str) -> list[set[str]]:
        return [{part.strip() for part in value.split(",") if part.strip()}
                for value in self.values.get(name, [])]

    def ids(self, name: str) -> list[set[int | None]]:
        """Per repeat, the ids it names (None for a value that can match nothing)."""
        if name == "_id":
            return [{parse_id(part) for part in group} for group in self.tokens(name)]
        targets = self.declared[name].targets
        return [{reference_id(part, targets) for part in group} for group in self.tokens(name)]

    def dates(self, name: str) -> list[DateBound]:
        return [parse_date(name, value) for value in self.values.get(name, [])]

    def strings(self, name: str) -> list[str]:
        return list(self.values.get(name, []))

    def outcome_issues(self) -> list[dict]:
        """Warnings for the searchset, in the reader's language."""
        return [issue("warning", "not-supported",
                      in_readers_language(N_("The search parameter '%(name)s' is not supported here and was "
                                             "ignored."), {"name": name}), name)
                for name in self.ignored]


def parse_query(pairs: list[tuple[str, str]], params: tuple[SearchParam, ...], *,
                strict: bool = False) -> Query:
    declared = {param.name: param for param in params}
    query = Query(declared=declared)
    for key, value in pairs:
        if key == "_count":
            if not value.isascii() or not value.isdigit() or int(value) > 10**6:
                raise FhirError(400, N_("_count must be a whole number from 0 to %(most)s."),
                                params={"most": MAX_COUNT}, expression="_count")
            query.count = min(int(value), MAX_COUNT)
        elif key == "_cursor":
            cursor = parse_id(value) if value != "0" else 0
            if cursor is None:
                raise FhirError(400, N_("_cursor is not one this server gave out; follow the next link."),
                                expression="_cursor")
            query.cursor = cursor
        elif key == "_format":
            if value not in ("json", "application/json", "application/fhir+json"):
                raise FhirError(406, N_("Only JSON is served: _format=json."), expression="_format")
        elif key in declared:
            if value == "":
                continue  # FHIR: an empty parameter value is ignored
            query.values.setdefault(key, []).append(value)
        elif key not in query.ignored:
            query.ignored.append(key)
    if strict and query.ignored:
        raise FhirError(400, N_("Unknown search parameter(s): %(names)s (Prefer: handling=strict)."),
                        params={"names": ", ".join(query.ignored)}, code="not-supported")
    return query


def codes_in(query: Query, name: str, system: str) -> list[set[str]]:
    """Per repeat, the codes a token parameter names as `code` or `system|code` in `system`."""
    groups = []
    for group in query.tokens(name):
        codes = set()
        for token in group:
            given_system, bar, code = token.rpartition("|")
            if not bar or given_system in ("", system):
                codes.add(code)
        groups.append(codes)
    return groups


def id_conditions(query: Query, name: str, column) -> list:
    """WHERE clauses for an id or reference parameter: each repeat ANDs, its values OR."""
    conditions = []
    for group in query.ids(name):
        wanted = sorted(value for value in group if value is not None)
        conditions.append(column.in_(wanted))  # an empty IN matches nothing
    return conditions


@dataclass
class Page:
    """One page of a search: resources in order, the total, and the cursor of the next page."""

    resources: list[Any]
    total: int
    next_cursor: int | None = None
    issues: list[dict] = field(default_factory=list)


def page_rows(session, statement, id_column, query: Query, to_resources: Callable[[list], list], *,
              key: Callable[[Any], int] = lambda row: row.id) -> Page:
    """Keyset paging over `statement` by `id_column`; `to_resources` maps the page's rows at once
    (so it can load what they need in one query, not one per row)."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    if query.count == 0:
        return Page([], total)
    paged = statement.order_by(id_column)
    if query.cursor is not None:
        paged = paged.where(id_column > query.cursor)
    rows = list(session.scalars(paged.limit(query.count + 1)))
    next_cursor = key(rows[query.count - 1]) if len(rows) > query.count else None
    return Page(to_resources(rows[: query.count]), total, next_cursor)


def page_list(items: list, query: Query, to_resources: Callable[[list], list]) -> Page:
    """Paging over a list computed in full (e.g. slots): the cursor is a position in it."""
    start = query.cursor or 0
    if query.count == 0:
        return Page([], len(items))
    chunk = items[start:start + query.count]
    following = start + query.count if start + query.count < len(items) else None
    return Page(to_resources(chunk), len(items), following)
