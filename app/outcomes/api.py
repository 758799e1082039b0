"""API: meeting attendance, the attendance report, and MDT outcomes (draft, sign, amend, read).

An outcome is clinical content: only a viewer with full access to its case reads it; a summary
viewer learns only that an outcome exists and whether it is signed; anyone else is told the case
does not exist. Every read and every change of an outcome is audited.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from flask import current_app, request
from pydantic import BaseModel, ConfigDict, Field, RootModel

from app.accounts.models import User
from app.api import api
from app.api.endpoint import ApiResponse, endpoint
from app.api.schema import Instant, OutputInstant, RequestBody, ResponseBody
from app.audit.operations import record as audit
from app.boards import operations as boards
from app.cases import visibility
from app.cases.api import visible_case
from app.cases.attachments import attachment_store
from app.cases.models import Case
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.meetings import attendance
from app.meetings.models import Meeting
from app.outcomes import operations
from app.outcomes.models import FOLLOW_UP_STATUSES, OUTCOME_CATEGORIES, Outcome
from app.outcomes.presentation import versions_out
from app.security import current_actor
from app.timekeeping import now_utc
from app.vocabulary import N_

TAGS = ("outcomes",)
REPORT_DEFAULT = timedelta(days=90)
REPORT_MAX = timedelta(days=731)
Category = Literal[OUTCOME_CATEGORIES]


# --- bodies -------------------------------------------------------------------------------------


class AttendanceMarkIn(RequestBody):
    user_id: int
    present: bool = Field(description="true: present (from now); false: absent (from now)")


class AttendanceReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    board_id: int | None = None
    user_id: int | None = None
    since: Instant | None = Field(default=None, description="Default: 90 days before until")
    until: Instant | None = Field(default=None, description="Default: now")


class OutcomeActionIn(RequestBody):
    action: str = Field(min_length=1, max_length=operations.ACTION_LIMIT)
    owner_id: int = Field(description="The user who will do it; they must be able to read the case")
    due: str = Field(description="Local date YYYY-MM-DD, not before the meeting")


TnmCategory = Annotated[str | None, Field(default=None, max_length=16,
                                          description="A TNM category, the c/p prefix optional (T2a, cN1, M0)")]


class OutcomeStagingIn(RequestBody):
    tnm_edition: int | None = Field(default=None, description="The UICC/AJCC TNM edition the staging follows "
                                                               "(7, 8 or 9); needed with any staging")
    clinical_t: TnmCategory = None
    clinical_n: TnmCategory = None
    clinical_m: TnmCategory = None
    pathological_t: TnmCategory = None
    pathological_n: TnmCategory = None
    stage_group: str | None = Field(default=None, max_length=16, description="0, I, IA, IIB, IIIC, IVA, ...")


class OutcomeDraftIn(OutcomeStagingIn):
    # An empty recommendation is refused by the domain with a sentence a person can act on.
    recommendation: str = Field(max_length=operations.TEXT_LIMIT)
    category: Category
    rationale: str | None = Field(default=None, max_length=operations.TEXT_LIMIT)
    dissent: str | None = Field(default=None, max_length=operations.TEXT_LIMIT,
                                description="Any dissenting view, recorded with the recommendation")
    actions: list[OutcomeActionIn] = Field(default=[], max_length=operations.MAX_ACTIONS)


class OutcomeAmendIn(OutcomeStagingIn):
    """Only the fields sent change; the rest are copied from the version being amended."""

    recommendation: str | None = Field(default=None, max_length=operations.TEXT_LIMIT)
    category: Category | None = None
    rationale: str | None = Field(default=None, max_length=operations.TEXT_LIMIT)
    dissent: str | None = Field(default=None, max_length=operations.TEXT_LIMIT)
    actions: list[OutcomeActionIn] | None = Field(default=None, max_length=operations.MAX_ACTIONS)
    reason: str = Field(min_length=operations.AMENDMENT_REASON_MINIMUM, max_length=operations.AMENDMENT_REASON_LIMIT,
                        description="Why the outcome is amended; kept on the new version and printed in its letter")


class FollowUpIn(RequestBody):
    status: Literal[FOLLOW_UP_STATUSES]
    occurred_on: str = Field(description="The local date it was carried out, changed or decided against, YYYY-MM-DD")
    reason: str | None = Field(default=None, max_length=operations.FOLLOW_UP_REASON_LIMIT,
                               description="Needed when the recommendation was changed or not carried out")


# --- answers ------------------------------------------------------------------------------------


class AttendanceStretchOut(ResponseBody):
    joined_at: OutputInstant
    left_at: OutputInstant | None
    source: str


class AttendeeOut(ResponseBody):
    user_id: int
    name: str
    role: str | None
    discipline: str | None
    invitation_status: str | None
    present_now: bool
    attended: bool
    minutes_present: int
    stretches: list[AttendanceStretchOut]


class MeetingAttendanceOut(ResponseBody):
    meeting_id: int
    status: str
    started_at: OutputInstant | None
    finished_at: OutputInstant | None
    quorum_at_start: dict[str, list[int]] | None
    people: list[AttendeeOut]


class AttendanceReportRow(ResponseBody):
    user_id: int
    name: str
    disciplines: list[str]
    invited: int = Field(description="Meetings they held a seat invitation to")
    accepted: int
    attended: int
    attendance_rate: float | None = Field(description="attended / invited")
    minutes_present: int


class AttendanceReportOut(ResponseBody):
    since: OutputInstant
    until: OutputInstant
    board_id: int | None
    specialists: list[AttendanceReportRow]


class OutcomeActionOut(ResponseBody):
    action: str
    owner_id: int
    owner_name: str
    due: str


class OutcomeSignatureOut(ResponseBody):
    user_id: int
    name: str
    discipline: str
    signed_at: OutputInstant


class OutcomeVersionOut(ResponseBody):
    id: int
    case_id: int
    meeting_id: int | None
    version: int
    status: Literal["draft", "signed", "superseded"]
    supersedes_id: int | None
    superseded_by_id: int | None
    amendment_reason: str | None = Field(description="Why this version replaced the one it supersedes")
    recommendation: str
    category: str
    rationale: str | None
    dissent: str | None
    actions: list[OutcomeActionOut]
    tnm_edition: int | None
    clinical_t: str | None
    clinical_n: str | None
    clinical_m: str | None
    pathological_t: str | None
    pathological_n: str | None
    stage_group: str | None
    drafted_by_id: int
    created_at: OutputInstant
    signed_at: OutputInstant | None
    signatures: list[OutcomeSignatureOut]
    required_disciplines: list[str]
    missing_disciplines: list[str] = Field(description="Required disciplines with no signature yet")


class CaseOutcomeSummaryOut(ResponseBody):
    """What a summary-level viewer learns: whether there is an outcome, and whether it is signed."""

    access: Literal["summary"]
    case_id: int
    exists: bool
    signed: bool


class CaseOutcomeFullOut(ResponseBody):
    access: Literal["full"]
    case_id: int
    case_state: str
    exists: bool
    signed: bool
    current: OutcomeVersionOut | None = Field(description="The signed version in force")
    draft: OutcomeVersionOut | None = Field(description="A version waiting for signatures")
    versions: list[OutcomeVersionOut] = Field(description="Every version, oldest first")


class CaseOutcome(RootModel[Annotated[CaseOutcomeFullOut | CaseOutcomeSummaryOut,
                                      Field(discriminator="access")]]):
    """A case's outcome at the viewer's access level: `access` says which shape this is."""


# --- helpers ------------------------------------------------------------------------------------


def _audit(action: str, *, target_type: str, target_id, detail: dict | None = None) -> None:
    audit(db.session, action, actor=current_actor(), target_type=target_type, target_id=target_id,
          source_address=request.remote_addr, detail=detail)


def _meeting(meeting_id: int) -> Meeting:
    return boards.get_visible_meeting(db.session, current_actor(), meeting_id)


def _user(user_id: int, field: str = "user_id") -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise InvalidInput(field, N_('no user has id %(user_id)s'),
                                  params={'user_id': user_id})
    return user


def _attendance_out(meeting: Meeting) -> dict:
    return {"meeting_id": meeting.id, "status": meeting.status, "started_at": meeting.started_at,
            "finished_at": meeting.finished_at, "quorum_at_start": meeting.quorum_at_start,
            "people": attendance.meeting_attendance(db.session, meeting, at=now_utc())}


def _one_version(outcome: Outcome) -> dict:
    case = db.session.get(Case, outcome.case_id)
    versions = operations.versions_of(db.session, case)
    return versions_out(db.session, case, versions, [outcome])[outcome.id]


def visible_outcome(outcome_id: int) -> Outcome:
    return operations.visible_outcome(db.session, current_actor(), outcome_id)


# --- attendance ---------------------------------------------------------------------------------


@api.post("/meetings/<int:meeting_id>/attendance")
@endpoint(summary="Mark someone present or absent at a meeting (its board's coordinators or its chair)",
          body=AttendanceMarkIn, response=MeetingAttendanceOut, tags=("meetings",))
def mark_attendance(meeting_id: int, body: AttendanceMarkIn):
    meeting = _meeting(meeting_id)
    person = _user(body.user_id)
    signed = {row for row in db.session.scalars(
        operations.signers_at_meeting_query(meeting.id)).all()}
    marked = attendance.set_presence(db.session, meeting, person, body.present, by=current_actor(),
                                     at=now_utc(), signed_user_ids=signed)
    if marked.changed:
        _audit("attendance.marked", target_type="meeting", target_id=meeting.id,
               detail={"user_id": person.id, "present": body.present})
    return _attendance_out(meeting)


@api.get("/meetings/<int:meeting_id>/attendance")
@endpoint(summary="Who attended a meeting: each person's stretches, minutes present and the quorum at start",
          response=MeetingAttendanceOut, tags=("meetings",))
def get_attendance(meeting_id: int):
    return _attendance_out(_meeting(meeting_id))


@api.get("/reports/attendance")
@endpoint(summary="Attendance per specialist: seat invitations, accepted, attended, rate, minutes present",
          roles={"coordinator", "admin"}, query=AttendanceReportQuery, response=AttendanceReportOut,
          tags=("reports",))
def attendance_report(query: AttendanceReportQuery):
    until = query.until or now_utc()
    since = query.since or until - REPORT_DEFAULT
    if until <= since:
        raise InvalidInput("until", N_("must be after since"))
    if until - since > REPORT_MAX:
        raise InvalidInput("since", N_('the window may be at most %(days)s days long'),
                                    params={'days': REPORT_MAX.days})
    if query.board_id is not None:
        boards.get_board(db.session, query.board_id)
    rows = attendance.attendance_report(db.session, board_id=query.board_id, user_id=query.user_id,
                                        since=since, until=until)
    return {"since": since, "until": until, "board_id": query.board_id, "specialists": rows}


# --- outcomes -----------------------------------------------------------------------------------


@api.get("/cases/<int:case_id>/outcome")
@endpoint(summary="A case's outcome at your access level: the signed version, any draft, every version",
          response=CaseOutcome, tags=TAGS)
def get_outcome(case_id: int):
    case, level = visible_case(case_id)
    versions = operations.versions_of(db.session, case)
    current = operations.current_signed(versions)
    exists, signed = bool(versions), current is not None
    _audit("outcome.viewed", target_type="case", target_id=case.id,
           detail={"access": level, "versions": [outcome.id for outcome in versions]
                   if level == visibility.FULL else []})
    if level != visibility.FULL:
        return {"access": visibility.SUMMARY, "case_id": case.id, "exists": exists, "signed": signed}
    draft = operations.unsigned_draft(versions)
    shown = versions_out(db.session, case, versions)
    return {
        "access": visibility.FULL, "case_id": case.id, "case_state": case.state, "exists": exists,
        "signed": signed,
        "current": shown[current.id] if current else None,
        "draft": shown[draft.id] if draft else None,
        "versions": [shown[outcome.id] for outcome in versions],
    }


@api.put("/cases/<int:case_id>/outcome")
@endpoint(summary="Draft a discussed case's outcome, or change its unsigned draft (the chair, a board "
                  "coordinator or a seated specialist); 409 once signed (amend it instead)",
          body=OutcomeDraftIn, response=OutcomeVersionOut, tags=TAGS)
def put_outcome(case_id: int, body: OutcomeDraftIn):
    case, _ = visible_case(case_id)
    values = body.model_dump()
    outcome, created = operations.save_draft(db.session, case, current_actor(), values, at=now_utc())
    _audit("outcome.drafted" if created else "outcome.draft_updated", target_type="outcome",
           target_id=outcome.id, detail={"case_id": case.id, "version": outcome.version,
                                         "category": outcome.category})
    return ApiResponse(_one_version(outcome), status=201 if created else 200)


@api.post("/outcomes/<int:outcome_id>/sign")
@endpoint(summary="Sign an outcome (specialists present at the meeting with a seat for a required "
                  "discipline); complete once every required discipline has signed",
          response=OutcomeVersionOut, tags=TAGS)
def sign_outcome(outcome_id: int):
    outcome = visible_outcome(outcome_id)
    result = operations.sign(db.session, outcome, current_actor(), at=now_utc(),
                             source_address=request.remote_addr, letter_store=attachment_store(current_app))
    return _one_version(result.outcome)


@api.post("/outcomes/<int:outcome_id>/amend")
@endpoint(summary="Amend a signed outcome: a new version with the fields sent changed, to be signed again",
          body=OutcomeAmendIn, response=OutcomeVersionOut, status=201, tags=TAGS)
def amend_outcome(outcome_id: int, body: OutcomeAmendIn):
    outcome = visible_outcome(outcome_id)
    changes = body.model_dump(include=body.model_fields_set - {"reason"})
    new = operations.amend(db.session, outcome, current_actor(), changes, reason=body.reason, at=now_utc())
    _audit("outcome.amended", target_type="outcome", target_id=new.id,
           detail={**operations.amendment_audit_detail(outcome, new), "via": "api"})
    return _one_version(new)


class FollowUpOut(ResponseBody):
    outcome_id: int
    case_id: int
    status: str
    occurred_on: str
    reason: str | None
    recorded_by_id: int
    recorded_at: OutputInstant


def follow_up_out(record) -> dict:
    return {"outcome_id": record.outcome_id, "case_id": record.case_id, "status": record.status,
            "occurred_on": record.occurred_on.isoformat(), "reason": record.reason,
            "recorded_by_id": record.recorded_by_id, "recorded_at": record.recorded_at}


@api.get("/outcomes/<int:outcome_id>/follow-up")
@endpoint(summary="What became of a signed outcome (full access only); 404 until it is recorded",
          response=FollowUpOut, tags=TAGS)
def get_follow_up(outcome_id: int):
    outcome = visible_outcome(outcome_id)
    operations.require_full_access(db.session, db.session.get(Case, outcome.case_id), current_actor(), "outcome")
    record = operations.follow_up_of(db.session, outcome)
    if record is None:
        raise NotFound(N_("No follow-up is recorded for outcome %(outcome_id)s."),
                       params={"outcome_id": outcome_id})
    _audit("outcome.follow_up_viewed", target_type="outcome", target_id=outcome.id, detail={"case_id": outcome.case_id})
    return follow_up_out(record)


@api.put("/outcomes/<int:outcome_id>/follow-up")
@endpoint(summary="Record or correct what became of the signed outcome in force: carried out, changed or not "
                  "carried out, with the date and (unless carried out) the reason; the case's referrer or a "
                  "coordinator of its board", body=FollowUpIn, response=FollowUpOut, tags=TAGS)
def put_follow_up(outcome_id: int, body: FollowUpIn):
    outcome = visible_outcome(outcome_id)
    record, _ = operations.record_follow_up(
        db.session, outcome, current_actor(), status=body.status, occurred_on=body.occurred_on,
        reason=body.reason, at=now_utc(), source_address=request.remote_addr)
    return follow_up_out(record)
