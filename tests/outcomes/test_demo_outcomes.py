"""The demo outcome: one signed outcome and the attendance history of its meeting."""
from sqlalchemy import select

from app.accounts.models import User
from app.boards.models import Board
from app.cases.models import Case
from app.demo.follow_ups import seed_follow_up
from app.demo.outcomes import CASE_REFERENCE, seed_outcomes
from app.demo.network import EMAIL_DOMAIN, seed_network
from app.meetings import attendance
from app.meetings.models import Attendance, Meeting
from app.notifications.models import Notification
from app.outcomes.models import Outcome
from app.timekeeping import now_utc, to_local


def users(session):
    return {user.email: user for user in session.scalars(select(User))}


def check_demo(session, outcome, at):
    assert outcome is not None and outcome.signed_at is not None and outcome.signed_at < at
    case = session.get(Case, outcome.case_id)
    assert case.state == "outcome_signed"
    meeting = session.get(Meeting, outcome.meeting_id)
    assert meeting.starts_at < at and meeting.status == "finished" and meeting.quorum_at_start
    rows = session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    assert rows and all(row.left_at is not None for row in rows)
    signers = {signature.user_id for signature in outcome.signatures}
    assert signers <= attendance.present_user_ids(session, meeting)
    note = session.scalars(select(Notification).where(Notification.user_id == case.referrer_id,
                                                      Notification.kind == "outcome_signed")).one()
    letter = [a for a in case.attachments if a.filename.startswith(f"outcome-letter-case-{case.id}-v1-")]
    assert len(letter) == 1 and note.link == f"/api/v1/attachments/{letter[0].id}/content"
    return case, meeting, rows


def test_demo_outcome_on_its_own(session):
    """Only the demo people exist: a minimal board meeting in the past is made for the outcome."""
    seed_network(session, "meridian-demo")
    at = now_utc()
    outcome = seed_outcomes(session, users(session), at)
    session.commit()
    case, meeting, rows = check_demo(session, outcome, at)
    assert case.patient_reference == CASE_REFERENCE
    assert case.referrer.email == f"referrer@{EMAIL_DOMAIN}"
    # Someone dropped out and came back: two stretches for one person.
    per_person = {}
    for row in rows:
        per_person[row.user_id] = per_person.get(row.user_id, 0) + 1
    assert 2 in per_person.values()
    # The referrer reports the recommendation carried out, on a day between the meeting and today.
    record = seed_follow_up(session, outcome, at)
    assert record.status == "carried_out" and record.recorded_by_id == case.referrer_id
    # Both days are local: the meeting's in its host zone, today in the referrer's (Shanghai is already
    # on the next day while UTC is not).
    assert (to_local(meeting.starts_at, meeting.host_timezone).date() <= record.occurred_on
            <= to_local(at, case.referrer.timezone).date())
    # Again: nothing new.
    assert seed_follow_up(session, outcome, at) is None
    assert seed_outcomes(session, users(session), at).id == outcome.id
    assert session.scalars(select(Outcome)).all() == [outcome]


def test_demo_outcome_with_the_other_demo_modules(session):
    from app.demo.boards import seed_boards
    from app.demo.cases import seed_cases
    from app.demo.specialists import seed_specialists

    seed_network(session, "meridian-demo")
    at = now_utc()
    seed_specialists(session, users(session), at, password="meridian-demo")
    seed_boards(session, users(session), at)
    seed_cases(session, users(session), at)
    outcome = seed_outcomes(session, users(session), at)
    session.commit()
    _, meeting, _ = check_demo(session, outcome, at)
    # The outcome lands on the demo thoracic board, signed by its four quorum disciplines.
    assert session.get(Board, meeting.board_id).name == "Thoracic Oncology MDT"
    assert sorted(s.discipline_code for s in outcome.signatures) == [
        "medical-oncology", "pathology", "radiology", "thoracic-surgery"]
