"""Scheduler jobs for meetings: invitations, urgent ad-hoc meetings, agenda circulation,
reminders, at-risk quorum and late cases.

Each is `job(session, at) -> int` (how much it did). Every notification has a unique key, so a
restart, a missed run or a second run sends nothing twice and loses nothing: whatever is due and
not yet sent at `at` is sent.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.boards.models import Board, BoardMember
from app.boards.quorum import meeting_quorum
from app.cases.models import Case
from app.errors import Conflict
from app.meetings import agenda, booking
from app.conferencing.operations import call_link
from app.meetings.models import BOOKING_STATES, Invitation, Meeting
from app.meetings.search import SearchCriteria, SeatRequirement, licence_country_for_case, search_meeting_times
from app.notifications.operations import notify
from app.timekeeping import format_instant

INVITE_AHEAD = timedelta(days=21)
REMINDERS = (("24h", timedelta(hours=24)), ("15m", timedelta(minutes=15)))
QUORUM_ALERT_AHEAD = timedelta(hours=48)
ADHOC_MINUTES = 30


def board_coordinator_ids(session: Session, board_id: int | None) -> list[int]:
    if board_id is None:
        return []
    return list(session.scalars(select(BoardMember.user_id).where(
        BoardMember.board_id == board_id, BoardMember.role == "coordinator").order_by(BoardMember.user_id)))


def upcoming_meetings(session: Session, at: datetime, until: datetime) -> list[Meeting]:
    return list(session.scalars(select(Meeting).where(Meeting.status == "scheduled", Meeting.starts_at > at,
                                                      Meeting.starts_at <= until).order_by(Meeting.starts_at)))


def send_invitations(session: Session, at: datetime) -> int:
    """Fill the seats of meetings in the next three weeks (a decline is replaced at once too)."""
    return sum(len(booking.fill_seats(session, meeting, at=at))
               for meeting in upcoming_meetings(session, at, at + INVITE_AHEAD))


def schedule_urgent_cases(session: Session, at: datetime) -> int:
    """Book an ad-hoc meeting for each waiting case whose board meets too late for its target.

    The search looks for the case's disciplines, seats licensed where the case was referred (the rule of a
    seat on an agenda listing it), with the referring clinician attending; when it finds nothing, the board's coordinators get its explanation (once per case and target).
    """
    booked = 0
    for case in agenda.waiting_cases(session):
        board = session.get(Board, case.board_id)
        if case.target_at is None or case.target_at <= at:
            continue
        if agenda.next_meeting_with_room(session, board, at=at, before=case.target_at) is not None:
            continue
        requirements = tuple(SeatRequirement(d.code) for d in case.disciplines)
        result = search_meeting_times(session, SearchCriteria(
            requirements=requirements, duration_minutes=ADHOC_MINUTES, window_start=at,
            window_end=case.target_at, at=at, limit=1, attendee_ids=(case.referrer_id,),
            licensed_in=licence_country_for_case(case)))
        if not result.slots:
            _explain_no_slot(session, case, board, result, at)
            continue
        slot = result.slots[0]
        meeting = Meeting(title=f"Ad-hoc {board.name}", kind="adhoc", board_id=board.id,
                          starts_at=slot["start"], ends_at=slot["end"], host_timezone=board.timezone,
                          status="scheduled", sequence=0, created_at=at, updated_at=at)
        session.add(meeting)
        session.flush()
        for discipline, user_ids in slot["assignment"].items():
            for user_id in user_ids:
                booking.invite(session, meeting, session.get(User, user_id), role="seat",
                               discipline_code=discipline, at=at)
        booking.invite(session, meeting, session.get(User, case.referrer_id), role="attendee", at=at)
        for index, coordinator_id in enumerate(board_coordinator_ids(session, board.id)):
            try:
                booking.invite(session, meeting, session.get(User, coordinator_id),
                               role="chair" if index == 0 else "attendee", at=at)
            except Conflict:  # a busy coordinator does not stop the booking; others chair
                continue
        agenda.add_case(session, meeting, case, None, at=at, as_coordinator=True)
        booked += 1
    return booked


def _explain_no_slot(session, case, board, result, at) -> None:
    requirements = [{"discipline": r["discipline"], "available": r["available"], "candidates": r["candidates"]}
                    for r in result.requirements]
    later = result.earliest_after_window
    params = {"case_id": case.id, "target_at": format_instant(case.target_at), "requirements": requirements}
    if later:
        params.update(text="case.no_slot.earliest", earliest_at=format_instant(later["start"]))
    for user_id in board_coordinator_ids(session, board.id):
        notify(session, user_id=user_id, kind="case.no_slot",
               dedupe_key=f"no-slot:{case.id}:{format_instant(case.target_at)}:{user_id}",
               params=params, link=f"/cases/{case.id}", at=at)


def _participants(meeting: Meeting) -> list[Invitation]:
    return [i for i in meeting.invitations if i.status in BOOKING_STATES]


def send_reminders(session: Session, at: datetime) -> int:
    """24 hours and 15 minutes before a meeting, each participant is reminded in their own zone."""
    sent = 0
    for meeting in upcoming_meetings(session, at, at + max(lead for _, lead in REMINDERS)):
        due = [(label, lead) for label, lead in REMINDERS if at >= meeting.starts_at - lead]
        # Only the nearest horizon whose time has come: a meeting booked 13 minutes ahead gets the
        # 15-minute reminder, not the 24-hour one as well.
        for label, lead in sorted(due, key=lambda horizon: horizon[1])[:1]:
            call = call_link(session, meeting)
            for invitation in _participants(meeting):
                user = invitation.user
                sent += notify(
                    session, user_id=user.id, kind=f"meeting.reminder.{label}",
                    dedupe_key=f"reminder:{label}:{meeting.id}:{format_instant(meeting.starts_at)}:{user.id}",
                    params={"text": "meeting.reminder", "title": meeting.title,
                            "starts_at": format_instant(meeting.starts_at),
                            "starts_at_utc": format_instant(meeting.starts_at), **({"call": call} if call else {})},
                    link=f"/meetings/{meeting.id}", at=at)
    return sent


def circulate_agendas(session: Session, at: datetime) -> int:
    """At the agenda cut-off, everyone invited (and the board's members) gets the agenda once."""
    circulated = 0
    for meeting in upcoming_meetings(session, at, at + timedelta(days=14)):
        board = session.get(Board, meeting.board_id) if meeting.board_id else None
        if meeting.agenda_circulated_at is not None or at < agenda.cutoff_of(meeting, board):
            continue
        recipients = {i.user_id for i in _participants(meeting)}
        if board is not None:
            recipients |= {m.user_id for m in board.members}
        count = len(agenda.items_on(meeting))
        for user_id in sorted(recipients):
            notify(session, user_id=user_id, kind="meeting.agenda",
                   dedupe_key=f"agenda:{meeting.id}:{user_id}",
                   params={"title": meeting.title, "starts_at": format_instant(meeting.starts_at), "count": count},
                   link=f"/meetings/{meeting.id}", at=at)
        meeting.agenda_circulated_at = at
        circulated += 1
    return circulated


def alert_at_risk_quorum(session: Session, at: datetime) -> int:
    """48 hours before a meeting whose quorum is not met, its coordinators are alerted."""
    alerted = 0
    for meeting in upcoming_meetings(session, at, at + QUORUM_ALERT_AHEAD):
        status = meeting_quorum(session, meeting)
        if status.state == "met":
            continue
        short = [d.discipline for d in status.disciplines if d.state != "met"]
        for user_id in board_coordinator_ids(session, meeting.board_id):
            alerted += notify(session, user_id=user_id, kind="meeting.quorum_at_risk",
                              dedupe_key=f"quorum:{meeting.id}:{status.state}:{user_id}",
                              params={"state": status.state, "title": meeting.title,
                                      "starts_at": format_instant(meeting.starts_at), "disciplines": short},
                              link=f"/meetings/{meeting.id}", at=at)
    return alerted


def alert_late_cases(session: Session, at: datetime) -> int:
    """Cases past their target date and not yet discussed are reported to the board's coordinators."""
    late = session.scalars(select(Case).where(Case.state.in_(("submitted", "triaged", "scheduled")),
                                              Case.target_at < at)).all()
    alerted = 0
    for case in late:
        for user_id in board_coordinator_ids(session, case.board_id):
            alerted += notify(session, user_id=user_id, kind="case.late",
                              dedupe_key=f"late:{case.id}:{format_instant(case.target_at)}:{user_id}",
                              params={"case_id": case.id, "urgency": case.urgency,
                                      "target_at": format_instant(case.target_at), "state": case.state},
                              link=f"/cases/{case.id}", at=at)
    return alerted
