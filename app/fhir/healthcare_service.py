"""HealthcareService: an MDT board, its disciplines and its meeting time in the host's zone
(any signed-in user may list boards, as in the API)."""
from __future__ import annotations

from datetime import datetime, timedelta

from fhir.resources.R4B.healthcareservice import HealthcareService
from flask_babel import gettext, ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.boards.models import Board, QuorumRequirement
from app.boards.operations import boards_by_id
from app.errors import NotFound
from app.fhir.codes import BOARD_SYSTEM, DISCIPLINE_SYSTEM, EXT_TIMEZONE, SERVICE_CATEGORY_SYSTEM
from app.fhir.common import build, coded_concept, discipline_concept, reader_language, reference, starts_with
from app.fhir.context import Context
from app.fhir.search import Page, Query, SearchParam, codes_in, id_conditions, page_rows, parse_id
from app.vocabulary import N_

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARAMS = (
    SearchParam("_id", "token", "Logical id (the board id)"),
    SearchParam("name", "string", "Name starts with (case-insensitive)"),
    SearchParam("organization", "reference", "The host Organization/{id}", ("Organization",)),
    SearchParam("specialty", "token", "A quorum discipline code"),
    SearchParam("active", "token", "true or false"),
)
MDT_BOARD = N_("Multidisciplinary team board")


def board_concept(board: Board) -> dict:
    return {"coding": [{"system": BOARD_SYSTEM, "code": str(board.id), "display": board.name}],
            "text": board.name}


def _available_time(board: Board) -> dict:
    """The weekly meeting on the host's wall clock (the zone is in the timezone extension)."""
    start = datetime.combine(board.anchor_date, board.start_time)
    end = start + timedelta(minutes=board.duration_minutes)
    slot = {"daysOfWeek": [WEEKDAYS[board.weekday]], "availableStartTime": start.strftime("%H:%M:%S")}
    if end.date() == start.date():
        slot["availableEndTime"] = end.strftime("%H:%M:%S")
    return slot


def to_fhir(board: Board) -> HealthcareService:
    if board.interval_weeks == 1:
        meets = gettext("Meets every week; times are on the wall clock of %(zone)s.", zone=board.timezone)
    else:
        meets = ngettext("Meets every %(num)d week; times are on the wall clock of %(zone)s.",
                         "Meets every %(num)d weeks; times are on the wall clock of %(zone)s.",
                         board.interval_weeks, zone=board.timezone)
    return build(HealthcareService, {
        "id": str(board.id),
        "language": reader_language(),
        "active": board.is_active,
        "providedBy": reference("Organization", board.host_organization_id, board.host_organization.name),
        "category": [coded_concept(SERVICE_CATEGORY_SYSTEM, "mdt-board", MDT_BOARD)],
        "type": [board_concept(board)],
        "specialty": [discipline_concept(item.discipline_code) for item in board.quorum],
        "name": board.name,
        "availableTime": [_available_time(board)],
        "availabilityExceptions": meets,
        "extension": [{"url": EXT_TIMEZONE, "valueCode": board.timezone}],
    })


# What a HealthcareService shows of its board, loaded with it.
BOARD_LOADS = (selectinload(Board.quorum), selectinload(Board.host_organization))


def read(ctx: Context, resource_id: str) -> HealthcareService:
    board_id = parse_id(resource_id)
    board = boards_by_id(ctx.session, [board_id], *BOARD_LOADS).get(board_id) if board_id else None
    if board is None:
        raise NotFound(N_('No HealthcareService with id %(resource_id)s.'),
                       params={'resource_id': resource_id})
    return to_fhir(board)


def search(ctx: Context, query: Query) -> Page:
    statement = select(Board)
    for condition in id_conditions(query, "_id", Board.id):
        statement = statement.where(condition)
    for condition in id_conditions(query, "organization", Board.host_organization_id):
        statement = statement.where(condition)
    for name in query.strings("name"):
        statement = statement.where(Board.name.ilike(starts_with(name), escape="\\"))
    for codes in codes_in(query, "specialty", DISCIPLINE_SYSTEM):
        statement = statement.where(Board.id.in_(
            select(QuorumRequirement.board_id).where(QuorumRequirement.discipline_code.in_(sorted(codes)))))
    for group in query.tokens("active"):
        wanted = {value == "true" for value in group if value in ("true", "false")}
        statement = statement.where(Board.is_active.in_(sorted(wanted)))

    def convert(boards):
        ids = [board.id for board in boards]
        by_id = boards_by_id(ctx.session, ids, *BOARD_LOADS)
        return [to_fhir(by_id[i]) for i in ids]

    return page_rows(ctx.session, statement, Board.id, query, convert)
