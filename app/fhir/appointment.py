"""Appointment: a meeting, with its invitees as participants and its board as a HealthcareService.
Who may read one is `boards.operations.may_view_meeting`, as in the API."""
from __future__ import annotations

from fhir.resources.R4B.appointment import Appointment
from flask_babel import gettext
from sqlalchemy import false, or_, select
from sqlalchemy.orm import selectinload

from app.boards.models import Board
from app.boards.operations import boards_by_id, visible_meetings_query
from app.errors import NotFound
from app.fhir.codes import (APPOINTMENT_STATUSES, BOARD_SYSTEM, EXT_TIMEZONE, INVITATION_STATUS,
                            MEETING_ROLE_SYSTEM, MEETING_STATUS, statuses_to_states)
from app.fhir.common import build, code_text, discipline_concept, instant, reader_language, reference
from app.fhir.context import Context
from app.fhir.errors import FhirError
from app.fhir.healthcare_service import board_concept
from app.fhir.search import Page, Query, SearchParam, codes_in, id_conditions, page_rows, parse_id, reference_id
from app.meetings.models import Invitation, Meeting
from app.vocabulary import N_

PARAMS = (
    SearchParam("_id", "token", "Logical id (the meeting id)"),
    SearchParam("date", "date", "The meeting's start, e.g. date=ge2026-03-01&date=lt2026-04-01"),
    SearchParam("actor", "reference", "Practitioner/{id} (an invitee) or HealthcareService/{id} (the board)",
                ("Practitioner", "HealthcareService")),
    SearchParam("status", "token", "booked, arrived, fulfilled or cancelled"),
    SearchParam("service-type", "token", f"The board ({BOARD_SYSTEM}|{{board id}})"),
)
# How each invitation role takes part.
REQUIRED = {"seat": "required", "chair": "required", "attendee": "required", "observer": "information-only"}


def to_fhir(meeting: Meeting, board: Board | None) -> Appointment:
    participants = []
    if board is not None:
        participants.append({"actor": reference("HealthcareService", board.id, board.name),
                             "required": "information-only", "status": "accepted"})
    for invitation in meeting.invitations:
        status = INVITATION_STATUS.get(invitation.status)
        if status is None:
            continue  # a withdrawn invitation no longer takes part
        role = {"coding": [{"system": MEETING_ROLE_SYSTEM, "code": invitation.role}],
                "text": code_text(invitation.role)}
        types = [role] + ([discipline_concept(invitation.discipline_code)] if invitation.discipline_code else [])
        participants.append({"type": types,
                             "actor": reference("Practitioner", invitation.user_id, invitation.user.name),
                             "required": REQUIRED.get(invitation.role, "optional"), "status": status})
    if not participants:
        participants.append({"status": "needs-action", "type": [{"text": gettext("no invitees yet")}]})
    return build(Appointment, {
        "id": str(meeting.id),
        "language": reader_language(),
        "status": MEETING_STATUS[meeting.status],
        "serviceType": [board_concept(board)] if board is not None else [],
        "description": meeting.title,
        "start": instant(meeting.starts_at),
        "end": instant(meeting.ends_at),
        "minutesDuration": int((meeting.ends_at - meeting.starts_at).total_seconds() // 60),
        "created": instant(meeting.created_at),
        "participant": participants,
        "extension": [{"url": EXT_TIMEZONE, "valueCode": meeting.host_timezone}],
    })


def _convert(ctx: Context, meetings: list[Meeting]) -> list[Appointment]:
    ids = [meeting.id for meeting in meetings]
    loaded = {m.id: m for m in ctx.session.scalars(
        select(Meeting).where(Meeting.id.in_(ids))
        .options(selectinload(Meeting.invitations).selectinload(Invitation.user)))}
    boards = boards_by_id(ctx.session, (m.board_id for m in loaded.values()))
    return [to_fhir(loaded[i], boards.get(loaded[i].board_id)) for i in ids]


def read(ctx: Context, resource_id: str) -> Appointment:
    meeting_id = parse_id(resource_id)
    meeting = ctx.session.scalar(visible_meetings_query(ctx.actor).where(Meeting.id == meeting_id)) \
        if meeting_id is not None else None
    if meeting is None:
        raise NotFound(N_('No Appointment with id %(resource_id)s.'),
                       params={'resource_id': resource_id})
    return _convert(ctx, [meeting])[0]


def _actor_condition(group: set[str]):
    conditions = []
    for value in group:
        if "HealthcareService/" in value:
            conditions.append(Meeting.board_id == (reference_id(value, ("HealthcareService",)) or 0))
        else:
            user_id = reference_id(value, ("Practitioner",)) or 0
            conditions.append(Meeting.id.in_(select(Invitation.meeting_id).where(
                Invitation.user_id == user_id, Invitation.status != "withdrawn")))
    return or_(false(), *conditions)


def search(ctx: Context, query: Query) -> Page:
    statement = visible_meetings_query(ctx.actor)
    for condition in id_conditions(query, "_id", Meeting.id):
        statement = statement.where(condition)
    for bound in query.dates("date"):
        statement = statement.where(bound.condition(Meeting.starts_at))
    for group in query.tokens("actor"):
        statement = statement.where(_actor_condition(group))
    for group in query.tokens("status"):
        unknown = group - set(APPOINTMENT_STATUSES)
        if unknown:
            raise FhirError(400, N_("status: %(statuses)s is not an Appointment status."),
                            params={"statuses": ", ".join(sorted(unknown))}, expression="status")
        statement = statement.where(Meeting.status.in_(statuses_to_states(MEETING_STATUS, group)))
    for codes in codes_in(query, "service-type", BOARD_SYSTEM):
        boards = {parse_id(code) for code in codes} - {None}
        statement = statement.where(Meeting.board_id.in_(sorted(boards)))
    return page_rows(ctx.session, statement, Meeting.id, query, lambda rows: _convert(ctx, rows))
