"""The live meeting: the chair opens it, moves through the agenda, everyone sees who is present (with
their local time) and the shared notes of the case being discussed; the chair finishes it.

Plain Python over a session; callers commit. Every change publishes a live event:
`meeting:<id>` gets meeting.started / meeting.current_case / presence.joined / presence.left /
notes.updated (which case, who; never the text) / meeting.finished, and meeting.chair_warning (required
disciplines absent, cases that cannot be signed: at the start and whenever presence changes them). The notes themselves are
clinical, so their text goes only to `case:<id>` (full-access viewers); summary viewers get that a
note changed, without the text.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.accounts.models import User
from app.boards.models import Board
from app.boards.operations import is_board_coordinator, member_roles_of
from app.cases.models import Case
from app.cases.visibility import FULL, access_level, case_access, case_facts, viewer_facts
from app.cases.workflow import transition
from app.errors import Conflict, InvalidInput, PermissionDenied
from app.live.publish import latest_seq, publish
from app.meetings import attendance
from app.meetings.agenda import ON_AGENDA, items_on, roll_over
from app.meetings.models import AgendaItem, Invitation, Meeting
from app.timekeeping import ensure_utc, format_instant, to_local, utc_offset_label
from app.vocabulary import N_

NOTES_LIMIT = 20000
# Invitation states that give a place at the meeting (for presence).
PRESENT_STATES = ("pending", "accepted", "tentative")


def meeting_room(meeting: Meeting) -> str:
    return f"meeting:{meeting.id}"


def _board(session, meeting: Meeting) -> Board | None:
    return session.get(Board, meeting.board_id) if meeting.board_id else None


def may_run(session, meeting: Meeting, user: User) -> bool:
    """The meeting's chair, or a coordinator of its board: who runs the live meeting."""
    if meeting.chair_id == user.id:
        return True
    board = _board(session, meeting)
    return board is not None and is_board_coordinator(board, user)


def require_may_run(session, meeting: Meeting, user: User) -> None:
    if not may_run(session, meeting, user):
        raise PermissionDenied(N_("Only the meeting's chair or a coordinator of its board may run the live meeting."))


def may_edit_notes(session, meeting: Meeting, user: User) -> bool:
    """Seats (invited for a discipline, not declined or withdrawn), the chair, the board's coordinators."""
    if may_run(session, meeting, user):
        return True
    invitation = attendance.invitation_of(session, meeting, user.id)
    return invitation is not None and invitation.role in ("seat", "chair") and invitation.status in PRESENT_STATES


def takes_part(session, meeting: Meeting, user: User) -> bool:
    """Whose presence the live board records: invitees still holding their place, the chair, members."""
    if meeting.chair_id == user.id:
        return True
    invitation = attendance.invitation_of(session, meeting, user.id)
    if invitation is not None and invitation.status in PRESENT_STATES:
        return True
    board = _board(session, meeting)
    return board is not None and bool(member_roles_of(board, user))


def is_open_for_presence(meeting: Meeting, at: datetime) -> bool:
    """Running, or scheduled and within EARLY_JOIN of its start and not yet over."""
    at = ensure_utc(at)
    if meeting.status == "in_progress":
        return True
    if meeting.status != "scheduled":
        return False
    return ensure_utc(meeting.starts_at) - attendance.EARLY_JOIN <= at < ensure_utc(meeting.ends_at)


def person(user: User, at: datetime) -> dict:
    zone = user.timezone
    local = to_local(at, zone)
    return {"user_id": user.id, "name": user.name, "timezone": zone, "local_time": local.strftime("%H:%M"),
            "utc_offset": utc_offset_label(at, zone)}


# --- presence (from the socket handlers) ----------------------------------------------------------


def join(session, meeting: Meeting, user: User, *, at: datetime) -> bool:
    """Record `user` present (if they take part and the meeting is open); True when it changed."""
    if not takes_part(session, meeting, user) or not is_open_for_presence(meeting, at):
        return False
    if attendance.open_stretch(session, meeting, user.id) is not None:
        return False   # already present (another connection, or recorded again after an outage)
    warned = chair_warnings(session, meeting, at=at) if meeting.status == "in_progress" else None
    attendance.mark_joined(session, meeting, user, at=at)
    publish(session, meeting_room(meeting), "presence.joined",
            {"meeting_id": meeting.id, **person(user, at), "joined_at": format_instant(at)})
    if warned is not None:
        _warn_chair(session, meeting, at=at, before=warned)
    return True


def leave(session, meeting: Meeting, user: User, *, at: datetime) -> bool:
    warned = chair_warnings(session, meeting, at=at) if meeting.status == "in_progress" else None
    closed = attendance.mark_left(session, meeting, user, at=at)
    if closed is None:
        return False
    publish(session, meeting_room(meeting), "presence.left",
            {"meeting_id": meeting.id, "user_id": user.id, "name": user.name, "left_at": format_instant(at)})
    if warned is not None:
        _warn_chair(session, meeting, at=at, before=warned)
    return True


# --- the chair's moves ----------------------------------------------------------------------------


def start(session, meeting: Meeting, actor: User, *, at: datetime) -> Meeting:
    at = ensure_utc(at)
    require_may_run(session, meeting, actor)
    if meeting.status == "in_progress":
        return meeting
    if meeting.status != "scheduled":
        raise Conflict(N_('Meeting #%(meeting_id)s is %(meeting_status)s; only a scheduled '
                          'meeting can start.'),
                       params={'meeting_id': meeting.id, 'meeting_status': meeting.status},
                       meeting_status=meeting.status)
    if at < ensure_utc(meeting.starts_at) - attendance.EARLY_JOIN:
        raise Conflict(N_('The meeting can be opened from %(minutes)s minutes before its start.'),
                       params={'minutes': int(attendance.EARLY_JOIN.total_seconds() // 60)})
    meeting.status = "in_progress"
    meeting.started_at = at
    meeting.updated_at = at
    quorum = attendance.record_quorum_at_start(session, meeting, at=at)
    listed = sorted(items_on(meeting), key=lambda item: item.position)
    if meeting.current_case_id is None and listed:
        meeting.current_case_id = listed[0].case_id
    session.flush()
    publish(session, meeting_room(meeting), "meeting.started",
            {"meeting_id": meeting.id, "started_at": format_instant(at), "quorum_at_start": quorum,
             "current_case_id": meeting.current_case_id,
             "current_position": listed[0].position if meeting.current_case_id is not None and listed else None})
    _warn_chair(session, meeting, at=at)
    return meeting


def _require_running(meeting: Meeting) -> None:
    if meeting.status != "in_progress":
        raise Conflict(N_('Meeting #%(meeting_id)s is not running (it is %(meeting_status)s).'),
                       params={'meeting_id': meeting.id, 'meeting_status': meeting.status}, meeting_status=meeting.status)


def _agenda_item(session, meeting: Meeting, case_id: int) -> AgendaItem:
    item = session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id,
                                                   AgendaItem.case_id == case_id))
    if item is None or item.status not in ON_AGENDA:
        raise InvalidInput("case_id", N_("case #%(case_id)s is not on this meeting's agenda"),
                                      params={'case_id': case_id})
    return item


def set_current_case(session, meeting: Meeting, actor: User, case_id: int, *, at: datetime) -> AgendaItem:
    require_may_run(session, meeting, actor)
    _require_running(meeting)
    item = _agenda_item(session, meeting, case_id)
    meeting.current_case_id = case_id
    meeting.updated_at = ensure_utc(at)
    session.flush()
    publish(session, meeting_room(meeting), "meeting.current_case",
            {"meeting_id": meeting.id, "case_id": case_id, "position": item.position})
    return item


def mark_discussed(session, meeting: Meeting, actor: User, case_id: int, *, at: datetime) -> AgendaItem:
    """The chair closes the discussion of a case: its agenda item and the case become discussed,
    and the outcome can be drafted and signed."""
    require_may_run(session, meeting, actor)
    _require_running(meeting)
    item = _agenda_item(session, meeting, case_id)
    if item.status == "discussed":
        return item
    item.status = "discussed"
    transition(session, session.get(Case, case_id), "discussed", actor, at=at,
               reason_code="meeting.discussed", reason_params={"meeting_id": meeting.id})
    if meeting.current_case_id == case_id:
        meeting.current_case_id = None
    session.flush()
    publish(session, meeting_room(meeting), "agenda.case_discussed",
            {"meeting_id": meeting.id, "case_id": case_id, "position": item.position})
    return item


def update_notes(session, meeting: Meeting, actor: User, case_id: int, notes: str, *, at: datetime) -> AgendaItem:
    """Replace the shared notes of the case under discussion."""
    _require_running(meeting)
    if not may_edit_notes(session, meeting, actor):
        raise PermissionDenied(N_("Only the meeting's seats, its chair or the board's coordinators may edit notes."))
    if meeting.current_case_id != case_id:
        raise Conflict(N_('Case #%(case_id)s is not the case under discussion.'),
                       params={'case_id': case_id}, current_case_id=meeting.current_case_id)
    item = _agenda_item(session, meeting, case_id)
    if case_access(session, actor, session.get(Case, case_id)) != FULL:
        raise PermissionDenied(N_("Notes are clinical: only people with full access to the case may edit them."))
    if not isinstance(notes, str) or len(notes) > NOTES_LIMIT:
        raise InvalidInput("notes", N_('must be text of at most %(notes_limit)s characters'),
                                    params={'notes_limit': NOTES_LIMIT})
    item.notes = notes
    session.flush()
    stamp = {"meeting_id": meeting.id, "case_id": case_id, "updated_by": actor.id,
             "updated_at": format_instant(ensure_utc(at))}
    publish(session, meeting_room(meeting), "notes.updated", {**stamp, "position": item.position})
    publish(session, f"case:{case_id}", "notes.updated", {**stamp, "notes": notes}, summary_data=stamp)
    return item


def finish(session, meeting: Meeting, actor: User, *, at: datetime) -> Meeting:
    at = ensure_utc(at)
    require_may_run(session, meeting, actor)
    _require_running(meeting)
    meeting.status = "finished"
    meeting.finished_at = at
    meeting.updated_at = at
    for user_id in attendance.present_user_ids(session, meeting, at):
        attendance.mark_left(session, meeting, session.get(User, user_id), at=at)
    rolled = roll_over(session, meeting, at=at)
    session.flush()
    publish(session, meeting_room(meeting), "meeting.finished",
            {"meeting_id": meeting.id, "finished_at": format_instant(at), "rolled_over": rolled})
    return meeting


# --- the chair's warnings -------------------------------------------------------------------------


def chair_warnings(session, meeting: Meeting, *, at: datetime) -> dict:
    """What the chair must know while the meeting is open: the disciplines it requires (its board's
    quorum and its cases' disciplines) with nobody of them present now, and the agenda cases that cannot
    be signed because a discipline they still need has had nobody at the meeting (only seat holders who
    were present may sign, and every required discipline must sign).

    {"absent_disciplines": [codes], "unsignable_cases": [{"case_id", "position", "disciplines": [codes]}]}
    """
    from app.boards.quorum import required_seats
    from app.outcomes.operations import missing_disciplines, required_disciplines, unsigned_draft, versions_of

    if not is_open_for_presence(meeting, at):
        return {"absent_disciplines": [], "unsignable_cases": []}
    present_now = attendance.present_user_ids(session, meeting, at)
    ever_present = attendance.present_user_ids(session, meeting)
    seats = session.scalars(select(Invitation).where(
        Invitation.meeting_id == meeting.id, Invitation.role == "seat", Invitation.discipline_code.is_not(None),
        Invitation.status.not_in(attendance.GONE))).all()
    here_now = {seat.discipline_code for seat in seats if seat.user_id in present_now}
    may_still_sign = {seat.discipline_code for seat in seats if seat.user_id in ever_present}
    absent = sorted(code for code in required_seats(session, meeting) if code not in here_now)
    unsignable = []
    for item in sorted(items_on(meeting), key=lambda item: item.position):
        case = session.get(Case, item.case_id)
        if case.state == "outcome_signed":
            continue
        draft = unsigned_draft(versions_of(session, case))
        needed = (missing_disciplines(session, draft, case, meeting) if draft is not None
                  else required_disciplines(session, case, meeting))
        blocked = [code for code in needed if code not in may_still_sign]
        if blocked:
            unsignable.append({"case_id": case.id, "position": item.position, "disciplines": blocked})
    return {"absent_disciplines": absent, "unsignable_cases": unsignable}


def _warn_chair(session, meeting: Meeting, *, at: datetime, before: dict | None = None) -> dict:
    """Publish `meeting.chair_warning` when the warnings differ from `before` (always with no `before`)."""
    warnings = chair_warnings(session, meeting, at=at)
    if before is None or warnings != before:
        # The room names agenda positions, never cases (not everyone in it may see every case).
        unsignable = [{"position": case["position"], "disciplines": case["disciplines"]}
                      for case in warnings["unsignable_cases"]]
        publish(session, meeting_room(meeting), "meeting.chair_warning",
                {"meeting_id": meeting.id, "absent_disciplines": warnings["absent_disciplines"],
                 "unsignable_cases": unsignable})
    return warnings


# --- what the live page shows ---------------------------------------------------------------------


def live_state(session, meeting: Meeting, viewer: User, *, at: datetime) -> dict:
    """Current case, agenda, who is present (with local times), and the notes the viewer may read."""
    from app.cases.models import Case

    at = ensure_utc(at)
    present_ids = attendance.present_user_ids(session, meeting, at) if meeting.status != "finished" else set()
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(present_ids)))} if present_ids else {}
    agenda, current_position, current_case_id = [], None, None
    items = sorted(items_on(meeting), key=lambda item: item.position)
    # The viewer's facts and the agenda's cases once, not per item.
    facts = viewer_facts(session, viewer)
    cases = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_([i.case_id for i in items])))}
    seen = set()
    for item in items:
        case = cases.get(item.case_id)
        level = access_level(facts, case_facts(case)) if case is not None else None
        if level is not None:
            seen.add(item.case_id)
        if item.case_id == meeting.current_case_id:
            current_position = item.position
            current_case_id = item.case_id if level is not None else None
        # A case the viewer may not see is "a case you cannot see": its place and progress, no id.
        agenda.append({"case_id": item.case_id if level is not None else None, "position": item.position,
                       "status": item.status, "notes": item.notes if level == FULL else None, "access": level})
    return {
        "meeting_id": meeting.id, "status": meeting.status,
        "started_at": meeting.started_at, "finished_at": meeting.finished_at,
        "current_case_id": current_case_id, "current_position": current_position,
        "quorum_at_start": meeting.quorum_at_start,
        "present": [person(users[uid], at) for uid in sorted(users)],
        "agenda": agenda, "may_run": may_run(session, meeting, viewer),
        # Only whoever runs the meeting is warned (the rest would only be alarmed).
        "warnings": (_warnings_seen_by(chair_warnings(session, meeting, at=at), seen)
                     if may_run(session, meeting, viewer) else None),
        "may_edit_notes": may_edit_notes(session, meeting, viewer),
        "seq": latest_seq(session, meeting_room(meeting)),
    }


def _warnings_seen_by(warnings: dict, seen: set[int]) -> dict:
    """The chair's warnings as the viewer may read them: a case they may not see (a chair or coordinator
    need not see every case on the agenda) is named by its place only, as the agenda names it."""
    return {**warnings, "unsignable_cases": [
        case if case["case_id"] in seen else {**case, "case_id": None}
        for case in warnings["unsignable_cases"]]}
