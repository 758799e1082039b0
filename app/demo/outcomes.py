"""Demo outcomes: one signed MDT outcome and the attendance history of the meeting that made it.

Plain Python over a session; the caller commits. Call after the demo users (and, ideally, the demo
specialists, boards and cases) exist. If a case is already `discussed` at a past board meeting and
every discipline it needs had a seated specialist there, that case gets the outcome. Otherwise a
minimal past meeting of a demo board is made here: a case moved through the real `transition`,
its agenda item, seat invitations, attendance stretches (one specialist drops out and rejoins)
and the quorum at the start. The outcome is drafted and signed with the real operations, so the
case ends `outcome_signed` and the referrer has a notification. Safe to call again: the demo
case is found by its patient reference and left alone.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.boards.models import Board, BoardMember, QuorumRequirement
from app.cases import operations as cases
from app.cases import workflow
from app.cases.models import Case
from app.meetings import attendance
from app.meetings.models import AgendaItem, Invitation, Meeting
from app.outcomes import operations
from app.outcomes.models import Outcome
from app.specialists.models import Discipline, SpecialistProfile
from app.specialists.operations import booked_intervals, find_profile
from app.timekeeping import ensure_utc, from_local, to_local

CASE_REFERENCE = "FCG-2026-0198"
# Boards the other demo modules create, in order of preference; then one of our own.
BOARD_NAMES = ("Thoracic Oncology MDT", "Fangchenggang Thoracic Oncology MDT")
OWN_BOARD = "Fangchenggang Lung Nodule MDT"
OWN_QUORUM = ("radiology", "pathology", "thoracic-surgery")
# Who is who when the demo specialists have no profiles: e-mail prefix -> discipline.
PREFIXES = {"radiologist.": "radiology", "pathologist.": "pathology", "oncologist.": "medical-oncology",
            "surgeon.": "thoracic-surgery", "clinonc.": "clinical-oncology"}
WEEKS_BACK = 12

CASE_VALUES = {
    "patient_reference": CASE_REFERENCE, "year_of_birth": 1959, "sex": "male", "country_of_residence": "CN",
    "icd10_code": "C34.1", "diagnosis": "Adenocarcinoma of the right upper lobe, cT2aN0M0",
    "performance_status": 1, "frailty_score": 3,
    "clinical_summary": "Former smoker (30 pack-years). CT: 3.4 cm spiculated RUL mass; PET-CT avid, no nodal "
                        "or distant uptake. EBUS negative. FEV1 82% predicted, DLCO 74%.",
    "question": "Lobectomy, or stereotactic radiotherapy?", "urgency": "routine", "language": "zh",
    "cross_border_consent": True,
}
OUTCOME = {
    "recommendation": "Right upper lobectomy with systematic nodal dissection (VATS approach). Adjuvant "
                      "treatment to be decided on the final pathology.",
    "category": "surgery",
    "rationale": "Operable stage I disease with adequate lung function; surgery offers the best "
                 "pathological staging. SBRT remains the alternative if the patient declines surgery.",
    "dissent": None,
    # 3.4 cm, no nodal or distant disease: cT2a cN0 cM0, stage IB (UICC 8th edition).
    "tnm_edition": 8, "clinical_t": "T2a", "clinical_n": "N0", "clinical_m": "M0", "stage_group": "IB",
}


def _email(local_part: str) -> str:
    from app.demo.network import EMAIL_DOMAIN

    return f"{local_part}@{EMAIL_DOMAIN}"


def _is_specialist(user: User | None) -> bool:
    return user is not None and user.is_active and user.has_role("specialist")


def _disciplines_of(session: Session, user: User) -> set[str]:
    profile = find_profile(session, user.id)
    if profile is not None:
        return set(profile.discipline_codes)
    local = user.email.split("@", 1)[0]
    return {code for prefix, code in PREFIXES.items() if local.startswith(prefix)}


def _staff(session: Session, board: Board | None, users: dict[str, User], disciplines, *,
           partial: bool = False) -> dict[str, User] | None:
    """One specialist per discipline (board members first), nobody twice. None if one is missing,
    unless `partial` (then the disciplines nobody can take are left out)."""
    members = []
    if board is not None:
        members = [session.get(User, m.user_id) for m in sorted(board.members, key=lambda m: m.role != "core")
                   if m.role in ("core", "deputy")]
    candidates = members + sorted(users.values(), key=lambda user: user.email)
    team: dict[str, User] = {}
    for code in disciplines:
        for user in candidates:
            if _is_specialist(user) and user not in team.values() and code in _disciplines_of(session, user):
                team[code] = user
                break
        else:
            if not partial:
                return None
    return team


def _coordinator_of(session: Session, board: Board) -> User | None:
    return session.scalar(select(User).join(BoardMember, BoardMember.user_id == User.id).where(
        BoardMember.board_id == board.id, BoardMember.role == "coordinator", User.is_active.is_(True))
        .order_by(BoardMember.id).limit(1))


def _buffers(session: Session, user: User) -> tuple[timedelta, timedelta]:
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == user.id))
    if profile is None:
        return timedelta(0), timedelta(0)
    return timedelta(minutes=profile.buffer_before_minutes), timedelta(minutes=profile.buffer_after_minutes)


def _free(session: Session, people, starts: datetime, ends: datetime) -> bool:
    for user in people:
        before, after = _buffers(session, user)
        if booked_intervals(session, user.id, starts - before, ends + after):
            return False
    return True


def _past_slot(session: Session, board: Board, people, at: datetime):
    """The latest board date at least three days before `at` with no meeting and nobody booked."""
    day = to_local(at, board.timezone).date() - timedelta(days=3)
    day -= timedelta(days=(day.weekday() - board.weekday) % 7)
    for _ in range(WEEKS_BACK):
        starts = from_local(datetime.combine(day, board.start_time), board.timezone)
        ends = starts + timedelta(minutes=board.duration_minutes)
        taken = session.scalar(select(Meeting.id).where(Meeting.board_id == board.id,
                                                        Meeting.occurrence_date == day))
        if taken is None and _free(session, people, starts, ends):
            return day, starts, ends
        day -= timedelta(weeks=1)
    return None


def _choose_board(session: Session, users: dict[str, User], at: datetime):
    """(board, coordinator, team) for an existing demo board we can staff, else one of our own."""
    for name in BOARD_NAMES:
        board = session.scalar(select(Board).where(Board.name == name, Board.is_active.is_(True)))
        if board is None:
            continue
        quorum = [q.discipline_code for q in board.quorum] or list(OWN_QUORUM)
        team = _staff(session, board, users, quorum)
        coordinator = _coordinator_of(session, board)
        if team is not None and coordinator is not None:
            return board, coordinator, team
    coordinator = users.get(_email("coordinator"))
    if coordinator is None:
        return None
    board = session.scalar(select(Board).where(Board.name == OWN_BOARD))
    known = set(session.scalars(select(Discipline.code)))
    disciplines = [code for code in OWN_QUORUM if code in known]
    team = _staff(session, None, users, disciplines, partial=True)
    if not team:
        return None
    if board is None:
        local_today = to_local(at, coordinator.organization.timezone).date()
        board = Board(name=OWN_BOARD, host_organization_id=coordinator.organization_id,
                      timezone=coordinator.organization.timezone, weekday=1,
                      start_time=datetime.strptime("15:00", "%H:%M").time(), duration_minutes=90,
                      anchor_date=local_today - timedelta(days=(local_today.weekday() - 1) % 7),
                      created_at=at - timedelta(weeks=WEEKS_BACK + 2))
        session.add(board)
        session.flush()
        for code in team:
            session.add(QuorumRequirement(board_id=board.id, discipline_code=code, count=1))
        session.add(BoardMember(board_id=board.id, user_id=coordinator.id, role="coordinator"))
        for code, user in team.items():
            session.add(BoardMember(board_id=board.id, user_id=user.id, role="core", discipline_code=code))
        session.flush()
        session.refresh(board)
    return board, coordinator, team


def _invite(session: Session, meeting: Meeting, user: User, *, role: str, discipline: str | None,
            status: str, at: datetime) -> Invitation:
    before, after = _buffers(session, user)
    invitation = Invitation(meeting_id=meeting.id, user_id=user.id, discipline_code=discipline, role=role,
                            status=status, busy_from=meeting.starts_at - before,
                            busy_until=meeting.ends_at + after, invited_at=at, responded_at=at)
    session.add(invitation)
    return invitation


def _build_meeting(session: Session, users: dict[str, User], at: datetime):
    """A finished past board meeting with the demo case discussed on it; (case, meeting) or None."""
    referrer = users.get(_email("referrer"))
    chosen = _choose_board(session, users, at)
    if referrer is None or not referrer.has_role("referrer") or chosen is None:
        return None
    board, coordinator, team = chosen
    slot = _past_slot(session, board, team.values(), at)
    if slot is None:
        return None
    day, starts, ends = slot
    chair = team.get("thoracic-surgery") or next(iter(team.values()))

    # The referral, moved through its life the way the product moves it.
    created = starts - timedelta(days=9)
    case = cases.create_case(session, referrer, dict(CASE_VALUES, disciplines=list(team), board_id=board.id),
                             at=created)
    targets = workflow.SubmissionTargets(urgent=timedelta(hours=72), routine=timedelta(days=14))
    workflow.transition(session, case, "submitted", referrer, at=created + timedelta(hours=1), targets=targets)
    workflow.transition(session, case, "triaged", coordinator, at=created + timedelta(days=1))

    meeting = Meeting(board_id=board.id, occurrence_date=day, title=board.name, kind="board", starts_at=starts,
                      ends_at=ends, host_timezone=board.timezone, status="scheduled", created_by_id=coordinator.id,
                      chair_id=chair.id, created_at=created, updated_at=created)
    session.add(meeting)
    session.flush()
    session.add(AgendaItem(meeting_id=meeting.id, case_id=case.id, position=1, status="listed",
                           added_by_id=coordinator.id, added_at=created + timedelta(days=2)))
    workflow.transition(session, case, "scheduled", coordinator, at=created + timedelta(days=2),
                        reason_code="agenda.listed", reason_params={"title": meeting.title})
    for code, user in team.items():
        _invite(session, meeting, user, role="seat", discipline=code, status="accepted",
                at=created + timedelta(days=2))
    session.flush()

    # The attendance history: on time, late, and one who dropped out and came back.
    people = list(team.values())
    for index, user in enumerate(people):
        attendance.mark_joined(session, meeting, user, at=starts - timedelta(minutes=3) + timedelta(minutes=4 * index),
                               source="live")
    attendance.record_quorum_at_start(session, meeting, at=starts + timedelta(minutes=10))
    meeting.status = "in_progress"
    if len(people) > 1:
        dropped = people[1]
        attendance.mark_left(session, meeting, dropped, at=starts + timedelta(minutes=22), source="live")
        attendance.mark_joined(session, meeting, dropped, at=starts + timedelta(minutes=29), source="live")
    discussed_at = starts + timedelta(minutes=40)
    item = session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id,
                                                   AgendaItem.case_id == case.id))
    item.status = "discussed"
    workflow.transition(session, case, "discussed", chair, at=discussed_at, reason_code="meeting.discussed",
                        reason_params={"meeting_id": meeting.id})
    finished = ends - timedelta(minutes=5)
    for user in people:
        attendance.mark_left(session, meeting, user, at=finished, source="live")
    meeting.status, meeting.finished_at, meeting.updated_at = "finished", finished, finished
    session.flush()
    return case, meeting


def _existing_discussed(session: Session, at: datetime):
    """A discussed case of someone else's seeding, on a past meeting, whose seats cover it."""
    rows = session.execute(
        select(Case, Meeting).join(AgendaItem, AgendaItem.case_id == Case.id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(Case.state == "discussed", AgendaItem.status == "discussed", Meeting.starts_at < at)
        .order_by(Meeting.starts_at.desc())).all()
    for case, meeting in rows:
        if session.scalar(select(Outcome.id).where(Outcome.case_id == case.id).limit(1)) is not None:
            continue
        seats = {}
        for invitation in session.scalars(select(Invitation).where(
                Invitation.meeting_id == meeting.id, Invitation.role == "seat",
                Invitation.status.not_in(("withdrawn", "declined")))):
            user = session.get(User, invitation.user_id)
            if _is_specialist(user):
                seats.setdefault(invitation.discipline_code, user)
        required = operations.required_disciplines(session, case, meeting)
        if required and all(code in seats for code in required):
            return case, meeting, {code: seats[code] for code in required}
    return None


def _drafter(session: Session, case: Case, meeting: Meeting, team: dict[str, User]) -> User:
    if meeting.chair_id is not None:
        return session.get(User, meeting.chair_id)
    return next(iter(team.values()))


def seed_outcomes(session: Session, users_by_email: dict[str, User], at: datetime) -> Outcome | None:
    """Produce one signed outcome (and its meeting's attendance history); return it, or None when
    the demo lacks the people to make one. Does nothing if the demo case already exists."""
    at = ensure_utc(at)
    session.flush()
    users = dict(users_by_email)
    existing = session.scalar(select(Case).where(Case.patient_reference == CASE_REFERENCE))
    if existing is not None:
        return operations.current_signed(operations.versions_of(session, existing))

    found = _existing_discussed(session, at)
    if found is not None:
        case, meeting, team = found
        start, end = attendance.meeting_window(meeting)
        for index, user in enumerate(team.values()):
            if not attendance.was_present(session, meeting, user.id):
                attendance.mark_joined(session, meeting, user, at=start + timedelta(minutes=2 * index), source="live")
                attendance.mark_left(session, meeting, user, at=end, source="live")
        if meeting.quorum_at_start is None:
            attendance.record_quorum_at_start(session, meeting, at=start + timedelta(minutes=10))
    else:
        built = _build_meeting(session, users, at)
        if built is None:
            return None
        case, meeting = built
        team = {inv.discipline_code: session.get(User, inv.user_id) for inv in session.scalars(
            select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.role == "seat"))}

    _, end = attendance.meeting_window(meeting)
    drafted_at = min(at - timedelta(minutes=30), end + timedelta(minutes=20))
    drafter = _drafter(session, case, meeting, team)
    due = (to_local(meeting.starts_at, meeting.host_timezone).date() + timedelta(days=14)).isoformat()
    actions = [{"action": "Book the lobectomy and the pre-operative anaesthetic assessment",
                "owner_id": case.referrer_id, "due": due}]
    outcome, _ = operations.save_draft(session, case, drafter, dict(OUTCOME, actions=actions), at=drafted_at)
    from app.demo.follow_ups import demo_letter_store

    for index, user in enumerate(team.values()):
        operations.sign(session, outcome, user, at=drafted_at + timedelta(minutes=5 * (index + 1)),
                        letter_store=demo_letter_store())
    session.flush()
    return outcome if outcome.signed_at is not None else None
