"""Bulk onboarding of a partner hospital's specialists from a CSV file.

Plain Python over a session; the caller commits. The whole file is checked first, row by row,
without writing anything; only then, and only when asked to apply and no row has an error, is
it written. So a dry run writes nothing and applying is all or nothing. See docs/specialists.md.

Weekly hours use a compact text form, parsed here into the engine's format:

    mon-fri 09:00-17:00; sat 22:00-02:00
    mon,wed 08:00-12:00 13:00-17:00; thu 18:00-21:00

Entries are separated by ';'. Each names days (a day, a run such as 'mon-fri' or 'fri-mon',
or several joined by ',') and then one or more HH:MM-HH:MM ranges (separated by spaces or
','), in the specialist's home time zone. An end before the start runs past midnight.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from app.accounts import operations as accounts
from app.accounts import password_links
from app.accounts.models import Organization, User
from app.audit.operations import record as audit
from app.errors import InvalidInput, InvalidValue, in_readers_language
from app.scheduling import WEEKDAY_KEYS
from app.specialists import operations
from app.specialists.models import Licence, SpecialistProfile
from app.timekeeping import check_supported_year, to_local
from app.vocabulary import N_

COLUMNS = ("email", "name", "disciplines", "languages", "timezone", "weekly_hours",
           "licence_country", "licence_number", "licence_expires_on")
LICENCE_COLUMNS = ("licence_country", "licence_number", "licence_expires_on")
MAX_ROWS = 2000

_DAY_INDEX = {day: index for index, day in enumerate(WEEKDAY_KEYS)}
_DAY_ITEM = re.compile(r"^([a-z]{3})(?:-([a-z]{3}))?$")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DASHES = re.compile(r"\s*[-\u2013\u2014]\s*")
_ENGINE_FIELD = re.compile(r"^weekly_hours\.(\w+)\[(\d+)\]$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- weekly hours in compact text ---------------------------------------------------------------


def _days(text: str, entry: str) -> list[str]:
    days: list[str] = []
    for item in re.sub(r"\s+", "", text.lower()).split(","):
        match = _DAY_ITEM.match(item)
        if not match or match[1] not in _DAY_INDEX or (match[2] and match[2] not in _DAY_INDEX):
            bad = next((part for part in re.split(r"[-,]", item) if part not in _DAY_INDEX), item)
            raise InvalidInput("weekly_hours", N_('%(entry)s: %(bad)s is not a day '
                                                  '(%(weekday_keys)s)'),
                                               params={'entry': repr(entry), 'bad': repr(bad), 'weekday_keys': ', '.join(WEEKDAY_KEYS)})
        first = _DAY_INDEX[match[1]]
        last = _DAY_INDEX[match[2]] if match[2] else first
        span = (last - first) % 7
        for step in range(span + 1):
            day = WEEKDAY_KEYS[(first + step) % 7]
            if day not in days:
                days.append(day)
    return days


def _ranges(text: str, entry: str) -> list[list[str]]:
    ranges = []
    for token in re.split(r"[,\s]+", _DASHES.sub("-", text.strip())):
        if not token:
            continue
        match = _RANGE.match(token)
        if not match:
            raise InvalidInput("weekly_hours", N_('%(entry)s: %(token)s is not a time range like '
                                                  '09:00-17:00'),
                                               params={'entry': repr(entry), 'token': repr(token)})
        start_hour, start_minute, end_hour, end_minute = match.groups()
        ranges.append([f"{int(start_hour):02d}:{start_minute}", f"{int(end_hour):02d}:{end_minute}"])
    return ranges


def parse_weekly_hours(text: str) -> dict:
    """Compact text -> the engine's weekly hours (canonical), or InvalidInput('weekly_hours')."""
    weekly: dict[str, list[list[str]]] = {}
    sources: dict[tuple[str, int], str] = {}
    for raw_entry in text.split(";"):
        entry = raw_entry.strip()
        if not entry:
            continue
        first_digit = re.search(r"\d", entry)
        if first_digit is None:
            raise InvalidInput("weekly_hours", N_('%(entry)s: expected days then times, e.g. '
                                                  "'mon-fri 09:00-17:00'"),
                                               params={'entry': repr(entry)})
        if first_digit.start() == 0:
            raise InvalidInput("weekly_hours", N_("%(entry)s: name the days first, e.g. 'mon-fri "
                                                  "09:00-17:00'"),
                                               params={'entry': repr(entry)})
        days = _days(entry[:first_digit.start()], entry)
        ranges = _ranges(entry[first_digit.start():], entry)
        for day in days:
            for pair in ranges:
                sources[(day, len(weekly.setdefault(day, [])))] = f"{pair[0]}-{pair[1]}"
                weekly[day].append(list(pair))
    try:
        return operations.clean_weekly_hours(weekly)
    except InvalidInput as error:
        match = _ENGINE_FIELD.match(error.field or "")
        where = sources.get((match[1], int(match[2]))) if match else None
        if not where:
            raise InvalidInput("weekly_hours", error.template, error.params) from None
        raise InvalidInput("weekly_hours", N_("%(ranges)s on %(weekday)s: %(problem)s"),
                           params={"ranges": repr(where), "weekday": match[1], "problem": error.message}) from None


def format_weekly_hours(weekly: dict | None) -> str:
    """The engine's weekly hours as compact text; days with the same ranges are grouped."""
    groups: dict[tuple, list[int]] = {}
    for index, day in enumerate(WEEKDAY_KEYS):
        ranges = (weekly or {}).get(day)
        if ranges:
            groups.setdefault(tuple(tuple(pair) for pair in ranges), []).append(index)
    entries = []
    for ranges, days in groups.items():
        runs: list[list[int]] = []
        for index in days:
            if runs and runs[-1][-1] == index - 1:
                runs[-1].append(index)
            else:
                runs.append([index])
        day_text = ",".join(WEEKDAY_KEYS[run[0]] if len(run) == 1
                            else f"{WEEKDAY_KEYS[run[0]]}-{WEEKDAY_KEYS[run[-1]]}" for run in runs)
        entries.append(day_text + " " + " ".join(f"{start}-{end}" for start, end in ranges))
    return "; ".join(entries)


# --- the report -------------------------------------------------------------------------------


@dataclass
class RowResult:
    row: int
    email: str
    action: str = "unchanged"
    changes: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    # What applying does (not part of the report):
    user: User | None = None
    name: str | None = None
    profile_values: dict = field(default_factory=dict)
    licence: dict | None = None
    licence_target: Licence | None = None

    def fail(self, field_name: str | None, template: str, params: dict | None = None) -> None:
        """Note an error: `template` (marked N_) and its values, said in the reader's language (a page's or
        an API caller's; English from the command line)."""
        self.errors.append({"field": field_name, "message": in_readers_language(template, params)})

    def as_dict(self) -> dict:
        return {"row": self.row, "email": self.email, "action": self.action,
                "changes": self.changes, "errors": self.errors}


@dataclass
class ImportReport:
    organization_id: int
    rows: list[RowResult]
    applied: bool = False
    invited: int = 0   # new accounts sent a link to choose a password (see `onboard`)

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    @property
    def totals(self) -> dict:
        totals = {"rows": len(self.rows), "create": 0, "update": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            totals[row.action] += 1
        return totals

    def emails(self, action: str) -> list[str]:
        return [row.email for row in self.rows if row.action == action]

    def as_dict(self) -> dict:
        return {"organization_id": self.organization_id, "applied": self.applied, "invited": self.invited,
                "rows": [row.as_dict() for row in self.rows], "totals": self.totals}


# The file's column for each field a change names (the rest are named as the file names them).
_CHANGE_COLUMNS = {"home_timezone": "timezone"}


def _shown_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):  # a licence
        return " ".join(str(value.get(key, "")) for key in ("country", "number", "expires_on")).strip()
    if isinstance(value, list | tuple | set):
        return "; ".join(str(item) for item in value)
    return str(value)


def change_lines(changes: dict) -> list[tuple[str, str, str]]:
    """(column, before, after) for each change of a row, as the file writes values: for the dry-run table."""
    return [(_CHANGE_COLUMNS.get(name, name), _shown_value(change.get("from")), _shown_value(change.get("to")))
            for name, change in changes.items() if isinstance(change, dict)]


# --- reading the file -----------------------------------------------------------------------


def read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, {column: cell}) for each non-blank row.

    Problems with the file as a whole raise InvalidInput naming `body` or `columns`.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("body", N_('the file is not UTF-8 text (byte %(start)s)'),
                                   params={'start': exc.start}) from None
    if "\x00" in text:  # no database keeps it, and it would stop the lists from paging past the person
        raise InvalidInput("body", N_("line %(line_num)s holds the NUL character (\\u0000), which no cell may "
                                      "contain"),
                           params={"line_num": text.count("\n", 0, text.index("\x00")) + 1})
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error:  # e.g. a cell beyond the csv module's size limit, often a quote that never closes
        raise InvalidInput("body", N_("line %(line_num)s cannot be read as CSV: a cell is too long or a quote "
                                      "is not closed"),
                           params={"line_num": reader.line_num}) from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise InvalidInput("body", N_("the file is empty; its first line must name the columns, "
                                   "e.g. email,name,disciplines"))
    header = [cell.strip().lower() for cell in records[0]]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise InvalidInput("columns", N_('unknown column(s) %(unknown)s; known: %(columns)s'),
                                      params={'unknown': unknown, 'columns': list(COLUMNS)})
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InvalidInput("columns", N_('column(s) %(repeated)s appear more than once'),
                                      params={'repeated': repeated})
    if "email" not in header:
        raise InvalidInput("columns", N_("the 'email' column is required"))
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = {name: (record[index] if index < len(record) else "")
                 for index, name in enumerate(header)}
        if len(record) > len(header):
            cells["__extra__"] = str(len(record))
        rows.append((number, cells))
    if len(rows) > MAX_ROWS:
        raise InvalidInput("body", N_('the file has %(count_rows)s rows; at most %(max_rows)s at '
                                      'a time'),
                                   params={'count_rows': len(rows), 'max_rows': MAX_ROWS})
    return rows


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _plan_row(session: Session, organization: Organization, known: set[str], number: int,
              cells: dict[str, str], at: datetime) -> RowResult:
    email_text = cells.get("email", "").strip()
    result = RowResult(row=number, email=accounts.normalize_email(email_text))
    if "__extra__" in cells:
        result.fail(None, N_("the row has %(cells)s cells but the header names %(columns)s columns"),
                    {"cells": cells["__extra__"], "columns": len(cells) - 1})
    user = profile = None
    if not email_text:
        result.fail("email", N_("is required"))
    else:
        try:
            validate_email(email_text)
        except PydanticCustomError:
            result.fail("email", N_("%(value)s is not a valid e-mail address"), {"value": email_text})
        else:
            user = accounts.find_user_by_email(session, result.email)
    if user is not None and user.organization_id != organization.id:
        result.fail("email", N_("belongs to a user of %(their_site)s; this file can only update users of "
                                "%(site)s"), {"their_site": user.organization.name, "site": organization.name})
        user = None
    if user is not None:
        profile = operations.find_profile(session, user.id)
    result.user = user

    name = cells.get("name", "").strip()
    if len(name) > 200:
        result.fail("name", N_("must be at most %(max_length)s characters"), {"max_length": 200})
    elif not name and user is None:
        result.fail("name", N_("is required for a new user"))
    result.name = name or None

    values: dict = {}
    for column, field_name in (("disciplines", "disciplines"), ("languages", "languages"),
                               ("timezone", "home_timezone"), ("weekly_hours", "weekly_hours")):
        cell = cells.get(column, "").strip()
        if not cell:
            continue
        try:
            if column == "weekly_hours":
                values[field_name] = parse_weekly_hours(cell)
                continue
            raw = _split(cell) if column in ("disciplines", "languages") else cell
            values[field_name] = operations.clean_profile_field(field_name, raw,
                                                                known_disciplines=known)
        except InvalidInput as error:
            result.fail(column, error.template, error.params)
    if profile is None:
        if "disciplines" not in values and not any(e["field"] == "disciplines" for e in result.errors):
            result.fail("disciplines", N_("is required for a new specialist (codes separated by ';')"))
        values.setdefault("home_timezone", organization.timezone if user is None else user.timezone)
    result.profile_values = values

    zone = values.get("home_timezone") or (profile.home_timezone if profile else organization.timezone)
    _plan_licence(result, profile, {column: cells.get(column, "").strip() for column in LICENCE_COLUMNS},
                  zone, at)

    if result.errors:
        result.action = "error"
        return result
    changes: dict = {}
    if user is None:
        changes["name"] = {"from": None, "to": name}
    else:
        if name and name != user.name:
            changes["name"] = {"from": user.name, "to": name}
        if not user.has_role("specialist"):
            changes["roles"] = {"from": sorted(user.roles), "to": sorted(user.roles | {"specialist"})}
    changes.update(operations.profile_changes(user, profile, values))
    if "weekly_hours" in changes:
        changes["weekly_hours"] = {key: None if value is None else format_weekly_hours(value)
                                   for key, value in changes["weekly_hours"].items()}
    if result.licence is not None:
        target = result.licence_target
        before = None if target is None else {"country": target.jurisdiction,
                                              "number": target.registration_number,
                                              "expires_on": target.expires_on.isoformat()}
        after = {"country": result.licence["jurisdiction"],
                 "number": result.licence["registration_number"],
                 "expires_on": result.licence["expires_on"].isoformat()}
        if before != after:
            changes["licence"] = {"from": before, "to": after}
        else:
            result.licence = None
    result.changes = changes
    result.action = "create" if user is None else ("update" if changes else "unchanged")
    return result


def _plan_licence(result: RowResult, profile: SpecialistProfile | None, trio: dict[str, str],
                  zone: str, at: datetime) -> None:
    if not any(trio.values()):
        return
    missing = [column for column, value in trio.items() if not value]
    for column in missing:
        result.fail(column, N_("is required when a licence is given (country, number and expiry)"))
    if missing:
        return
    country = number = expires_on = None
    try:
        country = operations.clean_country(trio["licence_country"], "licence_country")
    except InvalidInput as error:
        result.fail("licence_country", error.template, error.params)
    number = trio["licence_number"]
    if len(number) > 64:
        result.fail("licence_number", N_("must be at most %(max_length)s characters"), {"max_length": 64})
    text = trio["licence_expires_on"]
    try:
        if not _ISO_DATE.match(text):
            raise ValueError
        expires_on = date.fromisoformat(text)
    except ValueError:
        result.fail("licence_expires_on", N_("%(value)s is not a YYYY-MM-DD date"), {"value": text})
    if expires_on is not None:
        try:
            check_supported_year(expires_on)
        except InvalidValue as error:
            result.fail("licence_expires_on", error.template, error.params)
            expires_on = None
    if expires_on is not None and zone and expires_on < to_local(at, zone).date():
        result.fail("licence_expires_on", N_("%(value)s has already passed"), {"value": text})
    if result.errors:
        return
    result.licence = {"jurisdiction": country, "registration_number": number, "expires_on": expires_on}
    if profile is not None:
        result.licence_target = next(
            (licence for licence in profile.licences
             if licence.jurisdiction == country and licence.registration_number == number), None)


def _mark_duplicates(rows: list[RowResult]) -> None:
    by_email: dict[str, list[RowResult]] = {}
    for row in rows:
        if row.email:
            by_email.setdefault(row.email, []).append(row)
    for email, same in by_email.items():
        if len(same) < 2:
            continue
        numbers = ", ".join(str(row.row) for row in same)
        for row in same:
            row.fail("email", N_("%(email)s appears more than once in the file (rows %(rows)s)"),
                     {"email": email, "rows": numbers})
            row.action, row.changes = "error", {}


def _apply(session: Session, organization: Organization, rows: list[RowResult], known: set[str],
           at: datetime) -> None:
    for row in rows:
        if row.action not in ("create", "update"):
            continue
        user = row.user
        if user is None:
            # Nobody knows this password: the person sets their own before signing in.
            user = accounts.create_user(session, email=row.email, name=row.name,
                                        password=secrets.token_urlsafe(32),
                                        organization=organization, roles=["specialist"])
        else:
            if row.name and row.name != user.name:
                user.name = row.name
            if not user.has_role("specialist"):
                accounts.set_roles(user, [*sorted(user.roles), "specialist"])
        profile, _ = operations.save_profile(session, user, row.profile_values,
                                             known_disciplines=known)
        if row.licence is not None:
            if row.licence_target is not None:
                operations.update_licence(session, row.licence_target, at=at,
                                          expires_on=row.licence["expires_on"])
            else:
                operations.add_licence(session, profile, at=at, **row.licence)


def import_specialists(session: Session, organization: Organization, data: bytes, *, apply: bool,
                       at: datetime) -> ImportReport:
    """Check every row; when `apply` and no row has an error, write them all.

    Raises InvalidInput for problems with the file as a whole (encoding, columns, size).
    """
    known = operations.discipline_codes(session, active_only=True)  # a retired one is not onboarded
    rows = [_plan_row(session, organization, known, number, cells, at)
            for number, cells in read_rows(data)]
    _mark_duplicates(rows)
    report = ImportReport(organization_id=organization.id, rows=rows)
    if apply and not report.has_errors:
        _apply(session, organization, rows, known, at)
        report.applied = True
    return report


def onboard(session: Session, organization: Organization, data: bytes, *, apply: bool, by: User | None,
            at: datetime, link_lifetime: timedelta, via: str, source_address: str | None = None) -> ImportReport:
    """`import_specialists`, and once it is applied: each account it created is sent a link to choose a
    password (`report.invited` counts them) and the import is audited. The same for the page, the API and
    the command (`via` says which)."""
    report = import_specialists(session, organization, data, apply=apply, at=at)
    if report.applied:
        created = report.emails("create")
        report.invited = password_links.invite_created(session, created, by=by, at=at, lifetime=link_lifetime)
        audit(session, "specialists.imported", actor=by, target_type="organization", target_id=organization.id,
              source_address=source_address,
              detail={"totals": report.totals, "created": created, "updated": report.emails("update"), "via": via})
    return report
