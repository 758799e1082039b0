"""Scheduler jobs: reminders exactly once, urgent ad-hoc meetings, agenda circulation, alerts."""
from datetime import timedelta

from sqlalchemy import select

from app.cases.models import Case
from app.meetings import booking, jobs
from app.meetings.models import Meeting
from app.notifications.models import Notification
from app.scheduler.jobs import job_by_id
from app.scheduler.runner import run_job
from app.timekeeping import now_utc
from tests.meetings.conftest import in_hours


def notes(session, kind):
    session.expire_all()
    return session.scalars(select(Notification).where(Notification.kind == kind)).all()


def test_reminders_are_sent_once_in_each_recipients_zone_even_across_restarts(app, session, specialist,
                                                                              meeting_at):
    user = specialist("Dr Sen", ["radiology"])
    meeting = meeting_at(in_hours(2), title="Thoracic MDT")
    booking.invite(session, meeting, user, discipline_code="radiology", at=now_utc())
    session.commit()
    first_run = run_job(app, job_by_id("send-reminders"))   # 24 h reminder is due, 15 min not yet
    assert first_run == 1
    assert run_job(app, job_by_id("send-reminders")) == 0   # a restart or a second scheduler: nothing twice
    (reminder,) = notes(session, "meeting.reminder.24h")
    assert "(Asia/Shanghai, UTC+08:00)" in reminder.subject and "Thoracic MDT" in reminder.subject
    assert jobs.send_reminders(session, meeting.starts_at - timedelta(minutes=10)) == 1  # the 15-minute one
    session.commit()
    assert len(notes(session, "meeting.reminder.15m")) == 1


def test_a_meeting_booked_13_minutes_ahead_gets_only_the_15_minute_reminder(session, specialist, meeting_at):
    user = specialist("Dr Sen", ["radiology"])
    meeting = meeting_at(in_hours(2), title="Thoracic MDT")
    booking.invite(session, meeting, user, discipline_code="radiology", at=now_utc())
    session.commit()
    at = meeting.starts_at - timedelta(minutes=13)
    assert jobs.send_reminders(session, at) == 1
    assert jobs.send_reminders(session, at + timedelta(minutes=1)) == 0
    session.commit()
    assert notes(session, "meeting.reminder.24h") == []
    assert [n.user_id for n in notes(session, "meeting.reminder.15m")] == [user.id]


def test_urgent_case_gets_an_adhoc_meeting_with_the_referrer(session, specialist, board, meeting_at, triaged_case):
    meeting_at(in_hours(24 * 6), board=board)  # the board's next meeting is after the case's target
    radiologist = specialist("Rad", ["radiology"])
    pathologist = specialist("Path", ["pathology"])
    case = triaged_case(board, urgency="urgent", target_in=timedelta(hours=72))
    assert jobs.schedule_urgent_cases(session, now_utc()) == 1
    session.commit()
    adhoc = session.scalar(select(Meeting).where(Meeting.kind == "adhoc"))
    assert adhoc.starts_at < case.target_at
    roles = {(i.user_id, i.role, i.discipline_code) for i in adhoc.invitations}
    assert {(radiologist.id, "seat", "radiology"), (pathologist.id, "seat", "pathology"),
            (triaged_case.referrer.id, "attendee", None), (board.coordinator.id, "chair", None)} == roles
    assert session.get(Case, case.id).state == "scheduled"
    assert jobs.schedule_urgent_cases(session, now_utc()) == 0  # nothing left to do


def test_an_urgent_case_s_seats_are_licensed_where_it_was_referred(session, specialist, board, meeting_at,
                                                                   triaged_case):
    """A seat on a meeting whose agenda lists the case needs a licence in its referring site's country."""
    from app.specialists.models import Licence, SpecialistProfile

    meeting_at(in_hours(24 * 6), board=board)
    licensed_elsewhere = specialist("Rad Elsewhere", ["radiology"])
    licence = session.scalar(select(Licence).join(SpecialistProfile, SpecialistProfile.id == Licence.profile_id)
                             .where(SpecialistProfile.user_id == licensed_elsewhere.id))
    licence.jurisdiction = "KE"
    specialist("Path", ["pathology"])
    case = triaged_case(board, urgency="urgent", target_in=timedelta(hours=72))
    assert case.organization.country == "CN"
    assert jobs.schedule_urgent_cases(session, now_utc()) == 0
    session.commit()
    assert session.scalar(select(Meeting).where(Meeting.kind == "adhoc")) is None
    (alert,) = notes(session, "case.no_slot")
    assert "Radiology: 0 of 1 available" in alert.body

    licensed_there = specialist("Rad", ["radiology"])
    assert jobs.schedule_urgent_cases(session, now_utc()) == 1
    session.commit()
    adhoc = session.scalar(select(Meeting).where(Meeting.kind == "adhoc"))
    assert [i.user_id for i in adhoc.invitations if i.discipline_code == "radiology"] == [licensed_there.id]


def test_no_slot_tells_the_coordinators_why_once(session, specialist, board, triaged_case):
    specialist("Rad", ["radiology"])  # nobody holds pathology
    case = triaged_case(board, urgency="urgent", target_in=timedelta(hours=72))
    assert jobs.schedule_urgent_cases(session, now_utc()) == 0
    jobs.schedule_urgent_cases(session, now_utc())
    session.commit()
    (alert,) = notes(session, "case.no_slot")
    assert alert.user_id == board.coordinator.id and f"#{case.id}" in alert.subject
    assert "Pathology: 0 of 0 available" in alert.body


def test_agenda_circulates_once_at_the_cutoff(session, specialist, board, meeting_at):
    user = specialist("Rad", ["radiology"])
    meeting = meeting_at(in_hours(30), board=board)
    booking.invite(session, meeting, user, discipline_code="radiology", at=now_utc())
    session.commit()
    assert jobs.circulate_agendas(session, now_utc()) == 0      # cut-off is 24 h before: not yet
    at_cutoff = meeting.starts_at - timedelta(hours=23)
    assert jobs.circulate_agendas(session, at_cutoff) == 1
    assert jobs.circulate_agendas(session, at_cutoff) == 0
    session.commit()
    assert {n.user_id for n in notes(session, "meeting.agenda")} == {user.id, board.coordinator.id}


def test_at_risk_quorum_alerts_48_hours_ahead(session, specialist, board, meeting_at):
    specialist("Rad", ["radiology"])
    meeting = meeting_at(in_hours(24 * 4), board=board)
    assert jobs.alert_at_risk_quorum(session, now_utc()) == 0
    assert jobs.alert_at_risk_quorum(session, meeting.starts_at - timedelta(hours=47)) == 1
    assert jobs.alert_at_risk_quorum(session, meeting.starts_at - timedelta(hours=46)) == 0
    session.commit()
    (alert,) = notes(session, "meeting.quorum_at_risk")
    assert "Pathology" in alert.body


def test_late_cases_are_reported_once(session, board, triaged_case):
    case = triaged_case(board, target_in=timedelta(hours=-1))
    assert jobs.alert_late_cases(session, now_utc()) == 1
    assert jobs.alert_late_cases(session, now_utc()) == 0
    session.commit()
    assert f"#{case.id}" in notes(session, "case.late")[0].subject
