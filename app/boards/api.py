"""API for app.boards (routes on the shared /api/v1 blueprint): boards, their members, their
meetings with each invitee's local time, and quorum status."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal

from flask import request
from pydantic import Field

from app.api import api
from app.api.endpoint import ApiResponse, endpoint
from app.api.paging import PageQuery, next_link
from app.api.schema import Instant, OutputInstant, RequestBody, ResponseBody
from app.audit.operations import record as audit
from app.boards import operations
from app.boards.models import Board
from app.boards.presentation import meeting_out, meetings_out
from app.boards.recurrence import WEEKDAY_NAMES, describe
from app.errors import InvalidInput
from app.extensions import db
from app.paging import keyset_page
from app.security import current_actor
from app.timekeeping import now_utc, utc_offset_label
from app.vocabulary import N_

TAGS = ("boards",)
EDITORS = set(operations.EDITOR_ROLES)
MAX_MEETING_WINDOW = timedelta(days=366)
MemberRole = Literal["core", "deputy", "coordinator", "observer"]
ReplaceDeclines = Literal["automatic", "manual"]
REPLACE_DECLINES_HELP = ("automatic: a declined seat goes to the next eligible person at once; "
                         "manual: the coordinators are told and replace it themselves")

# --- bodies and answers -------------------------------------------------------------------------


class QuorumItemIn(RequestBody):
    discipline: str = Field(description="A discipline code from GET /disciplines")
    count: int = Field(default=1, description="Accepted seats needed, 1-10")


class BoardMemberIn(RequestBody):
    user_id: int
    role: MemberRole
    discipline: str | None = Field(default=None, description="Core members and deputies only")


class BoardIn(RequestBody):
    name: str
    host_organization_id: int | None = Field(default=None, description="Default: your organisation")
    timezone: str | None = Field(default=None, description="IANA zone of the host's wall clock; "
                                                           "default: the host organisation's")
    weekday: int = Field(description="0 = Monday … 6 = Sunday, in the host's zone")
    start_time: time = Field(description="Host wall-clock time, e.g. 14:00")
    duration_minutes: int = 120
    interval_weeks: int = Field(default=1, description="1 weekly, 2 fortnightly")
    anchor_date: date | None = Field(default=None, description="A local date the board meets on; fixes "
                                                               "fortnight parity. Default: the next one")
    cases_per_meeting: int = 12
    minutes_per_case: int = 10
    agenda_cutoff_hours: int = Field(default=24, description="Agenda closes this many hours before the start")
    replace_declines: ReplaceDeclines = Field(default="automatic", description=REPLACE_DECLINES_HELP)
    quorum: list[QuorumItemIn]
    members: list[BoardMemberIn] = []
    conference_url: str | None = Field(default=None, description="The board's standing call (https link: "
                                                                 "Teams, Zoom, Webex); see docs/conferencing.md")


class BoardPatch(RequestBody):
    name: str | None = None
    timezone: str | None = Field(default=None, description="null: back to the host organisation's zone")
    weekday: int | None = None
    start_time: time | None = None
    duration_minutes: int | None = None
    interval_weeks: int | None = None
    anchor_date: date | None = None
    cases_per_meeting: int | None = None
    minutes_per_case: int | None = None
    agenda_cutoff_hours: int | None = None
    replace_declines: ReplaceDeclines | None = Field(default=None, description=REPLACE_DECLINES_HELP)
    is_active: bool | None = None
    quorum: list[QuorumItemIn] | None = None
    conference_url: str | None = Field(default=None, description="https link of the board's call; null removes it")


class BoardMembersIn(RequestBody):
    members: list[BoardMemberIn]


class QuorumItemOut(ResponseBody):
    discipline: str
    count: int


class BoardMemberOut(ResponseBody):
    user_id: int
    name: str
    role: MemberRole
    discipline: str | None
    timezone: str


class NextMeetingOut(ResponseBody):
    local_date: date
    starts_at: OutputInstant
    ends_at: OutputInstant


class BoardOut(ResponseBody):
    id: int
    name: str
    host_organization_id: int
    host_organization_name: str
    timezone: str
    utc_offset: str = Field(description="The host zone's offset now, e.g. +08:00")
    weekday: int
    weekday_name: str
    start_time: str = Field(description="Host wall clock, HH:MM")
    duration_minutes: int
    interval_weeks: int
    anchor_date: date
    schedule: str
    cases_per_meeting: int
    minutes_per_case: int
    agenda_cutoff_hours: int
    replace_declines: ReplaceDeclines
    is_active: bool
    quorum: list[QuorumItemOut]
    members: list[BoardMemberOut]
    next_meeting: NextMeetingOut | None
    conference_url: str | None = Field(description="The board's call; shown to coordinators and admins only "
                                                   "(others join from the meeting: GET /meetings/{id}/call)")


class BoardQuery(PageQuery):
    active: bool | None = None


class MeetingsQuery(PageQuery):
    start: Instant | None = Field(default=None, alias="from", description="Default: now")
    end: Instant | None = Field(default=None, alias="to", description="Default: 6 weeks after from")


class LocalTimeOut(ResponseBody):
    timezone: str
    local_start: str
    local_end: str
    local_weekday: str
    utc_offset: str


class MeetingInviteeOut(ResponseBody):
    user_id: int
    name: str
    role: str
    discipline: str | None
    status: str
    timezone: str
    local_start: str
    local_end: str
    local_weekday: str
    utc_offset: str
    within_working_hours: bool | None = Field(description="null when the invitee has no specialist profile")
    outside_hours_reason: str | None = Field(default=None, description="Why they were booked outside their "
                                             "working hours on purpose (an audited override), if they were")


class QuorumDisciplineOut(ResponseBody):
    discipline: str
    required: int
    accepted: int
    pending: int
    tentative: int
    declined: int
    short_by: int
    state: Literal["met", "at_risk", "missing"]


class QuorumOut(ResponseBody):
    state: Literal["met", "at_risk", "missing"]
    missing: list[str]
    at_risk: list[str]
    disciplines: list[QuorumDisciplineOut]


class MeetingOut(ResponseBody):
    id: int
    board_id: int | None
    title: str
    kind: str
    status: str
    sequence: int
    occurrence_date: date | None
    starts_at: OutputInstant
    ends_at: OutputInstant
    agenda_cutoff_at: OutputInstant | None
    host: LocalTimeOut
    invitees: list[MeetingInviteeOut]
    quorum: QuorumOut


# --- shaping answers ------------------------------------------------------------------------------


def board_out(board: Board, at: datetime) -> dict:
    upcoming = operations.next_meeting_time(board, at)
    return {
        "id": board.id, "name": board.name, "host_organization_id": board.host_organization_id,
        "host_organization_name": board.host_organization.name, "timezone": board.timezone,
        "utc_offset": utc_offset_label(at, board.timezone), "weekday": board.weekday,
        "weekday_name": WEEKDAY_NAMES[board.weekday], "start_time": board.start_time.strftime("%H:%M"),
        "duration_minutes": board.duration_minutes, "interval_weeks": board.interval_weeks,
        "anchor_date": board.anchor_date,
        "schedule": describe(board.weekday, board.start_time, board.timezone, board.interval_weeks,
                             board.duration_minutes),
        "cases_per_meeting": board.cases_per_meeting, "minutes_per_case": board.minutes_per_case,
        "agenda_cutoff_hours": board.agenda_cutoff_hours, "replace_declines": board.replace_declines,
        "is_active": board.is_active,
        "quorum": [{"discipline": row.discipline_code, "count": row.count} 
                   for row in sorted(board.quorum, key=lambda row: row.discipline_code)],
        "members": [{"user_id": member.user_id, "name": member.user.name, "role": member.role,
                     "discipline": member.discipline_code, "timezone": member.user.timezone}
                    for member in board.members],
        "next_meeting": None if upcoming is None else upcoming._asdict(),
        "conference_url": board.conference_url if current_actor().has_role(*EDITORS) else None,
    }


def _audit(action: str, target_type: str, target_id, detail: dict | None = None) -> None:
    audit(db.session, action, actor=current_actor(), target_type=target_type, target_id=target_id,
          source_address=request.remote_addr, detail=detail)


def _dumped_quorum(items):
    return None if items is None else [item.model_dump() for item in items]


# --- boards ---------------------------------------------------------------------------------------


@api.get("/boards")
@endpoint(summary="MDT boards by name, a page at a time", query=BoardQuery, response=BoardOut, many=True,
          tags=TAGS)
def list_boards(query: BoardQuery):
    at = now_utc()
    page = operations.boards_page(db.session, active=query.active, limit=query.limit, cursor=query.cursor)
    return ApiResponse([board_out(board, at) for board in page.rows], headers=next_link(page))


@api.post("/boards")
@endpoint(summary="Create an MDT board with its recurrence, quorum and members", roles=EDITORS,
          body=BoardIn, response=BoardOut, status=201, tags=TAGS)
def create_board(body: BoardIn):
    at, actor = now_utc(), current_actor()
    values = body.model_dump(exclude={"quorum", "members"})
    board = operations.create_board(
        db.session, at=at, creator=actor, quorum=_dumped_quorum(body.quorum),
        members=[member.model_dump() for member in body.members], **values)
    result = operations.sync_board_meetings(db.session, board, at)
    _audit("board.created", "board", board.id, {"name": board.name, "meetings_created": result.created})
    return board_out(board, at)


@api.get("/boards/<int:board_id>")
@endpoint(summary="One MDT board", response=BoardOut, tags=TAGS)
def get_board(board_id: int):
    return board_out(operations.get_board(db.session, board_id), now_utc())


@api.patch("/boards/<int:board_id>")
@endpoint(summary="Change a board's settings, recurrence or quorum; future meetings follow", roles=EDITORS,
          body=BoardPatch, response=BoardOut, tags=TAGS)
def update_board(board_id: int, body: BoardPatch):
    at = now_utc()
    board = operations.get_board(db.session, board_id)
    operations.require_board_manager(current_actor(), board)
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    for name in changes:
        if changes[name] is None and name not in ("timezone", "quorum", "anchor_date", "conference_url"):
            raise InvalidInput(name, N_("may not be null"))
    if "quorum" in changes:
        if changes["quorum"] is None:
            raise InvalidInput("quorum", N_("may not be null"))
        changes["quorum"] = _dumped_quorum(body.quorum)
    diff = operations.update_board(db.session, board, changes)
    result = operations.sync_board_meetings(db.session, board, at)
    _audit("board.updated", "board", board.id, {
        "changes": diff, "meetings": {"created": result.created, "rescheduled": result.rescheduled,
                                      "cancelled": result.cancelled, "reinstated": result.reinstated}})
    return board_out(board, at)


@api.put("/boards/<int:board_id>/members")
@endpoint(summary="Replace a board's members (its coordinators or an admin)", body=BoardMembersIn,
          response=BoardOut, tags=TAGS)
def replace_members(board_id: int, body: BoardMembersIn):
    board = operations.get_board(db.session, board_id)
    operations.require_member_manager(current_actor(), board)
    diff = operations.replace_members(db.session, board, [member.model_dump() for member in body.members])
    _audit("board.members_replaced", "board", board.id, diff)
    return board_out(board, now_utc())


# --- meetings -------------------------------------------------------------------------------------


@api.get("/boards/<int:board_id>/meetings")
@endpoint(summary="A board's meetings in a window, soonest first, a page at a time, with each invitee's local "
                  "time and the quorum", query=MeetingsQuery, response=MeetingOut, many=True, tags=TAGS)
def board_meetings(board_id: int, query: MeetingsQuery):
    start = query.start or now_utc()
    end = query.end or start + timedelta(weeks=operations.MEETINGS_AHEAD_WEEKS)
    if end <= start:
        raise InvalidInput("to", N_("must be after from"))
    if end - start > MAX_MEETING_WINDOW:
        raise InvalidInput("to", N_('the window may be at most %(days)s days long'),
                                 params={'days': MAX_MEETING_WINDOW.days})
    board = operations.get_board(db.session, board_id)
    page = keyset_page(db.session, operations.board_meetings_query(db.session, current_actor(), board, start, end),
                       columns=list(operations.BOARD_MEETINGS_ORDER), limit=query.limit, cursor=query.cursor)
    return ApiResponse(meetings_out(db.session, page.rows),
                       headers=next_link(page))


@api.get("/meetings/<int:meeting_id>")
@endpoint(summary="A meeting: UTC and host times, each invitee's local time and working hours, quorum",
          response=MeetingOut, tags=("meetings",))
def get_meeting(meeting_id: int):
    meeting = operations.get_visible_meeting(db.session, current_actor(), meeting_id)
    return meeting_out(db.session, meeting)
