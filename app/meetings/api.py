"""API: search for a meeting time; invitations, answers, cancellation, agenda and preparation lists."""
from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any, Literal

from flask import request
from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.api import api
from app.api.endpoint import ApiResponse, endpoint
from app.api.paging import PageQuery, next_link
from app.api.schema import Instant, OutputInstant, RequestBody, ResponseBody
from app.audit.operations import record as audit
from app.audit.operations import record_shown
from app.boards.operations import get_visible_meeting, may_manage_meeting
from app.boards.quorum import meeting_quorum
from app.cases.models import Case
from app.cases.visibility import FULL, HIDDEN_CASE_LABEL, SUMMARY, case_access
from app.errors import InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.i18n import current_locale_code
from app.meetings import agenda, booking
from app.meetings.invitees import invitations_with_people
from app.meetings.models import Invitation, Meeting
from app.meetings.search import (SearchCriteria, SeatRequirement, reason_text, reasons_given,
                                 search_meeting_times)
from app.paging import keyset_page
from app.security import current_actor
from app.timekeeping import country_name_for_reader, now_utc, to_local
from app.vocabulary import N_


class SeatIn(RequestBody):
    discipline: str = Field(description="A discipline code, e.g. radiology")
    count: int = Field(default=1, ge=1, le=10)


class SearchIn(RequestBody):
    requirements: list[SeatIn] = Field(min_length=1, max_length=12)
    duration_minutes: int = Field(ge=15, le=480)
    window_start: Instant
    window_end: Instant
    step_minutes: int = Field(default=15, ge=5, le=60)
    limit: int = Field(default=10, ge=1, le=50)
    attendees: list[int] = Field(default=[], max_length=10,
                                 description="User ids who must attend, e.g. the referring clinician")
    licensed_in: str | None = Field(default=None, pattern="^[A-Z]{2}$",
                                    description="Only specialists with a valid licence in this country")
    language: str | None = Field(default=None, pattern="^[a-z]{2}$",
                                 description="Only specialists who speak this ISO 639-1 language")
    urgent: bool = Field(default=False, description="Only specialists who take urgent requests")
    board_id: int | None = Field(default=None, description="The board the meeting is for: its core members "
                                                           "are asked before its deputies, after whoever is on call")


class ParticipantOut(ResponseBody):
    user_id: int
    name: str
    role: str
    discipline: str | None
    timezone: str
    local_start: str
    local_end: str
    local_weekday: str
    within_working_hours: bool
    on_call: bool
    board_role: str | None = Field(description="core or deputy on the board searched for, if either")
    chosen_because: list[str] = Field(description="Why this person was asked first: on_call, core, deputy")


class SlotOut(ResponseBody):
    start: OutputInstant
    end: OutputInstant
    score: float
    assignment: dict[str, list[int]]
    participants: list[ParticipantOut]


class WindowOut(ResponseBody):
    start: OutputInstant
    end: OutputInstant


class ExplanationOut(ResponseBody):
    requirements: list[dict[str, Any]]
    attendees: list[dict[str, Any]]
    earliest_after_window: WindowOut | None
    reason_texts: dict[str, str] = Field(
        description="Each reason given above (a stable value: `excluded`, `excluded_people`, `attendees`) "
                    "in your language, to show a person")


class SearchOut(ResponseBody):
    slots: list[SlotOut]
    explanation: ExplanationOut


@api.post("/scheduling/search")
@endpoint(summary="Find meeting times with every required discipline inside everyone's working hours",
          roles={"coordinator", "admin"}, body=SearchIn, response=SearchOut, tags=("scheduling",))
def search(body: SearchIn):
    criteria = SearchCriteria(
        requirements=tuple(SeatRequirement(r.discipline, r.count) for r in body.requirements),
        duration_minutes=body.duration_minutes, window_start=body.window_start, window_end=body.window_end,
        at=now_utc(), step_minutes=body.step_minutes, limit=body.limit,
        attendee_ids=tuple(body.attendees), licensed_in=body.licensed_in, language=body.language,
        urgent=body.urgent, board_id=body.board_id,
    )
    result = search_meeting_times(db.session, criteria)
    country_name = partial(country_name_for_reader, locale_code=current_locale_code())
    return {"slots": result.slots, "explanation": {
        "requirements": result.requirements, "attendees": result.attendees,
        "earliest_after_window": result.earliest_after_window,
        "reason_texts": {reason: reason_text(reason, gettext, country_name)
                         for reason in sorted(reasons_given(result.requirements, result.attendees))},
    }}


# --- booking, invitations and agenda ----------------------------------------------------------

def coordinated_meeting(meeting_id: int) -> Meeting:
    """The meeting, if the current user may run it (an admin, or a coordinator of its board)."""
    actor = current_actor()
    meeting = get_visible_meeting(db.session, actor, meeting_id)
    if not may_manage_meeting(db.session, actor, meeting):
        raise PermissionDenied(N_("Only the board's coordinators or an admin may do this."))
    return meeting


class InvitationOut(ResponseBody):
    id: int
    meeting_id: int
    user_id: int
    name: str
    role: str
    discipline: str | None
    status: str
    local_start: str
    timezone: str
    note: str | None = Field(default=None, description="What the invitee wrote with their answer")
    responded_at: OutputInstant | None = None
    outside_hours_reason: str | None = Field(default=None, description="Set when booked outside their working "
                                             "hours on purpose: the override's reason")


def invitation_out(invitation: Invitation) -> dict:
    user = invitation.user
    return {"id": invitation.id, "meeting_id": invitation.meeting_id, "user_id": user.id, "name": user.name,
            "role": invitation.role, "discipline": invitation.discipline_code, "status": invitation.status,
            "local_start": to_local(invitation.meeting.starts_at, user.timezone).isoformat(),
            "timezone": user.timezone, "note": invitation.note, "responded_at": invitation.responded_at,
            "outside_hours_reason": invitation.outside_hours_reason}


class InviteIn(RequestBody):
    user_id: int
    role: Literal["seat", "attendee", "chair", "observer"] = "seat"
    discipline: str | None = None
    override_working_hours: bool = Field(default=False, description="Book them although the meeting is outside "
                                         "their working hours (audited; needs override_reason)")
    override_reason: str | None = Field(default=None, max_length=500,
                                        description="Why they are booked outside their working hours")


@api.post("/meetings/<int:meeting_id>/invitations")
@endpoint(summary="Invite a specialist to a meeting (422 names user_id for anyone else, or for a seat holder not "
                  "licensed where the agenda's cases come from; 409 names a clashing booking)", body=InviteIn,
          response=InvitationOut, status=201, roles={"coordinator", "admin"}, tags=("meetings",))
def invite_to_meeting(meeting_id: int, body: InviteIn):
    meeting = coordinated_meeting(meeting_id)
    # Who may be invited (an active specialist; for a seat, licensed where the agenda's cases come from)
    # is the domain's rule, the same as the invitations page's: 422 naming user_id.
    invitation = booking.invite_person(db.session, meeting, body.user_id, role=body.role,
                                       discipline_code=body.discipline, at=now_utc(),
                                       override_working_hours=body.override_working_hours,
                                       override_reason=body.override_reason, actor=current_actor())
    audit(db.session, "meeting.invited", actor=current_actor(), target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr, detail={"user_id": invitation.user_id, "role": body.role})
    return invitation_out(invitation)


@api.post("/meetings/<int:meeting_id>/fill-seats")
@endpoint(summary="Invite people for every quorum seat not yet held", response=InvitationOut, many=True,
          roles={"coordinator", "admin"}, tags=("meetings",))
def fill_meeting_seats(meeting_id: int):
    meeting = coordinated_meeting(meeting_id)
    return [invitation_out(i) for i in booking.fill_seats(db.session, meeting, at=now_utc())]


@api.get("/meetings/<int:meeting_id>/invitations")
@endpoint(summary="Everyone invited to a meeting, with each answer and its note", response=InvitationOut, many=True,
          roles={"coordinator", "admin"}, tags=("meetings",))
def meeting_invitations(meeting_id: int):
    meeting = coordinated_meeting(meeting_id)
    return [invitation_out(i) for i in invitations_with_people(db.session, [meeting])[meeting.id]]


def coordinated_invitation(invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(N_("No invitation with id %(invitation_id)s."), params={"invitation_id": invitation_id})
    coordinated_meeting(invitation.meeting_id)
    return invitation


@api.post("/invitations/<int:invitation_id>/withdraw")
@endpoint(summary="Withdraw an invitation (the invitee is told)", response=InvitationOut,
          roles={"coordinator", "admin"}, tags=("meetings",))
def withdraw(invitation_id: int):
    invitation = coordinated_invitation(invitation_id)
    booking.withdraw_invitation(db.session, invitation, at=now_utc())
    audit(db.session, "meeting.invitation_withdrawn", actor=current_actor(), target_type="meeting",
          target_id=invitation.meeting_id, source_address=request.remote_addr,
          detail={"user_id": invitation.user_id, "invitation_id": invitation.id})
    return invitation_out(invitation)


@api.post("/invitations/<int:invitation_id>/replace")
@endpoint(summary="Give a declined seat to the next eligible person (409 when nobody is left)",
          response=InvitationOut, status=201, roles={"coordinator", "admin"}, tags=("meetings",))
def replace_declined(invitation_id: int):
    invitation = coordinated_invitation(invitation_id)
    added = booking.invite_next_eligible(db.session, invitation, at=now_utc())
    audit(db.session, "meeting.invited", actor=current_actor(), target_type="meeting", target_id=added.meeting_id,
          source_address=request.remote_addr,
          detail={"user_id": added.user_id, "role": added.role, "replacing_invitation_id": invitation.id})
    return invitation_out(added)


class MeetingIn(RequestBody):
    title: str = Field(min_length=1, max_length=200)
    starts_at: Instant
    duration_minutes: int = Field(ge=15, le=720)
    board_id: int | None = Field(default=None, description="A board you run; default: none")
    host_timezone: str | None = Field(default=None, description="Default: the board's zone, else yours")


class MeetingCreatedOut(ResponseBody):
    id: int
    title: str
    board_id: int | None
    starts_at: OutputInstant
    ends_at: OutputInstant
    host_timezone: str
    status: str
    sequence: int


def meeting_created_out(meeting: Meeting) -> dict:
    return {"id": meeting.id, "title": meeting.title, "board_id": meeting.board_id, "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at, "host_timezone": meeting.host_timezone, "status": meeting.status,
            "sequence": meeting.sequence}


@api.post("/meetings")
@endpoint(summary="Create an ad-hoc meeting (you chair it; invite people next)", body=MeetingIn,
          response=MeetingCreatedOut, status=201, roles={"coordinator", "admin"}, tags=("meetings",))
def create_meeting(body: MeetingIn):
    from app.accounts.operations import checked_zone
    from app.boards.operations import get_board, require_board_manager

    actor = current_actor()
    board = None
    if body.board_id is not None:
        board = get_board(db.session, body.board_id)
        require_board_manager(actor, board)
    zone = checked_zone("host_timezone", body.host_timezone) or (board.timezone if board else actor.timezone)
    meeting = booking.create_meeting(db.session, title=body.title, starts_at=body.starts_at,
                                     ends_at=body.starts_at + timedelta(minutes=body.duration_minutes),
                                     host_timezone=zone, at=now_utc(), created_by=actor,
                                     board_id=board.id if board else None)
    audit(db.session, "meeting.created", actor=actor, target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr, detail={"board_id": meeting.board_id, "kind": "adhoc"})
    return meeting_created_out(meeting)


class RescheduleIn(RequestBody):
    starts_at: Instant
    duration_minutes: int | None = Field(default=None, ge=15, le=720, description="Default: as it was")


@api.post("/meetings/<int:meeting_id>/reschedule")
@endpoint(summary="Move a meeting; everyone booked is asked again and told in their own time (409 names a clash)",
          body=RescheduleIn, response=MeetingCreatedOut, roles={"coordinator", "admin"}, tags=("meetings",))
def reschedule(meeting_id: int, body: RescheduleIn):
    meeting = coordinated_meeting(meeting_id)
    minutes = body.duration_minutes or int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    previous = meeting.starts_at
    booking.reschedule_meeting(db.session, meeting, starts_at=body.starts_at,
                               ends_at=body.starts_at + timedelta(minutes=minutes), at=now_utc(), by=current_actor())
    audit(db.session, "meeting.rescheduled", actor=current_actor(), target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr,
          detail={"from": previous.isoformat(), "to": meeting.starts_at.isoformat(), "sequence": meeting.sequence})
    return meeting_created_out(meeting)


class QuorumOut(ResponseBody):
    state: str
    disciplines: list[dict[str, Any]]


@api.get("/meetings/<int:meeting_id>/quorum")
@endpoint(summary="Quorum of a meeting: met, at risk, or missing which discipline", response=QuorumOut,
          tags=("meetings",))
def meeting_quorum_status(meeting_id: int):
    meeting = get_visible_meeting(db.session, current_actor(), meeting_id)
    return meeting_quorum(db.session, meeting).as_dict()


class AnswerIn(RequestBody):
    answer: Literal["accepted", "tentative", "declined"]
    note: str | None = Field(default=None, max_length=500)


@api.post("/invitations/<int:invitation_id>/answer")
@endpoint(summary="Accept, decline or answer tentative (a decline invites the next person)", body=AnswerIn,
          response=InvitationOut, tags=("meetings",))
def answer_invitation(invitation_id: int, body: AnswerIn):
    actor = current_actor()
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.user_id != actor.id:
        raise NotFound(N_('You have no invitation with id %(invitation_id)s.'),
                       params={'invitation_id': invitation_id})
    booking.respond(db.session, invitation, actor, body.answer, at=now_utc(), note=body.note)
    return invitation_out(invitation)


class MyInvitationsQuery(PageQuery):
    status: Literal["pending", "accepted", "tentative", "declined", "withdrawn"] | None = None


@api.get("/me/invitations")
@endpoint(summary="My invitations to upcoming meetings, soonest first, a page at a time", query=MyInvitationsQuery,
          response=InvitationOut, many=True, tags=("meetings",))
def my_invitations(query: MyInvitationsQuery):
    statement = (select(Invitation).join(Meeting).where(Invitation.user_id == current_actor().id,
                                                        Meeting.ends_at > now_utc())
                 .options(contains_eager(Invitation.meeting)))
    if query.status:
        statement = statement.where(Invitation.status == query.status)
    page = keyset_page(db.session, statement, columns=[Meeting.starts_at, Invitation.id], limit=query.limit,
                       cursor=query.cursor, values_of=lambda invitation: (invitation.meeting.starts_at, invitation.id))
    return ApiResponse([invitation_out(i) for i in page.rows], headers=next_link(page))


class CancelIn(RequestBody):
    reason: str = Field(min_length=3, max_length=500)


@api.post("/meetings/<int:meeting_id>/cancel")
@endpoint(summary="Cancel a meeting (calendars keep it as cancelled)", body=CancelIn, status=204,
          roles={"coordinator", "admin"}, tags=("meetings",))
def cancel(meeting_id: int, body: CancelIn):
    meeting = coordinated_meeting(meeting_id)
    booking.cancel_meeting(db.session, meeting, at=now_utc(), reason=body.reason)
    audit(db.session, "meeting.cancelled", actor=current_actor(), target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr, detail={"reason": body.reason})
    return ApiResponse(None)


class AgendaItemOut(ResponseBody):
    case_id: int | None = Field(description="None for a case you may not see")
    position: int
    status: str
    urgency: str | None
    disciplines: list[str]
    rolled_from_meeting_id: int | None
    hidden: bool = Field(default=False, description="A case you cannot see: no id, urgency or disciplines")
    label: str | None = None


def agenda_out(meeting: Meeting) -> list[dict]:
    rows = []
    for item in sorted(agenda.items_on(meeting), key=lambda item: item.position):
        case = db.session.get(Case, item.case_id)
        if case_access(db.session, current_actor(), case) is None:
            rows.append({"case_id": None, "position": item.position, "status": item.status, "urgency": None,
                         "disciplines": [], "rolled_from_meeting_id": None, "hidden": True,
                         "label": HIDDEN_CASE_LABEL})
            continue
        rows.append({"case_id": case.id, "position": item.position, "status": item.status,
                     "urgency": case.urgency, "disciplines": [d.code for d in case.disciplines],
                     "rolled_from_meeting_id": item.rolled_from_meeting_id, "hidden": False})
    audit(db.session, "meeting.agenda_viewed", actor=current_actor(), target_type="meeting",
          target_id=meeting.id, source_address=request.remote_addr, detail={"case_ids": [r["case_id"] for r in rows if not r["hidden"]]})
    return rows


@api.get("/meetings/<int:meeting_id>/agenda")
@endpoint(summary="A meeting's agenda in order", response=AgendaItemOut, many=True, tags=("meetings",))
def get_agenda(meeting_id: int):
    return agenda_out(get_visible_meeting(db.session, current_actor(), meeting_id))


class AgendaAddIn(RequestBody):
    case_id: int
    at_top: bool = False


def _case(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        raise InvalidInput("case_id", N_('no case has id %(case_id)s'),
                                      params={'case_id': case_id})
    return case


@api.post("/meetings/<int:meeting_id>/agenda")
@endpoint(summary="Add a triaged case to the agenda (after the cut-off only coordinators)", body=AgendaAddIn,
          response=AgendaItemOut, many=True, status=201, roles={"coordinator", "admin"}, tags=("meetings",))
def add_to_agenda(meeting_id: int, body: AgendaAddIn):
    meeting = coordinated_meeting(meeting_id)
    agenda.add_case(db.session, meeting, _case(body.case_id), current_actor(), at=now_utc(),
                    as_coordinator=True, at_top=body.at_top)
    return agenda_out(meeting)


class AgendaOrderIn(RequestBody):
    case_ids: list[int]


@api.put("/meetings/<int:meeting_id>/agenda/order")
@endpoint(summary="Reorder the agenda", body=AgendaOrderIn, response=AgendaItemOut, many=True,
          roles={"coordinator", "admin"}, tags=("meetings",))
def reorder_agenda(meeting_id: int, body: AgendaOrderIn):
    meeting = coordinated_meeting(meeting_id)
    agenda.reorder(meeting, body.case_ids)
    return agenda_out(meeting)


class AgendaRemoveIn(RequestBody):
    reason: str = Field(min_length=agenda.REMOVAL_REASON_MIN, max_length=agenda.REMOVAL_REASON_MAX)
    removal_reason: Literal[agenda.REMOVAL_REASONS] = Field(
        default="other", description="Why, as a code: `missing_data` (deferred for missing data; the reports "
                                     "count these apart) or `other`")


@api.post("/meetings/<int:meeting_id>/agenda/<int:case_id>/remove")
@endpoint(summary="Take a case off the agenda (it goes back to triaged)", body=AgendaRemoveIn,
          response=AgendaItemOut, many=True, roles={"coordinator", "admin"}, tags=("meetings",))
def remove_from_agenda(meeting_id: int, case_id: int, body: AgendaRemoveIn):
    meeting = coordinated_meeting(meeting_id)
    # a case the viewer may not see is not theirs to take off, nor to learn is there
    item = agenda.visible_item(db.session, meeting, current_actor(), case_id)
    if item is None:
        raise NotFound(N_("Case #%(case_id)s is not on meeting #%(meeting_id)s's agenda."),
                       params={'case_id': case_id, 'meeting_id': meeting_id})
    agenda.remove_case(db.session, item, current_actor(), at=now_utc(), reason=body.reason,
                       removal_reason=body.removal_reason)
    return agenda_out(meeting)


class PreparationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    discipline: Literal["radiology", "pathology"]


class PreparationOut(ResponseBody):
    case_id: int
    urgency: str
    access: str
    icd10_code: str | None = None
    diagnosis: str | None = None
    question: str | None = None


@api.get("/meetings/<int:meeting_id>/preparation")
@endpoint(summary="Cases radiology or pathology should prepare for this meeting", query=PreparationQuery,
          response=PreparationOut, many=True, tags=("meetings",))
def preparation(meeting_id: int, query: PreparationQuery):
    actor = current_actor()
    meeting = get_visible_meeting(db.session, actor, meeting_id)
    rows = []
    for case in agenda.preparation_list(db.session, meeting, query.discipline):
        access = case_access(db.session, actor, case)
        if access is None:
            continue
        row = {"case_id": case.id, "urgency": case.urgency, "access": access, "icd10_code": case.icd10_code}
        if access == "full":
            row.update(diagnosis=case.diagnosis, question=case.question)
        rows.append(row)
    record_shown(db.session, "cases.viewed", actor=actor, target_type="case",
                 shown={level: [row["case_id"] for row in rows if row["access"] == level] for level in (FULL, SUMMARY)},
                 source_address=request.remote_addr, detail={"via": "preparation list"})
    return rows
