"""API: specialists' profiles, leave, date overrides, licences, availability preview and CSV onboarding."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from flask import current_app, request
from pydantic import BaseModel, ConfigDict, Field

from app.accounts import password_links
from app.accounts.models import Organization
from app.api import api
from app.api.endpoint import ApiResponse, endpoint
from app.api.paging import PageQuery, next_link
from app.api.problems import problem
from app.api.schema import Instant, OutputInstant, RequestBody, ResponseBody
from app.audit.operations import record as audit
from app.errors import InvalidInput
from app.extensions import db
from app.scheduling import WEEKDAY_KEYS, available_intervals
from app.security import current_actor
from app.specialists import csv_import, operations
from app.specialists.models import DateOverride, Leave, Licence, SpecialistProfile
from app.timekeeping import format_local, now_utc, to_local
from app.vocabulary import N_

MAX_PREVIEW = timedelta(days=31)
DEFAULT_IMPORT_MAX_BYTES = 2 * 1024 * 1024
TAGS = ("specialists",)

# --- bodies and answers ---------------------------------------------------------------------


class DisciplineOut(ResponseBody):
    code: str
    name: str


class ProfileIn(RequestBody):
    """Create or update a profile. Omitted fields keep their value (a new profile: the default)."""

    disciplines: list[str] | None = Field(default=None, description="Codes from GET /disciplines")
    sub_specialty: str | None = Field(default=None, max_length=200)
    languages: list[str] | None = Field(default=None, description="ISO 639-1, preferred first")
    home_timezone: str | None = Field(default=None, description="IANA zone, e.g. Asia/Kathmandu")
    weekly_hours: dict[str, Any] | None = Field(
        default=None, description='Local wall-clock ranges, e.g. {"mon": [["09:00", "17:00"]], '
                                  '"sat": [["22:00", "02:00"]]}')
    buffer_before_minutes: int | None = Field(default=None, ge=0, le=240)
    buffer_after_minutes: int | None = Field(default=None, ge=0, le=240)
    min_notice_hours: int | None = Field(default=None, ge=0, le=720)
    max_meetings_per_day: int | None = Field(default=None, ge=1, le=24)
    max_meetings_per_week: int | None = Field(default=None, ge=1, le=100)
    takes_urgent: bool | None = None


class LicenceOut(ResponseBody):
    id: int
    jurisdiction: str
    registration_number: str
    expires_on: date
    status: Literal["valid", "unverified", "expired"]
    verified_by_id: int | None
    verified_by_name: str | None
    verified_at: OutputInstant | None


class SpecialistOut(ResponseBody):
    user_id: int
    name: str
    email: str
    organization_id: int
    organization_name: str
    home_timezone: str
    disciplines: list[str]
    sub_specialty: str | None
    languages: list[str]
    weekly_hours: dict[str, list[list[str]]]
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_hours: int
    max_meetings_per_day: int
    max_meetings_per_week: int
    takes_urgent: bool
    licensed_in: list[str] = Field(description="Countries with a verified, unexpired licence now")
    licences: list[LicenceOut]
    updated_at: OutputInstant


class SpecialistQuery(PageQuery):
    discipline: str | None = None
    language: str | None = Field(default=None, description="ISO 639-1")
    licensed_in: str | None = Field(default=None, description="ISO country; valid licences only")
    takes_urgent: bool | None = None
    organization_id: int | None = None


class LeaveIn(RequestBody):
    """Either `from` and `to` (instants with offsets) or `from_date` and `to_date` (whole local
    days in the specialist's home zone, both inclusive)."""

    starts_at: Instant | None = Field(default=None, alias="from")
    ends_at: Instant | None = Field(default=None, alias="to")
    from_date: date | None = None
    to_date: date | None = None
    reason: str | None = Field(default=None, max_length=500)


class LeaveOut(ResponseBody):
    id: int
    starts_at: OutputInstant
    ends_at: OutputInstant
    local_start: str
    local_end: str
    timezone: str
    reason: str | None


class OverrideIn(RequestBody):
    ranges: list[Any] = Field(description='Local ranges, e.g. [["10:00", "14:00"]]; [] = day off')
    note: str | None = Field(default=None, max_length=500)


class OverrideOut(ResponseBody):
    date: date
    ranges: list[list[str]]
    note: str | None


class LicenceIn(RequestBody):
    jurisdiction: str = Field(description="ISO 3166-1 alpha-2 country code")
    registration_number: str = Field(min_length=1, max_length=64)
    expires_on: date


class LicencePatch(RequestBody):
    jurisdiction: str | None = None
    registration_number: str | None = Field(default=None, min_length=1, max_length=64)
    expires_on: date | None = None


class AvailabilityQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: Instant = Field(alias="from", description="ISO 8601 instant with offset")
    end: Instant = Field(alias="to", description="ISO 8601 instant with offset; at most 31 days on")


class FreeInterval(ResponseBody):
    start: OutputInstant
    end: OutputInstant
    local_start: str
    local_end: str
    local_weekday: str


class AvailabilityOut(ResponseBody):
    user_id: int
    timezone: str
    window_start: OutputInstant
    window_end: OutputInstant
    intervals: list[FreeInterval]


class ImportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organization_id: int
    apply: bool = Field(default=False, description="false (default) is a dry run")


class ImportErrorOut(ResponseBody):
    field: str | None
    message: str


class ImportRowOut(ResponseBody):
    row: int
    email: str
    action: Literal["create", "update", "unchanged", "error"]
    changes: dict[str, Any]
    errors: list[ImportErrorOut]


class ImportTotals(ResponseBody):
    rows: int
    create: int
    update: int
    unchanged: int
    error: int


class ImportReportOut(ResponseBody):
    organization_id: int
    applied: bool
    invited: int   # new accounts sent a link to choose a password
    rows: list[ImportRowOut]
    totals: ImportTotals


# --- shaping answers ------------------------------------------------------------------------


def licence_out(licence: Licence, at: datetime) -> dict:
    return {
        "id": licence.id, "jurisdiction": licence.jurisdiction,
        "registration_number": licence.registration_number, "expires_on": licence.expires_on,
        "status": operations.licence_status(licence, at),
        "verified_by_id": licence.verified_by_id,
        "verified_by_name": licence.verified_by.name if licence.verified_by else None,
        "verified_at": licence.verified_at,
    }


def specialist_out(profile: SpecialistProfile, at: datetime) -> dict:
    user = profile.user
    return {
        "user_id": user.id, "name": user.name, "email": user.email,
        "organization_id": user.organization_id, "organization_name": user.organization.name,
        "home_timezone": profile.home_timezone, "disciplines": profile.discipline_codes,
        "sub_specialty": profile.sub_specialty, "languages": list(user.languages or []),
        "weekly_hours": profile.weekly_hours or {},
        "buffer_before_minutes": profile.buffer_before_minutes,
        "buffer_after_minutes": profile.buffer_after_minutes,
        "min_notice_hours": profile.min_notice_hours,
        "max_meetings_per_day": profile.max_meetings_per_day,
        "max_meetings_per_week": profile.max_meetings_per_week,
        "takes_urgent": profile.takes_urgent,
        "licensed_in": sorted(profile.valid_licence_countries(at)),
        "licences": [licence_out(licence, at) for licence in profile.licences],
        "updated_at": profile.updated_at,
    }


def leave_out(leave: Leave) -> dict:
    zone = leave.profile.home_timezone
    return {"id": leave.id, "starts_at": leave.starts_at, "ends_at": leave.ends_at,
            "local_start": format_local(leave.starts_at, zone),
            "local_end": format_local(leave.ends_at, zone), "timezone": zone, "reason": leave.reason}


def override_out(override: DateOverride) -> dict:
    return {"date": override.local_date, "ranges": override.ranges or [], "note": override.note}


def _audit(action: str, target_type: str, target_id, detail: dict | None = None) -> None:
    audit(db.session, action, actor=current_actor(), target_type=target_type, target_id=target_id,
          source_address=request.remote_addr, detail=detail)


def _editable_profile(user_id: int) -> SpecialistProfile:
    operations.require_editor(current_actor(), user_id)
    return operations.get_profile(db.session, user_id)


# --- disciplines and profiles ---------------------------------------------------------------


@api.get("/disciplines")
@endpoint(summary="The controlled vocabulary of MDT disciplines", response=DisciplineOut, many=True,
          tags=TAGS)
def list_disciplines():
    return operations.list_disciplines(db.session)


@api.get("/specialists")
@endpoint(summary="Find specialists by discipline, language, valid licence or urgent cover, by name, "
                  "a page at a time",
          query=SpecialistQuery, response=SpecialistOut, many=True, tags=TAGS)
def list_specialists(query: SpecialistQuery):
    at = now_utc()
    page = operations.find_specialists(db.session, at=at, **query.model_dump())
    return ApiResponse([specialist_out(profile, at) for profile in page.rows], headers=next_link(page))


@api.get("/specialists/<int:user_id>")
@endpoint(summary="One specialist's profile and licences", response=SpecialistOut, tags=TAGS)
def get_specialist(user_id: int):
    return specialist_out(operations.get_profile(db.session, user_id), now_utc())


@api.put("/specialists/<int:user_id>/profile")
@endpoint(summary="Create or update a specialist profile (omitted fields are kept)", body=ProfileIn,
          response=SpecialistOut, tags=TAGS)
def put_profile(user_id: int, body: ProfileIn):
    operations.require_editor(current_actor(), user_id)
    user = operations.get_user(db.session, user_id)
    created = operations.find_profile(db.session, user_id) is None
    values = {name: getattr(body, name) for name in body.model_fields_set}
    profile, changes = operations.save_profile(db.session, user, values)
    _audit("specialist.profile_created" if created else "specialist.profile_updated", "user",
           user_id, {"fields": sorted(changes)})
    return ApiResponse(specialist_out(profile, now_utc()), status=201 if created else 200)


# --- leave and date overrides ---------------------------------------------------------------


@api.get("/specialists/<int:user_id>/leave")
@endpoint(summary="A specialist's leave (the specialist, coordinators and admins)",
          response=LeaveOut, many=True, tags=TAGS)
def list_leave(user_id: int):
    return [leave_out(leave) for leave in _editable_profile(user_id).leave]


@api.post("/specialists/<int:user_id>/leave")
@endpoint(summary="Add leave, as instants or as whole local dates", body=LeaveIn,
          response=LeaveOut, status=201, tags=TAGS)
def add_leave(user_id: int, body: LeaveIn):
    profile = _editable_profile(user_id)
    leave = operations.add_leave(db.session, profile, starts_at=body.starts_at,
                                 ends_at=body.ends_at, from_date=body.from_date,
                                 to_date=body.to_date, reason=body.reason)
    _audit("specialist.leave_added", "leave", leave.id, {"user_id": user_id})
    return leave_out(leave)


@api.delete("/specialists/<int:user_id>/leave/<int:leave_id>")
@endpoint(summary="Remove leave", status=204, tags=TAGS)
def delete_leave(user_id: int, leave_id: int):
    profile = _editable_profile(user_id)
    operations.delete_leave(db.session, operations.get_leave(db.session, profile, leave_id))
    _audit("specialist.leave_removed", "leave", leave_id, {"user_id": user_id})
    return None


@api.get("/specialists/<int:user_id>/overrides")
@endpoint(summary="A specialist's date overrides (the specialist, coordinators and admins)",
          response=OverrideOut, many=True, tags=TAGS)
def list_overrides(user_id: int):
    return [override_out(override) for override in _editable_profile(user_id).overrides]


@api.put("/specialists/<int:user_id>/overrides/<day>")
@endpoint(summary="Replace one local date's working hours ([] = not working)", body=OverrideIn,
          response=OverrideOut, tags=TAGS)
def put_override(user_id: int, day: str, body: OverrideIn):
    profile = _editable_profile(user_id)
    local_date = operations.clean_local_date(day)
    override = operations.set_override(db.session, profile, local_date, body.ranges, body.note)
    _audit("specialist.override_set", "user", user_id,
           {"date": local_date.isoformat(), "ranges": override.ranges})
    return override_out(override)


@api.delete("/specialists/<int:user_id>/overrides/<day>")
@endpoint(summary="Remove a date override (the weekly hours apply again)", status=204, tags=TAGS)
def delete_override(user_id: int, day: str):
    profile = _editable_profile(user_id)
    local_date = operations.clean_local_date(day)
    operations.delete_override(db.session, profile, local_date)
    _audit("specialist.override_removed", "user", user_id, {"date": local_date.isoformat()})
    return None


# --- availability preview -------------------------------------------------------------------


@api.get("/specialists/<int:user_id>/availability")
@endpoint(summary="Free time in a window: weekly hours and overrides, minus leave and bookings",
          query=AvailabilityQuery, response=AvailabilityOut, tags=TAGS)
def availability(user_id: int, query: AvailabilityQuery):
    if query.end <= query.start:
        raise InvalidInput("to", N_("must be after from"))
    if query.end - query.start > MAX_PREVIEW:
        raise InvalidInput("to", N_('the window may be at most %(days)s days long'),
                                 params={'days': MAX_PREVIEW.days})
    profile = operations.get_profile(db.session, user_id)
    busy = operations.booked_intervals(db.session, user_id, query.start, query.end)
    spec = operations.engine_spec(profile, busy=busy)
    zone = profile.home_timezone
    intervals = []
    for start, end in available_intervals(spec, query.start, query.end):
        local_start = to_local(start, zone)
        intervals.append({
            "start": start, "end": end,
            "local_start": format_local(start, zone), "local_end": format_local(end, zone),
            "local_weekday": WEEKDAY_KEYS[local_start.weekday()],
        })
    return {"user_id": user_id, "timezone": zone, "window_start": query.start,
            "window_end": query.end, "intervals": intervals}


# --- licences -------------------------------------------------------------------------------


@api.post("/specialists/<int:user_id>/licences")
@endpoint(summary="Record a licence to practise (unverified until a coordinator verifies it)",
          body=LicenceIn, response=LicenceOut, status=201, tags=TAGS)
def add_licence(user_id: int, body: LicenceIn):
    profile = _editable_profile(user_id)
    at = now_utc()
    licence = operations.add_licence(db.session, profile, at=at, **body.model_dump())
    _audit("licence.added", "licence", licence.id,
           {"user_id": user_id, "jurisdiction": licence.jurisdiction})
    return licence_out(licence, at)


@api.patch("/licences/<int:licence_id>")
@endpoint(summary="Correct a licence; any change clears its verification", body=LicencePatch,
          response=LicenceOut, tags=TAGS)
def update_licence(licence_id: int, body: LicencePatch):
    licence = operations.get_licence(db.session, licence_id)
    operations.require_editor(current_actor(), licence.profile.user_id)
    values = {name: getattr(body, name) for name in body.model_fields_set}
    for name, value in values.items():
        if value is None:
            raise InvalidInput(name, N_("must not be null"))
    at = now_utc()
    changes = operations.update_licence(db.session, licence, at=at, **values)
    if changes:
        _audit("licence.updated", "licence", licence.id,
               {"fields": sorted(changes), "verification_cleared": True})
    return licence_out(licence, at)


@api.post("/licences/<int:licence_id>/verify")
@endpoint(summary="Verify a licence (records who and when)", roles={"coordinator", "admin"},
          response=LicenceOut, tags=TAGS)
def verify_licence(licence_id: int):
    licence = operations.get_licence(db.session, licence_id)
    at = now_utc()
    operations.verify_licence(db.session, licence, verifier=current_actor(), at=at)
    _audit("licence.verified", "licence", licence.id,
           {"user_id": licence.profile.user_id, "jurisdiction": licence.jurisdiction,
            "expires_on": licence.expires_on.isoformat()})
    return licence_out(licence, at)


@api.delete("/licences/<int:licence_id>")
@endpoint(summary="Remove a licence", status=204, tags=TAGS)
def delete_licence(licence_id: int):
    licence = operations.get_licence(db.session, licence_id)
    user_id = licence.profile.user_id
    operations.require_editor(current_actor(), user_id)
    operations.delete_licence(db.session, licence)
    _audit("licence.removed", "licence", licence_id, {"user_id": user_id})
    return None


# --- bulk onboarding --------------------------------------------------------------------------


@api.post("/specialists/import")
@endpoint(summary="Onboard specialists from a CSV file (text/csv); dry run unless apply=true",
          roles={"coordinator", "admin"}, query=ImportQuery, response=ImportReportOut, tags=TAGS,
          raw_body="text/csv")
def import_specialists(query: ImportQuery):
    limit = current_app.config.get("SPECIALIST_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES)
    if request.content_length is not None and request.content_length > limit:
        return problem(413, N_("The CSV file is larger than %(limit)s bytes; split it."), params={"limit": limit})
    if request.mimetype != "text/csv":
        return problem(415, N_("Send the file as the raw body with 'Content-Type: text/csv' (UTF-8)."))
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        return problem(415, N_("The CSV file must be UTF-8, not %(charset)s."), params={"charset": charset})
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        return problem(413, N_("The CSV file is larger than %(limit)s bytes; split it."), params={"limit": limit})
    organization = db.session.get(Organization, query.organization_id)
    if organization is None:
        raise InvalidInput("organization_id", N_('no organisation has id %(organization_id)s'),
                                              params={'organization_id': query.organization_id})
    report = csv_import.onboard(db.session, organization, data, apply=query.apply, by=current_actor(), at=now_utc(),
                                link_lifetime=password_links.configured_lifetime(current_app.config),
                                via="api", source_address=request.remote_addr)
    body = report.as_dict()
    if query.apply and report.has_errors:
        errors = [{"row": row.row, "field": error["field"], "message": error["message"]}
                  for row in report.rows for error in row.errors]
        return problem(422, N_("%(count)s row(s) have errors; nothing was imported."),
                       params={"count": report.totals["error"]}, type_="/problems/import-rejected",
                       title=N_("The file has rows with errors"), errors=errors, **body)
    return body


# --- administration: the licence queue, verdicts with evidence, the discipline vocabulary ------------


class LicenceQueueQuery(PageQuery):
    queue: Literal["pending", "expiring", "expired"] = "pending"


class LicenceQueueItem(LicenceOut):
    user_id: int
    name: str
    verification_note: str | None
    rejected_at: OutputInstant | None


class VerdictIn(RequestBody):
    note: str = Field(min_length=1, max_length=2000, description="What was checked, or why it is refused")


class DisciplineAdminOut(ResponseBody):
    code: str
    name: str
    labels: dict[str, str] = Field(description="The name in other languages, e.g. {\"zh\": \"...\"}")
    retired: bool


class DisciplineIn(RequestBody):
    code: str = Field(min_length=3, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    labels: dict[str, str] = {}


class DisciplinePatch(RequestBody):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    labels: dict[str, str] | None = None
    retired: bool | None = None


def _queue_item(licence: Licence, at: datetime) -> dict:
    return {**licence_out(licence, at), "user_id": licence.profile.user_id, "name": licence.profile.user.name,
            "verification_note": licence.verification_note, "rejected_at": licence.rejected_at}


def _discipline_admin_out(discipline) -> dict:
    return {"code": discipline.code, "name": discipline.name, "labels": dict(discipline.labels or {}),
            "retired": discipline.is_retired}


@api.get("/licences")
@endpoint(summary="A licence verification queue (pending, expiring within 30 days, expired), soonest first",
          roles={"coordinator", "admin"}, query=LicenceQueueQuery, response=LicenceQueueItem, many=True, tags=TAGS)
def licence_queue(query: LicenceQueueQuery):
    at = now_utc()
    page = operations.licence_queue(db.session, query.queue, at=at, limit=query.limit, cursor=query.cursor)
    return ApiResponse([_queue_item(licence, at) for licence in page.rows], headers=next_link(page))


@api.post("/licences/<int:licence_id>/reject")
@endpoint(summary="Refuse a licence the evidence does not support, saying why", roles={"coordinator", "admin"},
          body=VerdictIn, response=LicenceQueueItem, tags=TAGS)
def reject_licence(licence_id: int, body: VerdictIn):
    licence = operations.get_licence(db.session, licence_id)
    at = now_utc()
    operations.reject_licence(db.session, licence, verifier=current_actor(), at=at, note=body.note)
    _audit("licence.rejected", "licence", licence.id,
           {"user_id": licence.profile.user_id, "jurisdiction": licence.jurisdiction, "note": licence.verification_note})
    return _queue_item(licence, at)


@api.post("/licences/<int:licence_id>/evidence")
@endpoint(summary="Verify a licence with a note of the evidence checked", roles={"coordinator", "admin"},
          body=VerdictIn, response=LicenceQueueItem, tags=TAGS)
def verify_licence_with_evidence(licence_id: int, body: VerdictIn):
    licence = operations.get_licence(db.session, licence_id)
    at = now_utc()
    operations.verify_licence(db.session, licence, verifier=current_actor(), at=at, note=body.note)
    _audit("licence.verified", "licence", licence.id,
           {"user_id": licence.profile.user_id, "jurisdiction": licence.jurisdiction,
            "expires_on": licence.expires_on.isoformat(), "note": licence.verification_note})
    return _queue_item(licence, at)


@api.post("/disciplines")
@endpoint(summary="Add a discipline to the vocabulary", roles={"admin"}, body=DisciplineIn,
          response=DisciplineAdminOut, status=201, tags=TAGS)
def add_discipline(body: DisciplineIn):
    from app.specialists import disciplines

    discipline = disciplines.add_discipline(db.session, code=body.code, name=body.name, labels=body.labels)
    _audit("discipline.added", "discipline", discipline.code, {"name": discipline.name})
    return _discipline_admin_out(discipline)


@api.patch("/disciplines/<code>")
@endpoint(summary="Rename, translate, retire or restore a discipline (its code never changes)", roles={"admin"},
          body=DisciplinePatch, response=DisciplineAdminOut, tags=TAGS)
def update_discipline(code: str, body: DisciplinePatch):
    from app.specialists import disciplines

    discipline = disciplines.get_discipline(db.session, code)
    changes = disciplines.update_discipline(db.session, discipline, name=body.name, labels=body.labels)
    if changes:
        _audit("discipline.updated", "discipline", discipline.code, {"changes": changes})
    if body.retired is not None and disciplines.set_retired(db.session, discipline, body.retired, at=now_utc()):
        _audit("discipline.retired" if body.retired else "discipline.restored", "discipline", discipline.code)
    return _discipline_admin_out(discipline)
