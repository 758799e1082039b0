"""Six months of finished work, so that the quality and equity reports tell a story: the hub's cases
are discussed within days, Tashkent's and Karachi's within two weeks, Nairobi's wait longest; now
and then a core discipline is missing at the start, a case is rolled over or its recommendation is
not carried out. Bulk inserts (one statement per table), so the seed stays fast.

Everything lies more than three weeks before `at`, apart from the demo's own recent meetings; every
case ends closed (or withdrawn, or listed under a standard of care), so lists of open work are as before.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.boards.models import Board, BoardMember
from app.cases.models import Case, CaseTransition, case_disciplines
from app.meetings.models import AgendaItem, Attendance, Invitation, Meeting
from app.outcomes.models import Outcome, OutcomeFollowUp
from app.timekeeping import from_local, to_local

WEEKS = 26
QUIET_BEFORE_AT = timedelta(days=21)
# referrer (local part of the e-mail) -> cases a month, and the typical days from submission to a meeting
SITES = {"referrer": (9, 3), "referrer.tashkent": (6, 10), "oncologist.karachi": (5, 8), "referrer.nairobi": (6, 19)}
FOLLOW_UP = (("carried_out", 14), ("changed", 3), ("not_carried_out", 2))


def _email(local: str) -> str:
    from app.demo.network import EMAIL_DOMAIN

    return f"{local}@{EMAIL_DOMAIN}"


def _meetings(board: Board, first: date, last: date) -> list[tuple[date, datetime, datetime]]:
    day = first + timedelta(days=(board.weekday - first.weekday()) % 7)
    found = []
    while day <= last:
        if ((day - board.anchor_date).days // 7) % board.interval_weeks == 0:
            starts = from_local(datetime.combine(day, board.start_time), board.timezone)
            found.append((day, starts, starts + timedelta(minutes=board.duration_minutes)))
        day += timedelta(days=7)
    return found


def seed_history(session: Session, users: dict[str, User], at: datetime) -> int:
    """Add the history once (nothing when a case of it exists); returns how many cases it added."""
    if session.scalar(select(Case.id).where(Case.patient_reference.like("HIST-%")).limit(1)) is not None:
        return 0
    chance = random.Random(19)
    end = at - QUIET_BEFORE_AT
    start = end - timedelta(weeks=WEEKS)
    boards = session.scalars(select(Board).where(Board.is_active.is_(True)).order_by(Board.id)).all()
    if not boards:
        return 0
    coordinator = users[_email("coordinator")]

    # Meetings, their seats, who came and the quorum at the start.
    meetings_by_board: dict[int, list[dict]] = {}
    for board in boards:
        core = session.execute(select(BoardMember.user_id, BoardMember.discipline_code).where(
            BoardMember.board_id == board.id, BoardMember.role == "core")).all()
        taken = {d for (d,) in session.execute(select(Meeting.occurrence_date).where(Meeting.board_id == board.id))}
        rows = [{"board_id": board.id, "occurrence_date": day, "title": board.name, "kind": "board",
                 "starts_at": starts, "ends_at": ends, "host_timezone": board.timezone, "status": "finished",
                 "created_by_id": coordinator.id, "started_at": starts, "finished_at": ends,
                 "agenda_circulated_at": starts - timedelta(days=1), "created_at": starts - timedelta(days=14),
                 "updated_at": ends}
                for day, starts, ends in _meetings(board, to_local(start, board.timezone).date(),
                                                   to_local(end, board.timezone).date()) if day not in taken]
        absent = [{user_id for user_id, _ in core if chance.random() < 0.12} for _ in rows]
        for row, away in zip(rows, absent):
            quorum: dict[str, list[int]] = {}
            for user_id, code in core:
                quorum.setdefault(code, []).extend([] if user_id in away else [user_id])
            row["quorum_at_start"] = quorum
        if not rows:
            continue
        ids = session.scalars(insert(Meeting).returning(Meeting.id, sort_by_parameter_order=True), rows).all()
        invitations, attendance = [], []
        for meeting_id, row, away in zip(ids, rows, absent):
            row["id"] = meeting_id
            for user_id, code in core:
                invitations.append({"meeting_id": meeting_id, "user_id": user_id, "discipline_code": code,
                                    "role": "seat", "status": "accepted", "busy_from": row["starts_at"],
                                    "busy_until": row["ends_at"], "invited_at": row["created_at"],
                                    "responded_at": row["created_at"] + timedelta(days=1)})
                if user_id not in away:
                    attendance.append({"meeting_id": meeting_id, "user_id": user_id, "joined_at": row["starts_at"],
                                       "left_at": row["ends_at"], "source": "live"})
        session.execute(insert(Invitation), invitations)
        if attendance:
            session.execute(insert(Attendance), attendance)
        meetings_by_board[board.id] = rows

    # Cases: each site's referrals over the months, each discussed at the first meeting after its wait.
    plans = []
    for local, (per_month, typical_wait) in SITES.items():
        referrer = users.get(_email(local))
        if referrer is None:
            continue
        count = per_month * WEEKS * 7 // 30
        for index in range(count):
            board = boards[index % len(boards)]
            if not meetings_by_board.get(board.id):
                continue
            submitted = start + timedelta(seconds=chance.randrange(int((end - start).total_seconds() * 0.9)))
            urgent = chance.random() < 0.2
            wait = timedelta(days=max(0.5, chance.gauss(typical_wait * (0.4 if urgent else 1), typical_wait / 3)))
            fate = chance.random()
            plans.append((referrer, board, submitted, urgent, wait, fate, local, index))
    plans.sort(key=lambda plan: plan[2])
    case_rows, histories = [], []
    for referrer, board, submitted, urgent, wait, fate, local, index in plans:
        target = submitted + (timedelta(hours=72) if urgent else timedelta(days=14))
        meetings = [m for m in meetings_by_board[board.id] if m["starts_at"] >= submitted + wait]
        if fate < 0.05:
            kind, final = "withdrawn", "withdrawn"
        elif fate < 0.12:
            kind, final = "standard_of_care", "closed"
        elif not meetings:
            continue
        else:
            kind, final = "discussed", "closed"
        case_rows.append({"organization_id": referrer.organization_id, "referrer_id": referrer.id,
                          "board_id": board.id, "residency_region": referrer.organization.residency_region,
                          "state": final, "patient_reference": f"HIST-{local.split('.')[-1].upper()}-{index:04d}",
                          "urgency": "urgent" if urgent else "routine", "language": "en",
                          "cross_border_consent": True, "consent_recorded_at": submitted,
                          "consent_recorded_by_id": referrer.id, "icd10_code": "C34.9" if board.id == boards[0].id
                          else "C18.9", "submitted_at": submitted, "target_at": target,
                          "created_at": submitted - timedelta(hours=2), "updated_at": submitted})
        histories.append((kind, submitted, meetings, chance.random(), chance.random()))
    if not case_rows:
        return 0
    case_ids = session.scalars(insert(Case).returning(Case.id, sort_by_parameter_order=True), case_rows).all()

    transitions, items, outcomes, plans_for_follow_up = [], [], [], []
    for case_id, (kind, submitted, meetings, roll, follow), row in zip(case_ids, histories, case_rows):
        def move(from_state, to_state, when, actor, reason=None):
            transitions.append({"case_id": case_id, "from_state": from_state, "to_state": to_state,
                                "actor_id": actor, "reason": reason, "at": when})
        move("draft", "submitted", submitted, row["referrer_id"])
        if kind == "withdrawn":
            move("submitted", "withdrawn", submitted + timedelta(days=2), row["referrer_id"], "Treated locally.")
            continue
        if kind == "standard_of_care":
            move("submitted", "listed_not_discussed", submitted + timedelta(days=1), coordinator.id,
                 "Standard of care applies.")
            move("listed_not_discussed", "closed", submitted + timedelta(days=2), coordinator.id)
            continue
        rolled = roll < 0.1 and len(meetings) > 1
        first, discussed_at = meetings[0], (meetings[1] if rolled else meetings[0])["starts_at"]
        move("submitted", "triaged", submitted + timedelta(hours=20), coordinator.id)
        move("triaged", "scheduled", submitted + timedelta(days=1), coordinator.id)
        items.append({"meeting_id": first["id"], "case_id": case_id, "position": 1,
                      "status": "not_discussed" if rolled else "discussed", "added_by_id": coordinator.id,
                      "added_at": submitted + timedelta(days=1)})
        if rolled:
            items.append({"meeting_id": meetings[1]["id"], "case_id": case_id, "position": 1, "status": "discussed",
                          "added_by_id": None, "added_at": first["ends_at"], "rolled_from_meeting_id": first["id"]})
        meeting = meetings[1] if rolled else first
        signed = meeting["ends_at"] + timedelta(hours=6 + 40 * roll)
        move("scheduled", "discussed", discussed_at + timedelta(minutes=30), coordinator.id)
        move("discussed", "outcome_signed", signed, None)
        move("outcome_signed", "closed", signed + timedelta(days=1), coordinator.id)
        outcomes.append({"case_id": case_id, "meeting_id": meeting["id"], "version": 1, "category": "surgery",
                         "recommendation": "Proceed as discussed by the board.", "actions": [],
                         "drafted_by_id": coordinator.id, "created_at": discussed_at, "signed_at": signed})
        plans_for_follow_up.append((case_id, signed, follow))
    session.execute(insert(CaseTransition), transitions)
    if items:
        session.execute(insert(AgendaItem), items)
    outcome_ids = session.scalars(insert(Outcome).returning(Outcome.id, sort_by_parameter_order=True),
                                  outcomes).all() if outcomes else []
    follow_ups = []
    weights = [weight for _, weight in FOLLOW_UP]
    for outcome_id, (case_id, signed, follow) in zip(outcome_ids, plans_for_follow_up):
        occurred = signed.date() + timedelta(days=5 + int(follow * 30))
        if follow > 0.85 or occurred >= end.date():
            continue  # no follow-up recorded yet
        status = random.Random(outcome_id).choices([s for s, _ in FOLLOW_UP], weights)[0]
        follow_ups.append({"outcome_id": outcome_id, "case_id": case_id, "status": status, "occurred_on": occurred,
                           "reason": None if status == "carried_out" else "Patient preference.",
                           "recorded_by_id": coordinator.id, "recorded_at": signed + timedelta(days=40)})
    if follow_ups:
        session.execute(insert(OutcomeFollowUp), follow_ups)
    disciplines = [{"case_id": case_id, "discipline_code": "radiology"} for case_id in case_ids]
    session.execute(insert(case_disciplines), disciplines)
    session.flush()
    return len(case_ids)
