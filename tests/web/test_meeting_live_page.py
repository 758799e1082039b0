"""The live meeting page (/meetings/<id>/live) through the Flask test client: who may open it, who gets the
chair's controls, what each access level shows of a case, and that reading the cases is audited."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.cases.workflow import transition
from app.meetings import live
from app.meetings import agenda
from app.meetings.models import AgendaItem, Meeting
from app.timekeeping import now_utc

FULL_CASE = "FCG-2026-0264"          # consent given: everyone related sees it in full
FULL_DIAGNOSIS = "Adenocarcinoma, right upper lobe, EGFR exon 19 deletion"
SUMMARY_CASE = "KNH-2026-9001"       # Nairobi, no cross-border consent: the thoracic board sees a summary
SUMMARY_DIAGNOSIS = "Large cell neuroendocrine carcinoma"


def text(response) -> str:
    return response.get_data(as_text=True)


def case_by_reference(session, reference: str) -> Case:
    return session.scalar(select(Case).where(Case.patient_reference == reference))


@pytest.fixture
def meeting(demo, session) -> Meeting:
    """The demo's next Thoracic meeting, whose agenda lists the consented case."""
    case = case_by_reference(session, FULL_CASE)
    item = session.scalar(select(AgendaItem).where(AgendaItem.case_id == case.id, AgendaItem.status == "listed"))
    return session.get(Meeting, item.meeting_id)


@pytest.fixture
def summary_case(demo, session, meeting) -> Case:
    """A Kenyan referral without cross-border consent, triaged and put on the same agenda."""
    from datetime import timedelta

    from app.cases import operations, workflow

    referrer, coordinator = demo["referrer.nairobi"], demo["coordinator"]
    case = operations.create_case(session, referrer, {
        "patient_reference": SUMMARY_CASE, "year_of_birth": 1980, "sex": "female", "country_of_residence": "KE",
        "icd10_code": "C34.1", "diagnosis": SUMMARY_DIAGNOSIS + ", left upper lobe", "performance_status": 2,
        "clinical_summary": "Presented with haemoptysis.", "question": "Is there a curative option?",
        "urgency": "urgent", "disciplines": ["radiology", "pathology"], "language": "en",
        "cross_border_consent": False, "board_id": meeting.board_id}, at=now_utc())
    targets = workflow.SubmissionTargets(urgent=timedelta(hours=72), routine=timedelta(days=14))
    transition(session, case, "submitted", referrer, at=now_utc(), targets=targets)
    transition(session, case, "triaged", coordinator, at=now_utc())
    agenda.add_case(session, meeting, case, coordinator, at=now_utc(), as_coordinator=True)
    session.commit()
    return case


def started(session, meeting, chair):
    """Run the meeting (as at its start time: the domain takes the instant)."""
    live.start(session, meeting, chair, at=meeting.starts_at)
    session.commit()
    return meeting


def test_strangers_are_sent_to_sign_in(client):
    response = client.get("/meetings/1/live")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("who", ["referrer.nairobi", "referrer.tashkent"])
def test_outsiders_get_404_like_the_meeting_page(demo, sign_in, client, meeting, who):
    sign_in(demo[who])
    assert client.get(f"/meetings/{meeting.id}/live").status_code == 404
    assert client.get(f"/meetings/{meeting.id}").status_code == 404
    assert client.get("/meetings/999999/live").status_code == 404


def test_meeting_page_links_to_the_live_page(demo, sign_in, client, meeting):
    sign_in(demo["radiologist.kolkata"])
    html = text(client.get(f"/meetings/{meeting.id}"))
    assert f'href="/meetings/{meeting.id}/live"' in html


def test_chair_gets_the_controls(demo, sign_in, client, session, meeting):
    case = case_by_reference(session, FULL_CASE)
    sign_in(demo["coordinator"])   # coordinator of the board: runs the live meeting
    html = text(client.get(f"/meetings/{meeting.id}/live"))
    assert "data-chair-controls" in html
    assert re.search(r'<button[^>]*data-action="start"[^>]*>Start meeting</button>', html)
    assert re.search(r'data-action="finish"[^>]*disabled[^>]*>Finish meeting</button>', html)  # not running yet
    assert f"Make case #{case.id} current</button>" in html and f"Mark case #{case.id} discussed</button>" in html
    assert 'data-state-url="/api/v1/meetings/%d/live"' % meeting.id in html
    assert "js/pages/meeting_live.js" in html and "js/live.js" in html


@pytest.mark.parametrize("who", ["radiologist.kolkata", "referrer", "coordinator.almaty", "admin"])
def test_others_who_may_see_the_meeting_get_no_controls(demo, sign_in, client, meeting, who):
    sign_in(demo[who])
    response = client.get(f"/meetings/{meeting.id}/live")
    assert response.status_code == 200
    html = text(response)
    assert "data-chair-controls" not in html
    assert 'data-action="start"' not in html and 'data-action="current"' not in html
    assert 'data-action="discussed"' not in html and 'data-action="finish"' not in html


def test_current_case_is_marked_and_presence_names_each_zone(demo, sign_in, client, session, meeting):
    from app.meetings import attendance

    case = case_by_reference(session, FULL_CASE)
    started(session, meeting, demo["coordinator"])
    attendance.mark_joined(session, meeting, demo["radiologist.kolkata"], at=now_utc())
    session.commit()
    sign_in(demo["oncologist.moscow"])  # who reads Meridian in Russian
    html = text(client.get(f"/meetings/{meeting.id}/live"))
    item = re.search(rf'<li class="card live-item" data-case-id="{case.id}"[^>]*>', html).group(0)
    assert 'aria-current="true"' in item
    assert "идёт" in html  # in progress
    # Present now: the radiologist, with her local time, zone (as Russian names it) and offset.
    presence = html.split("data-presence", 1)[1].split("</ul>", 1)[0]
    assert "Dr Ananya Sen" in presence
    assert re.search(r"\d\d:\d\d\s+\(Калькутта, UTC\+05:30\)", presence)


def test_notes_are_editable_only_for_those_allowed(demo, sign_in, client, session, meeting):
    started(session, meeting, demo["coordinator"])
    sign_in(demo["radiologist.kolkata"])     # a seat: may edit
    html = text(client.get(f"/meetings/{meeting.id}/live"))
    textarea = re.search(r'<textarea id="live-notes"[^>]*>', html).group(0)
    assert "readonly" not in textarea
    assert '<label for="live-notes">' in html and 'data-action="save-notes"' in html
    client.post("/logout")
    sign_in(demo["referrer"])                # a board observer: reads only
    html = text(client.get(f"/meetings/{meeting.id}/live"))
    textarea = re.search(r'<textarea id="live-notes"[^>]*>', html).group(0)
    assert "readonly" in textarea and 'data-action="save-notes"' not in html


def test_outcome_form_and_sign_button_follow_the_roles(demo, sign_in, client, meeting):
    sign_in(demo["radiologist.kolkata"])     # a seated specialist: drafts and signs
    html = text(client.get(f"/meetings/{meeting.id}/live"))
    assert 'data-may-sign="yes"' in html and "Sign outcome</button>" in html
    assert '<label for="outcome-recommendation">Recommendation</label>' in html
    assert '<label for="outcome-category">Category</label>' in html
    client.post("/logout")
    sign_in(demo["coordinator"])             # the chair drafts, never signs
    html = text(client.get(f"/meetings/{meeting.id}/live"))
    assert 'data-may-draft="yes"' in html and 'data-may-sign="no"' in html and "Sign outcome" not in html
    client.post("/logout")
    sign_in(demo["referrer"])                # an observer does neither
    html = text(client.get(f"/meetings/{meeting.id}/live"))
    assert "data-outcome-form" not in html and "Sign outcome" not in html


def test_summary_viewer_sees_no_diagnosis(demo, sign_in, client, session, meeting, summary_case):
    full_case = case_by_reference(session, FULL_CASE)
    sign_in(demo["coordinator"])   # region cn: the Kenyan case without consent is a summary
    html = text(client.get(f"/meetings/{meeting.id}/live"))
    summary_item = html.split(f'data-case-id="{summary_case.id}" data-status="listed" data-access="summary"', 1)[1]
    summary_item = summary_item.split("</li>", 1)[0]
    assert "C34.1" in summary_item and "Summary access" in summary_item
    assert SUMMARY_DIAGNOSIS not in html
    assert "haemoptysis" not in html and "curative option" not in html   # summary and question neither
    assert FULL_DIAGNOSIS in html    # the consented case, in full
    assert f'data-case-id="{full_case.id}" data-status="listed" data-access="full"' in html


def test_viewer_without_case_access_sees_only_a_case_they_cannot_see(demo, sign_in, client, session, meeting):
    case = case_by_reference(session, FULL_CASE)
    sign_in(demo["coordinator.almaty"])      # sees every meeting, but is not related to the case
    html = text(client.get(f"/meetings/{meeting.id}/live"))
    assert "A case you cannot see" in html
    assert f"Case #{case.id}" not in html and f'data-case-id="{case.id}"' not in html
    assert FULL_DIAGNOSIS not in html and "C34.1" not in html


def test_reading_the_live_page_audits_each_case_read(demo, sign_in, client, session, meeting, summary_case):
    full_case = case_by_reference(session, FULL_CASE)
    coordinator = demo["coordinator"]
    sign_in(coordinator)
    assert client.get(f"/meetings/{meeting.id}/live").status_code == 200
    session.expire_all()
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "cases.viewed",
                                                    AuditEvent.actor_id == coordinator.id)).all()
    seen = {(case_id, level) for row in rows if row.detail.get("via") == "live meeting"
            for level in ("full", "summary") for case_id in row.detail.get(level, [])}
    assert (full_case.id, "full") in seen
    assert (summary_case.id, "summary") in seen
    # Someone who sees no case content leaves no case read behind.
    almaty = demo["coordinator.almaty"]
    client.post("/logout")
    sign_in(almaty)
    client.get(f"/meetings/{meeting.id}/live")
    session.expire_all()
    assert not session.scalars(select(AuditEvent).where(AuditEvent.action.in_(["case.viewed", "cases.viewed"]),
                                                        AuditEvent.actor_id == almaty.id)).all()
