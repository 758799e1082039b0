"""Meeting agendas: which triaged cases go to which meeting, in what order, and roll-over.

Triaged cases go to the next meeting of their board that has room and whose agenda cut-off has
not passed, urgent first, then oldest. After the cut-off the agenda is closed: nobody adds a new
case, whichever page or API asks. Cases not discussed roll to the top of the board's next meeting
(a rolled case is not new; it may go onto a closed agenda). Plain Python; callers commit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session, selectinload

from app.boards.models import Board
from app.boards.operations import is_board_coordinator
from app.cases import referrer_updates
from app.cases.models import Case
from app.cases.visibility import case_access
from app.cases.workflow import transition
from app.errors import Conflict, InvalidInput
from app.live.publish import publish
from app.meetings.models import AgendaItem, Meeting
from app.timekeeping import ensure_utc, format_instant
from app.vocabulary import N_

ON_AGENDA = ("listed", "discussed")
# Why a case is taken off an agenda: the referrer and the board read it in the case's history.
REMOVAL_REASON_MIN, REMOVAL_REASON_MAX = 3, 500
# ... and as a code the reports count: deferred for missing data, or for another reason.
REMOVAL_REASONS = ("missing_data", "other")
# Disciplines that prepare images and slides before the meeting.
PREPARING_DISCIPLINES = ("radiology", "pathology")


def cutoff_of(meeting: Meeting, board: Board | None) -> datetime:
    """When the agenda closes. The board's cut-off is for its regular meetings, whose agenda is
    circulated ahead; an ad-hoc meeting (booked for a case, often urgent) is open until it starts."""
    hours = board.agenda_cutoff_hours if board is not None and meeting.kind != "adhoc" else 0
    return meeting.starts_at - timedelta(hours=hours)


def agenda_closed(meeting: Meeting, board: Board | None, at: datetime) -> bool:
    return ensure_utc(at) >= cutoff_of(meeting, board)


def items_on(meeting: Meeting) -> list[AgendaItem]:
    return [item for item in meeting.agenda if item.status in ON_AGENDA]


def visible_item(session: Session, meeting: Meeting, actor, case_id: int | None) -> AgendaItem | None:
    """Case `case_id`'s item on `meeting`'s agenda (listed or discussed), when it is there and `actor` may
    see the case (`app.cases.visibility.case_access`); else None. A case the viewer may not see is, to
    them, not on the agenda: nobody moves or takes off a case they may not see, nor learns from the answer
    that it is there (the agenda editor and the API answer as for a case that is not listed; taking one
    off: 404)."""
    item = next((i for i in items_on(meeting) if i.case_id == case_id), None) if case_id is not None else None
    if item is None:
        return None
    case = session.get(Case, case_id)
    if case is None or case_access(session, actor, case) is None:
        return None
    return item


def room_on(meeting: Meeting, board: Board | None) -> int:
    capacity = board.cases_per_meeting if board is not None else len(items_on(meeting)) + 1
    return capacity - len(items_on(meeting))


def may_schedule_case(session: Session, actor, case: Case) -> bool:
    """Who may put a case on an agenda: the scheduler (no actor), an admin, a coordinator of the case's
    board; a case referred to no board, whoever may see it. Putting a case on a meeting shows it to
    the meeting's invitees, so nobody may do it for a case they do not run."""
    if actor is None or actor.has_role("admin"):
        return True
    if case.board_id is not None:
        return is_board_coordinator(session.get(Board, case.board_id), actor)
    return case_access(session, actor, case) is not None


def add_case(session: Session, meeting: Meeting, case: Case, actor, *, at: datetime,
             as_coordinator: bool, at_top: bool = False, rolled_from: Meeting | None = None) -> AgendaItem:
    """Put a triaged case on a meeting's agenda and mark it scheduled.

    `as_coordinator` says who asks; it no longer opens a closed agenda (nothing does, but a roll-over)."""
    at = ensure_utc(at)
    if not may_schedule_case(session, actor, case):
        # The same answer as for a case that does not exist: nothing is told about it.
        raise InvalidInput("case_id", N_('no case has id %(case_id)s'),
                                      params={'case_id': case.id})
    board = session.get(Board, meeting.board_id) if meeting.board_id else None
    if meeting.status != "scheduled" or meeting.starts_at <= at:
        raise Conflict(N_('Meeting #%(meeting_id)s is not an upcoming scheduled meeting.'),
                       params={'meeting_id': meeting.id})
    if case.board_id is not None and meeting.board_id not in (None, case.board_id):
        raise InvalidInput("case_id", N_('case #%(case_id)s is referred to another board'),
                                      params={'case_id': case.id})
    if agenda_closed(meeting, board, at) and rolled_from is None:
        raise Conflict(N_('The agenda of meeting #%(meeting_id)s closed at %(cutoff_at)s; no new case may '
                          'be added.'),
                       params={'meeting_id': meeting.id, 'cutoff_at': format_instant(cutoff_of(meeting, board))},
                       agenda_closed=True)
    if room_on(meeting, board) <= 0:
        raise Conflict(N_('Meeting #%(meeting_id)s is full (%(cases_per_meeting)s cases).'),
                       params={'meeting_id': meeting.id, 'cases_per_meeting': board.cases_per_meeting})
    existing = session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id,
                                                       AgendaItem.case_id == case.id))
    if existing is not None and existing.status in ON_AGENDA:
        raise Conflict(N_("Case #%(case_id)s is already on meeting #%(meeting_id)s's agenda."),
                       params={'case_id': case.id, 'meeting_id': meeting.id})
    if case.state == "triaged":
        transition(session, case, "scheduled", actor, at=at, reason_code="agenda.listed",
                   reason_params={"title": meeting.title})
    elif not (case.state == "scheduled" and rolled_from is not None):
        raise Conflict(N_('Only a triaged case can be put on an agenda; case #%(case_id)s is '
                          '%(case_state)s.'),
                       params={'case_id': case.id, 'case_state': case.state},
                       state=case.state)
    listed = sorted(items_on(meeting), key=lambda item: item.position)
    if at_top:
        for item in listed:
            item.position += 1
        position = 0
    else:
        position = (listed[-1].position + 1) if listed else 0
    item = existing or AgendaItem(meeting=meeting, case_id=case.id)
    item.position, item.status = position, "listed"
    item.added_by_id = getattr(actor, "id", None)
    item.added_at = at
    item.rolled_from_meeting_id = rolled_from.id if rolled_from else None
    session.add(item)
    session.flush()
    publish(session, f"meeting:{meeting.id}", "agenda.changed", agenda_event(meeting))
    referrer_updates.case_scheduled(session, case, meeting, item_id=item.id, at=at)
    return item


def remove_case(session: Session, item: AgendaItem, actor, *, at: datetime, reason: str,
                removal_reason: str = "other") -> None:
    """Take a case off an agenda before discussion; it goes back to triaged. `removal_reason` is the
    code (REMOVAL_REASONS) kept on the agenda item; `reason` the words, kept in the case's history."""
    reason = (reason or "").strip()
    if removal_reason not in REMOVAL_REASONS:
        raise InvalidInput("removal_reason", N_("must be missing_data or other"))
    if not REMOVAL_REASON_MIN <= len(reason) <= REMOVAL_REASON_MAX:
        raise InvalidInput("reason", N_('say why, in %(removal_reason_min)s to '
                                        '%(removal_reason_max)s characters'),
                                     params={'removal_reason_min': REMOVAL_REASON_MIN, 'removal_reason_max': REMOVAL_REASON_MAX})
    if item.status != "listed":
        raise Conflict(N_('Agenda item #%(item_id)s is %(item_status)s; only a listed case can be '
                          'removed.'),
                       params={'item_id': item.id, 'item_status': item.status})
    item.status, item.removal_reason = "removed", removal_reason
    case = session.get(Case, item.case_id)
    if case.state == "scheduled":
        transition(session, case, "triaged", actor, at=at, reason=reason)
    session.flush()
    publish(session, f"meeting:{item.meeting_id}", "agenda.changed", agenda_event(item.meeting))


def reorder(meeting: Meeting, case_ids: list[int]) -> None:
    listed = {item.case_id: item for item in items_on(meeting)}
    if sorted(case_ids) != sorted(listed):
        raise InvalidInput("case_ids", N_("must list exactly the cases on the agenda, each once"))
    for position, case_id in enumerate(case_ids):
        listed[case_id].position = position
    publish(object_session(meeting), f"meeting:{meeting.id}", "agenda.changed", agenda_event(meeting))


def agenda_event(meeting: Meeting) -> dict:
    """The agenda.changed event: case ids in order (kept with the event; its viewers get only the count,
    see app.live.publish.CASE_KEYS)."""
    case_ids = [item.case_id for item in sorted(items_on(meeting), key=lambda item: item.position)]
    return {"meeting_id": meeting.id, "case_ids": case_ids, "items": len(case_ids)}


def next_meeting_with_room(session: Session, board: Board, *, at: datetime, before: datetime | None = None,
                           exclude_id: int | None = None,
                           for_roll_over: bool = False) -> Meeting | None:
    """The board's next meeting with room whose agenda is open (`for_roll_over`: closed ones too)."""
    # with their agendas at once: a board's scheduled meetings are the few weeks ahead it has
    statement = (select(Meeting).where(Meeting.board_id == board.id, Meeting.status == "scheduled",
                                       Meeting.starts_at > at).order_by(Meeting.starts_at)
                 .options(selectinload(Meeting.agenda)))
    if before is not None:
        statement = statement.where(Meeting.starts_at <= before)
    if exclude_id is not None:
        statement = statement.where(Meeting.id != exclude_id)
    for meeting in session.scalars(statement):
        if (for_roll_over or not agenda_closed(meeting, board, at)) and room_on(meeting, board) > 0:
            return meeting
    return None


def waiting_cases(session: Session) -> list[Case]:
    """Triaged cases not yet on an agenda: urgent first, then oldest."""
    urgent_first = func.coalesce(Case.urgency == "urgent", False).desc()
    return list(session.scalars(select(Case).where(Case.state == "triaged", Case.board_id.is_not(None))
                                .order_by(urgent_first, Case.submitted_at, Case.id)))


def fill_agendas(session: Session, at: datetime) -> int:
    """Job: place waiting cases on the next meeting of their board with room.

    A case whose board has no meeting with room before its target date is left for the urgent
    scheduler (which books an ad-hoc meeting) unless it is routine, which takes the next meeting
    with room anyway and is reported late if that is after its target.
    """
    placed = 0
    for case in waiting_cases(session):
        board = session.get(Board, case.board_id)
        meeting = next_meeting_with_room(session, board, at=at, before=case.target_at)
        if meeting is None and case.urgency != "urgent":
            meeting = next_meeting_with_room(session, board, at=at)
        if meeting is not None:
            add_case(session, meeting, case, None, at=at, as_coordinator=False)
            placed += 1
    return placed


def roll_over(session: Session, meeting: Meeting, *, at: datetime) -> int:
    """Cases a finished meeting did not discuss go to the top of the board's next meeting."""
    board = session.get(Board, meeting.board_id) if meeting.board_id else None
    undiscussed = [item for item in meeting.agenda if item.status == "listed"]
    if not undiscussed:
        return 0
    rolled = 0
    for item in sorted(undiscussed, key=lambda item: item.position, reverse=True):
        item.status = "not_discussed"
        case = session.get(Case, item.case_id)
        target = (next_meeting_with_room(session, board, at=at, for_roll_over=True, exclude_id=meeting.id)
                  if board is not None else None)
        if target is None:
            transition(session, case, "triaged", None, at=at, reason_code="agenda.rolled_back",
                       reason_params={"meeting_id": meeting.id})
            continue
        add_case(session, target, case, None, at=at, as_coordinator=True, at_top=True, rolled_from=meeting)
        rolled += 1
    session.flush()
    return rolled


def finish_past_meetings(session: Session, at: datetime) -> int:
    """Job: meetings whose time is over are finished, and what they did not discuss rolls over."""
    finished = 0
    for meeting in session.scalars(select(Meeting).where(Meeting.status.in_(("scheduled", "in_progress")),
                                                         Meeting.ends_at <= at)):
        meeting.status = "finished"
        meeting.finished_at = meeting.finished_at or meeting.ends_at
        roll_over(session, meeting, at=at)
        finished += 1
    return finished


def preparation_list(session: Session, meeting: Meeting, discipline: str) -> list[Case]:
    """The cases on the agenda that need `discipline` (radiology and pathology prepare ahead)."""
    return [case for item in sorted(items_on(meeting), key=lambda item: item.position)
            if (case := session.get(Case, item.case_id)) is not None
            and discipline in {d.code for d in case.disciplines}]
