"""API for app.rotas (routes on the shared /api/v1 blueprint): rotas, shifts, cover, on call."""
from __future__ import annotations

from datetime import timedelta
from typing import Literal

from flask import request
from pydantic import BaseModel, ConfigDict, Field

from app.api import api
from app.api.endpoint import ApiResponse, endpoint
from app.api.paging import PageQuery, next_link
from app.api.schema import Instant, OutputInstant, RequestBody, ResponseBody
from app.audit.operations import record as audit
from app.extensions import db
from app.rotas import operations
from app.rotas.models import CoverRequest, OnCallShift, Rota
from app.errors import InvalidInput
from app.security import current_actor
from app.timekeeping import now_utc, to_local
from app.vocabulary import N_

EDITORS = {"coordinator", "admin"}
READERS = {"specialist", "coordinator", "admin"}
TAGS = ("rotas",)
CoverStatus = Literal["open", "accepted", "approved", "rejected", "withdrawn"]


# --- bodies and answers ---------------------------------------------------------------------


class RotaIn(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    discipline_code: str = Field(max_length=40, description="A code from GET /api/v1/disciplines")
    handoff_weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday, in `timezone`")
    handoff_time: str = Field(description="Local wall-clock time of the handoff, HH:MM")
    timezone: str = Field(description="IANA zone the handoff is read in, e.g. Asia/Shanghai")
    period_weeks: Literal[1, 2] = Field(default=1, description="1 = weekly, 2 = fortnightly")
    members: list[int] = Field(min_length=1, description="User ids, in rota order")
    board_id: int | None = Field(default=None, description="The board this rota serves, if only one")


class RotaPatch(RequestBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    members: list[int] | None = Field(default=None, min_length=1,
                                      description="The whole new member list, in rota order")


class MemberOut(ResponseBody):
    user_id: int
    name: str
    position: int
    home_timezone: str | None


class RotaOut(ResponseBody):
    id: int
    name: str
    discipline_code: str
    handoff_weekday: int
    handoff_weekday_name: str
    handoff_time: str
    timezone: str
    period_weeks: int
    board_id: int | None
    members: list[MemberOut]
    created_at: OutputInstant


class RotaQuery(PageQuery):
    discipline: str | None = None


class GenerateIn(RequestBody):
    start: str = Field(description="The local date of the first handoff (YYYY-MM-DD, in the rota's "
                                   "zone, on its handoff weekday), or an ISO 8601 instant with an "
                                   "offset: the first handoff at or after it")
    weeks: int = Field(ge=1, le=operations.MAX_WEEKS)


class ShiftOut(ResponseBody):
    id: int
    rota_id: int
    user_id: int
    user_name: str
    starts_at: OutputInstant
    ends_at: OutputInstant
    local_start: str = Field(description="The start on the rota's wall clock, with its offset")
    local_end: str
    hours: float
    status: str
    sequence: int


class ReasonOut(ResponseBody):
    user_id: int
    name: str
    reason: str


class UncoveredOut(ResponseBody):
    starts_at: OutputInstant
    ends_at: OutputInstant
    reasons: list[ReasonOut]


class TallyOut(ResponseBody):
    user_id: int
    name: str
    periods: int
    unsocial_handoffs: int
    fair_share: float


class GenerationOut(ResponseBody):
    rota_id: int
    first_handoff: OutputInstant
    already_started: list[OutputInstant] = Field(
        description="Starts of requested periods that had already begun; left as they were")
    created: int
    updated: int
    unchanged: int
    cancelled: int
    shifts: list[ShiftOut]
    uncovered: list[UncoveredOut]
    members: list[TallyOut]
    withdrawn_cover_requests: list[int]


class ShiftQuery(PageQuery):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: Instant | None = Field(default=None, alias="from", description="Default: now")
    end: Instant | None = Field(default=None, alias="to", description="Default: 8 weeks after `from`")
    include_cancelled: bool = False


class OnCallQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: Instant | None = Field(default=None, description="Default: now")


class OnCallOut(ResponseBody):
    rota_id: int
    at: OutputInstant
    user_id: int
    user_name: str
    shift: ShiftOut


class CoverIn(RequestBody):
    reason: str = Field(min_length=1, max_length=2000)


class CoverRejectIn(RequestBody):
    reason: str | None = Field(default=None, max_length=operations.DECISION_REASON_LIMIT,
                               description="Why it is rejected, told to the requester and the volunteer")


class CoverQuery(PageQuery):
    status: CoverStatus | None = None


class CoverOut(ResponseBody):
    id: int
    rota_id: int
    shift: ShiftOut
    status: str
    reason: str | None
    requested_by_id: int
    requested_by_name: str
    covered_by_id: int | None
    covered_by_name: str | None
    decided_by_id: int | None
    created_at: OutputInstant
    accepted_at: OutputInstant | None
    decided_at: OutputInstant | None
    decision_reason: str | None = Field(description="Why the coordinator rejected it, if they said")
    allowed: list[str] = Field(description="What may happen next to this request")


# --- serialisers ----------------------------------------------------------------------------


def rota_out(rota: Rota, zones: dict[int, str] | None = None) -> dict:
    """`zones`: the members' home zones when the caller loaded them for several rotas at once."""
    if zones is None:
        zones = operations.member_home_zones(db.session, [rota])
    members = [{"user_id": member.user_id, "name": member.user.name, "position": member.position,
                "home_timezone": zones.get(member.user_id)}
               for member in sorted(rota.members, key=lambda m: m.position)]
    return {
        "id": rota.id, "name": rota.name, "discipline_code": rota.discipline_code,
        "handoff_weekday": rota.handoff_weekday,
        "handoff_weekday_name": operations.WEEKDAYS[rota.handoff_weekday],
        "handoff_time": rota.handoff_time.strftime("%H:%M"), "timezone": rota.timezone,
        "period_weeks": rota.period_weeks, "board_id": rota.board_id, "members": members,
        "created_at": rota.created_at,
    }


def shift_out(shift: OnCallShift) -> dict:
    zone = shift.rota.timezone
    return {
        "id": shift.id, "rota_id": shift.rota_id, "user_id": shift.user_id,
        "user_name": shift.user.name, "starts_at": shift.starts_at, "ends_at": shift.ends_at,
        "local_start": to_local(shift.starts_at, zone).isoformat(),
        "local_end": to_local(shift.ends_at, zone).isoformat(),
        "hours": (shift.ends_at - shift.starts_at).total_seconds() / 3600,
        "status": shift.status, "sequence": shift.sequence,
    }


def cover_out(cover: CoverRequest) -> dict:
    return {
        "id": cover.id, "rota_id": cover.shift.rota_id, "shift": shift_out(cover.shift),
        "status": cover.status, "reason": cover.reason,
        "requested_by_id": cover.requested_by_id, "requested_by_name": cover.requested_by.name,
        "covered_by_id": cover.covered_by_id,
        "covered_by_name": cover.covered_by.name if cover.covered_by else None,
        "decided_by_id": cover.decided_by_id, "created_at": cover.created_at,
        "accepted_at": cover.accepted_at, "decided_at": cover.decided_at,
        "decision_reason": cover.decision_reason, "allowed": operations.allowed_actions(cover),
    }


def _audit(action: str, target_type: str, target_id, detail: dict | None = None) -> None:
    audit(db.session, action, actor=current_actor(), target_type=target_type, target_id=target_id,
          source_address=request.remote_addr, detail=detail)


# --- rotas ----------------------------------------------------------------------------------


@api.get("/rotas")
@endpoint(summary="On-call rotas by name, a page at a time", roles=READERS, query=RotaQuery, response=RotaOut,
          many=True, tags=TAGS)
def list_rotas(query: RotaQuery):
    page = operations.rotas_page(db.session, discipline_code=query.discipline, limit=query.limit,
                                 cursor=query.cursor)
    zones = operations.member_home_zones(db.session, page.rows)
    return ApiResponse([rota_out(rota, zones) for rota in page.rows], headers=next_link(page))


@api.post("/rotas")
@endpoint(summary="Create an on-call rota for one discipline", roles=EDITORS, body=RotaIn,
          response=RotaOut, status=201, tags=TAGS)
def create_rota(body: RotaIn):
    rota = operations.create_rota(db.session, **body.model_dump(), created_by=current_actor(),
                                  at=now_utc())
    _audit("rota.created", "rota", rota.id, {"members": body.members})
    return rota_out(rota)


@api.get("/rotas/<int:rota_id>")
@endpoint(summary="One rota with its members in order", roles=READERS, response=RotaOut, tags=TAGS)
def get_rota(rota_id: int):
    return rota_out(operations.get_rota(db.session, rota_id))


@api.patch("/rotas/<int:rota_id>")
@endpoint(summary="Rename a rota or change its members and their order", roles=EDITORS,
          body=RotaPatch, response=RotaOut, tags=TAGS)
def update_rota(rota_id: int, body: RotaPatch):
    rota = operations.get_rota(db.session, rota_id, for_update=True)
    operations.update_rota(db.session, rota, name=body.name, members=body.members)
    _audit("rota.updated", "rota", rota.id, {"fields": sorted(body.model_fields_set)})
    return rota_out(rota)


@api.post("/rotas/<int:rota_id>/generate")
@endpoint(summary="Generate (or regenerate) fair on-call shifts for a number of weeks",
          roles=EDITORS, body=GenerateIn, response=GenerationOut, tags=TAGS)
def generate_shifts(rota_id: int, body: GenerateIn):
    rota = operations.get_rota(db.session, rota_id, for_update=True)
    start = operations.parse_start(body.start)
    result = operations.generate(db.session, rota, start=start, weeks=body.weeks, at=now_utc())
    _audit("rota.generated", "rota", rota.id, {
        "start": body.start, "weeks": body.weeks, "created": result.created,
        "updated": result.updated, "cancelled": result.cancelled,
        "uncovered": len(result.uncovered)})
    return {
        "rota_id": rota.id, "first_handoff": result.first_handoff,
        "already_started": [period.starts_at for period in result.already_started],
        "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
        "cancelled": result.cancelled, "shifts": [shift_out(shift) for shift in result.shifts],
        "uncovered": result.uncovered, "members": result.members,
        "withdrawn_cover_requests": result.withdrawn_cover_requests,
    }


@api.get("/rotas/<int:rota_id>/shifts")
@endpoint(summary="A rota's shifts overlapping a time range, in order, a page at a time", roles=READERS, query=ShiftQuery,
          response=ShiftOut, many=True, tags=TAGS)
def list_shifts(rota_id: int, query: ShiftQuery):
    rota = operations.get_rota(db.session, rota_id)
    start = query.start or now_utc()
    end = query.end or start + timedelta(weeks=8)
    if end <= start:
        raise InvalidInput("to", N_("must be after `from`"))
    page = operations.shifts_page(db.session, rota, start, end, include_cancelled=query.include_cancelled,
                                  limit=query.limit, cursor=query.cursor)
    return ApiResponse([shift_out(shift) for shift in page.rows], headers=next_link(page))


@api.get("/rotas/<int:rota_id>/on-call")
@endpoint(summary="Who is on call for a rota at an instant", roles=READERS, query=OnCallQuery,
          response=OnCallOut, tags=TAGS)
def on_call(rota_id: int, query: OnCallQuery):
    rota = operations.get_rota(db.session, rota_id)
    at = query.at or now_utc()
    shift = operations.on_call_shift(db.session, rota.id, at)
    if shift is None:
        raise operations.why_nobody_on_call(db.session, rota, at)
    return {"rota_id": rota.id, "at": at, "user_id": shift.user_id, "user_name": shift.user.name,
            "shift": shift_out(shift)}


# --- cover ----------------------------------------------------------------------------------


@api.get("/rotas/<int:rota_id>/cover-requests")
@endpoint(summary="A rota's cover requests in order of their shifts, a page at a time", roles=READERS,
          query=CoverQuery, response=CoverOut, many=True, tags=TAGS)
def list_cover_requests(rota_id: int, query: CoverQuery):
    rota = operations.get_rota(db.session, rota_id)
    page = operations.cover_requests_page(db.session, rota, status=query.status, limit=query.limit,
                                          cursor=query.cursor)
    return ApiResponse([cover_out(cover) for cover in page.rows], headers=next_link(page))


@api.post("/shifts/<int:shift_id>/cover-requests")
@endpoint(summary="Ask for cover for one of my future on-call shifts", roles={"specialist"},
          body=CoverIn, response=CoverOut, status=201, tags=TAGS)
def request_cover(shift_id: int, body: CoverIn):
    shift = operations.get_shift(db.session, shift_id, for_update=True)
    cover = operations.request_cover(db.session, shift, current_actor(), reason=body.reason,
                                     at=now_utc())
    _audit("rota.cover_requested", "cover_request", cover.id, {"shift_id": shift.id})
    return cover_out(cover)


@api.get("/cover-requests/<int:request_id>")
@endpoint(summary="One cover request", roles=READERS, response=CoverOut, tags=TAGS)
def get_cover_request(request_id: int):
    return cover_out(operations.get_cover_request(db.session, request_id))


def _transition(request_id: int, operation, **decision):
    cover = operations.get_cover_request(db.session, request_id, for_update=True)
    operations.get_shift(db.session, cover.shift_id, for_update=True)
    operation(db.session, cover, current_actor(), at=now_utc(), **decision)
    name, detail = operations.decision_audit(cover)
    _audit(name, "cover_request", cover.id, detail)
    return cover_out(cover)


@api.post("/cover-requests/<int:request_id>/accept")
@endpoint(summary="Offer to cover another member's shift (a member of the same rota)",
          roles={"specialist"}, response=CoverOut, tags=TAGS)
def accept_cover(request_id: int):
    return _transition(request_id, operations.accept_cover)


@api.post("/cover-requests/<int:request_id>/approve")
@endpoint(summary="Approve an accepted cover request: the shift moves to the covering member",
          roles=EDITORS, response=CoverOut, tags=TAGS)
def approve_cover(request_id: int):
    return _transition(request_id, operations.approve_cover)


@api.post("/cover-requests/<int:request_id>/reject")
@endpoint(summary="Reject an open or accepted cover request, saying why if you like (told to the requester "
                  "and the volunteer)", roles=EDITORS, body=CoverRejectIn, body_optional=True, response=CoverOut,
          tags=TAGS)
def reject_cover(request_id: int, body: CoverRejectIn):
    return _transition(request_id, operations.reject_cover, reason=body.reason)


@api.post("/cover-requests/<int:request_id>/withdraw")
@endpoint(summary="Withdraw my own open or accepted cover request", roles={"specialist"},
          response=CoverOut, tags=TAGS)
def withdraw_cover(request_id: int):
    return _transition(request_id, operations.withdraw_cover)
