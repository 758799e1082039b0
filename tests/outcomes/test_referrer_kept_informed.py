"""The referrer is told what the board does with their referral: triaged or returned (with the reason),
scheduled (the meeting's date in their zone and language), taken off the agenda, discussed, and the
outcome signed with its letter. The domain tells them, whoever made the move (API, page or scheduler)."""
from datetime import date, timedelta

from sqlalchemy import select

from app.cases import operations as cases, workflow
from app.meetings import agenda
from app.meetings.models import Meeting
from app.notifications.models import Notification
from tests.outcomes.conftest import CASE_CREATED, MEETING_START

TARGETS = workflow.SubmissionTargets(urgent=timedelta(hours=72), routine=timedelta(days=14))


def submitted_case(session, world, reference):
    values = {"patient_reference": reference, "year_of_birth": 1970, "sex": "male", "country_of_residence": "CN",
              "icd10_code": "C18.7", "diagnosis": "Sigmoid adenocarcinoma", "performance_status": 0,
              "clinical_summary": "Obstructing lesion.", "question": "Resect first?", "urgency": "routine",
              "disciplines": ["radiology"], "language": "zh", "board_id": world.board.id,
              "cross_border_consent": True}
    case = cases.create_case(session, world.referrer, values, at=CASE_CREATED)
    workflow.transition(session, case, "submitted", world.referrer, at=CASE_CREATED, targets=TARGETS)
    return case


def told(session, world, case_id):
    session.flush()
    return [n for n in session.scalars(select(Notification).where(Notification.user_id == world.referrer.id)
                                       .order_by(Notification.id))
            if n.params.get("case_id") == case_id]


def test_the_referrer_is_told_of_each_step_in_their_language_and_zone(session, world):
    world.referrer.display_timezone, world.referrer.locale = "Africa/Nairobi", "ru"
    returned = submitted_case(session, world, "NBO-2025-0001")
    assert told(session, world, returned.id) == []  # their own submission: nothing to tell
    workflow.transition(session, returned, "returned", world.coordinator, at=CASE_CREATED + timedelta(hours=2),
                        reason="Attach the CT report.")
    [note] = told(session, world, returned.id)
    assert note.kind == "case.returned" and note.link == f"/cases/{returned.id}"
    text = note.rendered(locale="ru", zone="Africa/Nairobi")
    assert text.subject == f"Случай #{returned.id} возвращён вам" and "Attach the CT report." in text.body

    case = submitted_case(session, world, "NBO-2025-0002")
    workflow.transition(session, case, "triaged", world.coordinator, at=CASE_CREATED + timedelta(hours=3))
    upcoming = Meeting(board_id=world.board.id, occurrence_date=date(2025, 11, 12), title="Thoracic MDT 12 Nov",
                       kind="board", starts_at=MEETING_START + timedelta(days=7),
                       ends_at=MEETING_START + timedelta(days=7, hours=2), host_timezone="Asia/Shanghai",
                       status="scheduled", chair_id=world.chair.id)
    session.add(upcoming)
    session.flush()
    agenda.add_case(session, upcoming, case, world.coordinator, at=CASE_CREATED + timedelta(days=1),
                    as_coordinator=True)
    triaged, scheduled = told(session, world, case.id)
    assert triaged.kind == "case.triaged" and scheduled.kind == "case.scheduled"
    # 06:00 UTC is 09:00 in Nairobi and 14:00 in Shanghai: each reader sees their own wall clock.
    in_nairobi = scheduled.rendered(locale="ru", zone="Africa/Nairobi")
    assert in_nairobi.subject.startswith(f"Случай #{case.id} будет обсуждён") and "09:00" in in_nairobi.subject
    assert "Thoracic MDT 12 Nov" in in_nairobi.body
    assert "14:00" in scheduled.rendered(locale="zh", zone="Asia/Shanghai").subject

    item = upcoming.agenda[-1]
    agenda.remove_case(session, item, world.coordinator, at=CASE_CREATED + timedelta(days=2),
                       reason="The CT needs a second read.")
    unscheduled = told(session, world, case.id)[-1]
    assert unscheduled.kind == "case.unscheduled"
    assert "The CT needs a second read." in unscheduled.rendered(locale="en", zone="UTC").body


def test_discussion_and_signing_are_told_once(session, world):
    notes = told(session, world, world.case.id)
    assert [n.kind for n in notes] == ["case.triaged", "case.discussed"]
    assert notes[-1].rendered(locale="zh", zone="Asia/Shanghai").subject == f"病例 #{world.case.id} 已讨论"


def test_the_e_mail_copy_is_in_the_referrers_language_and_zone(session, world):
    from app.notifications.delivery import email_for

    world.referrer.display_timezone, world.referrer.locale = "Africa/Nairobi", "ru"
    case = submitted_case(session, world, "NBO-2025-0003")
    workflow.transition(session, case, "triaged", world.coordinator, at=CASE_CREATED + timedelta(hours=3))
    [note] = told(session, world, case.id)
    message = email_for(note, world.referrer, base_url="https://meridian.example", sender="mdt@meridian.example")
    assert message["Subject"] == f"[Meridian] Случай #{case.id} принят к обсуждению"
    assert f"https://meridian.example/cases/{case.id}" in message.get_content()


def test_a_referrer_who_takes_part_is_given_the_meetings_call_with_the_date(session, world):
    from tests.outcomes.conftest import _invite

    world.referrer.display_timezone, world.referrer.locale = "Africa/Nairobi", "en"
    meetings = []
    for days, title in ((7, "Thoracic MDT 12 Nov"), (14, "Thoracic MDT 19 Nov")):
        meeting = Meeting(board_id=world.board.id, occurrence_date=date(2025, 11, 5) + timedelta(days=days),
                          title=title, kind="board", starts_at=MEETING_START + timedelta(days=days),
                          ends_at=MEETING_START + timedelta(days=days, hours=2), host_timezone="Asia/Shanghai",
                          status="scheduled", chair_id=world.chair.id,
                          conference_url=f"https://meet.example.org/thoracic-{days}")
        session.add(meeting)
        meetings.append(meeting)
    session.flush()
    attended, not_attended = meetings
    _invite(session, attended, world.referrer, role="attendee")
    for meeting, reference in ((attended, "NBO-2025-0004"), (not_attended, "NBO-2025-0005")):
        case = submitted_case(session, world, reference)
        workflow.transition(session, case, "triaged", world.coordinator, at=CASE_CREATED + timedelta(hours=3))
        agenda.add_case(session, meeting, case, world.coordinator, at=CASE_CREATED + timedelta(days=1),
                        as_coordinator=True)
        scheduled = told(session, world, case.id)[-1].rendered(locale="en", zone="Africa/Nairobi")
        if meeting is attended:
            assert "Join the call: https://meet.example.org/thoracic-7" in scheduled.body
        else:  # they do not take part: no way in to offer
            assert "Join the call" not in scheduled.body and "meet.example.org" not in scheduled.body
