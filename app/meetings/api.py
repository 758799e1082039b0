"""API: search for a meeting time; invitations, answers, cancellation, agenda and preparation lists."""
from __future__ import annotations

from typing import Any, Literal

from flask import request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.accounts.models import User
from app.api import api
from app.api.endpoint import ApiResponse, endpoint
from app.api.schema import Instant, OutputInstant, RequestBody, ResponseBody
from app.audit.operations import record as audit
from app.audit.operations import record_shown
from app.boards.operations import get_visible_meeting, may_manage_meeting
from app.boards.quorum import meeting_quorum
from app.cases.models import Case
from app.cases.visibility import FULL, HIDDEN_CASE_LABEL, SUMMARY, case_access
from app.errors import InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.meetings import agenda, booking
from app.meetings.models import Invitation, Meeting
from app.meetings.search import SearchCriteria, SeatRequirement, search_meeting_times
from app.security import current_actor
from app.timekeeping import now_utc, to_local
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
        urgent=body.urgent,
    )
    result = search_meeting_times(db.session, criteria)
    return {"slots": result.slots, "explanation": {
        "requirements": result.requirements, "attendees": result.attendees,
        "earliest_after_window": result.earliest_after_window,
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


def invitation_out(invitation: Invitation) -> dict:
    user = invitation.user
    return {"id": invitation.id, "meeting_id": invitation.meeting_id, "user_id": user.id, "name": user.name,
            "role": invitation.role, "discipline": invitation.discipline_code, "status": invitation.status,
            "local_start": to_local(invitation.meeting.starts_at, user.timezone).isoformat(),
            "timezone": user.timezone}


class InviteIn(RequestBody):
    user_id: int
    role: Literal["seat", "attendee", "chair", "observer"] = "seat"
    discipline: str | None = None


@api.post("/meetings/<int:meeting_id>/invitations")
@endpoint(summary="Invite someone to a meeting (409 names a clashing booking)", body=InviteIn,
          response=InvitationOut, status=201, roles={"coordinator", "admin"}, tags=("meetings",))
def invite_to_meeting(meeting_id: int, body: InviteIn):
    meeting = coordinated_meeting(meeting_id)
    user = db.session.get(User, body.user_id)
    if user is None or not user.is_active:
        raise InvalidInput("user_id", N_('no active user has id %(user_id)s'),
                                      params={'user_id': body.user_id})
    invitation = booking.invite(db.session, meeting, user, role=body.role, discipline_code=body.discipline,
                                at=now_utc())
    audit(db.session, "meeting.invited", actor=current_actor(), target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr, detail={"user_id": user.id, "role": body.role})
    return invitation_out(invitation)


@api.post("/meetings/<int:meeting_id>/fill-seats")
@endpoint(summary="Invite people for every quorum seat not yet held", response=InvitationOut, many=True,
          roles={"coordinator", "admin"}, tags=("meetings",))
def fill_meeting_seats(meeting_id: int):
    meeting = coordinated_meeting(meeting_id)
    return [invitation_out(i) for i in booking.fill_seats(db.session, meeting, at=now_utc())]


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


class MyInvitationsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["pending", "accepted", "tentative", "declined", "withdrawn"] | None = None


@api.get("/me/invitations")
@endpoint(summary="My invitations to upcoming meetings, soonest first", query=MyInvitationsQuery,
          response=InvitationOut, many=True, tags=("meetings",))
def my_invitations(query: MyInvitationsQuery):
    statement = (select(Invitation).join(Meeting).where(Invitation.user_id == current_actor().id,
                                                        Meeting.ends_at > now_utc())
                 .order_by(Meeting.starts_at))
    if query.status:
        statement = statement.where(Invitation.status == query.status)
    return [invitation_out(i) for i in db.session.scalars(statement)]


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


@api.post("/meetings/<int:meeting_id>/agenda/<int:case_id>/remove")
@endpoint(summary="Take a case off the agenda (it goes back to triaged)", body=AgendaRemoveIn,
          response=AgendaItemOut, many=True, roles={"coordinator", "admin"}, tags=("meetings",))
def remove_from_agenda(meeting_id: int, case_id: int, body: AgendaRemoveIn):
    meeting = coordinated_meeting(meeting_id)
    item = next((i for i in agenda.items_on(meeting) if i.case_id == case_id), None)
    if item is None:
        raise NotFound(N_("Case #%(case_id)s is not on meeting #%(meeting_id)s's agenda."),
                       params={'case_id': case_id, 'meeting_id': meeting_id})
    agenda.remove_case(db.session, item, current_actor(), at=now_utc(), reason=body.reason)
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
