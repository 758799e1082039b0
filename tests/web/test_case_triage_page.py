"""A coordinator's moves on the case page (/cases/<id>): only the moves open now are shown; triage,
return with a reason, schedule onto a meeting, take off the agenda; errors beside the control."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.meetings.models import AgendaItem, Meeting
from tests.web.page_helpers import error_beside, text


def case_by_ref(session, reference) -> Case:
    return session.scalar(select(Case).where(Case.patient_reference == reference))


def offered_moves(html: str) -> set[str]:
    return set(re.findall(r'data-move="([a-z_]+)"', html))


@pytest.fixture
def submitted(session, demo):
    return case_by_ref(session, "KNH-2026-5490")  # submitted to the colorectal board, consent given


def test_coordinator_sees_only_the_moves_open_now(demo, sign_in, client, session, submitted):
    sign_in(demo["coordinator"])
    html = text(client.get(f"/cases/{submitted.id}"))
    assert offered_moves(html) == {"returned", "triaged", "listed_not_discussed", "withdrawn"}
    assert "Accept for discussion (triage)" in html and "Colorectal MDT" in html
    assert f'href="/cases/{submitted.id}/audit"' in html
    triaged = case_by_ref(session, "FCG-2026-0287")
    assert offered_moves(text(client.get(f"/cases/{triaged.id}"))) == {"scheduled", "withdrawn"}
    scheduled = case_by_ref(session, "FCG-2026-0264")
    assert offered_moves(text(client.get(f"/cases/{scheduled.id}"))) == {"unschedule", "withdrawn"}
    closed = case_by_ref(session, "KNH-2026-5521")  # closed: final, summary access only
    html = text(client.get(f"/cases/{closed.id}"))
    assert offered_moves(html) == set() and "data-no-actions" in html


def test_referrer_sees_no_coordinator_actions_and_may_not_post_them(demo, sign_in, client, session, submitted):
    sign_in(demo["referrer.nairobi"])
    html = text(client.get(f"/cases/{submitted.id}"))
    assert "Coordinator actions" not in html and not offered_moves(html)
    assert client.post(f"/cases/{submitted.id}/transition", data={"to": "triaged"}).status_code == 403
    session.expire_all()
    assert session.get(Case, submitted.id).state == "submitted"


def test_a_coordinator_of_another_board_is_told_the_case_does_not_exist(demo, sign_in, client, session, submitted):
    sign_in(demo["coordinator.almaty"])
    assert client.post(f"/cases/{submitted.id}/transition", data={"to": "triaged"}).status_code == 404
    session.expire_all()
    assert session.get(Case, submitted.id).state == "submitted"


def test_triage_moves_the_case_and_is_audited(demo, sign_in, client, session, submitted):
    sign_in(demo["coordinator"])
    response = client.post(f"/cases/{submitted.id}/transition", data={"to": "triaged"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{submitted.id}")
    session.expire_all()
    case = session.get(Case, submitted.id)
    assert case.state == "triaged" and case.triage_decision == "for_discussion"
    html = text(client.get(f"/cases/{submitted.id}"))
    assert "submitted → triaged" in html
    assert re.search(r"Li Na</strong>:\s*submitted → triaged", html)
    assert offered_moves(html) == {"scheduled", "withdrawn"}
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.transitioned",
                                                     AuditEvent.target_id == str(case.id))).all()[-1]
    assert event.detail == {"from": "submitted", "to": "triaged"} and event.source_address == "127.0.0.1"


def test_return_needs_a_reason_shown_beside_it(demo, sign_in, client, session, submitted):
    sign_in(demo["coordinator"])
    response = client.post(f"/cases/{submitted.id}/transition", data={"to": "returned", "reason": "   "})
    assert response.status_code == 422
    assert "Say why" in error_beside(text(response), "reason-returned")
    session.expire_all()
    assert session.get(Case, submitted.id).state == "submitted"

    response = client.post(f"/cases/{submitted.id}/transition",
                           data={"to": "returned", "reason": "Please attach the staging CT."})
    assert response.status_code == 302
    session.expire_all()
    case = session.get(Case, submitted.id)
    assert case.state == "returned" and case.transitions[-1].reason == "Please attach the staging CT."
    assert "“Please attach the staging CT.”" in text(client.get(f"/cases/{case.id}"))


def test_a_move_not_open_now_answers_409_beside_the_actions(demo, sign_in, client, session, submitted):
    sign_in(demo["coordinator"])
    response = client.post(f"/cases/{submitted.id}/transition", data={"to": "closed"})
    assert response.status_code == 409
    html = text(response)
    assert re.search(r'id="actions-error">A submitted case cannot become closed now; it may become: returned; '
                     r'triaged; listed, not discussed; withdrawn\.', html)
    session.expire_all()
    assert session.get(Case, submitted.id).state == "submitted"


def test_long_reason_is_kept_when_refused(demo, sign_in, client, session, submitted):
    sign_in(demo["coordinator"])
    reason = "A" * 2001
    response = client.post(f"/cases/{submitted.id}/transition", data={"to": "withdrawn", "reason": reason})
    assert response.status_code == 422
    html = text(response)
    assert "At most 2000" in error_beside(html, "reason-withdrawn")
    assert reason in html


def test_schedule_puts_a_triaged_case_on_a_meeting_of_its_board(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    case = case_by_ref(session, "FCG-2026-0287")
    html = text(client.get(f"/cases/{case.id}"))
    select_html = html.split('id="meeting_id"', 1)[1].split("</select>", 1)[0]
    meeting_ids = [int(m) for m in re.findall(r'<option value="(\d+)"', select_html)]
    meetings = [session.get(Meeting, m) for m in meeting_ids]
    assert meetings and all(m.board_id == case.board_id for m in meetings)
    assert "(Asia/Shanghai, UTC+08:00)" in select_html and " selected" in select_html

    other = session.scalar(select(Meeting).where(Meeting.board_id != case.board_id, Meeting.status == "scheduled"))
    response = client.post(f"/cases/{case.id}/schedule", data={"meeting_id": other.id})
    assert response.status_code == 422
    assert "board's upcoming meetings" in error_beside(text(response), "meeting_id")
    response = client.post(f"/cases/{case.id}/schedule", data={"meeting_id": ""})
    assert response.status_code == 422

    response = client.post(f"/cases/{case.id}/schedule", data={"meeting_id": meeting_ids[0]})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Case, case.id).state == "scheduled"
    item = session.scalar(select(AgendaItem).where(AgendaItem.case_id == case.id, AgendaItem.status == "listed"))
    assert item.meeting_id == meeting_ids[0]

    # Taken off again, with a reason (refused without one).
    response = client.post(f"/cases/{case.id}/unschedule", data={"reason": ""})
    assert response.status_code == 422
    assert "Say why" in error_beside(text(response), "reason-unschedule")
    response = client.post(f"/cases/{case.id}/unschedule", data={"reason": "Waiting for the PET-CT",
                                                                 "removal_reason": "unknown"})
    assert response.status_code == 422  # the kind of reason is one the reports count
    assert error_beside(text(response), "removal-reason-unschedule")
    response = client.post(f"/cases/{case.id}/unschedule", data={"reason": "Waiting for the PET-CT",
                                                                 "removal_reason": "missing_data"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Case, case.id).state == "triaged"
    removed = session.get(AgendaItem, item.id)
    assert (removed.status, removed.removal_reason) == ("removed", "missing_data")


def test_scheduling_a_case_that_is_no_longer_triaged_is_refused(demo, sign_in, client, session, submitted):
    sign_in(demo["coordinator"])
    meeting = session.scalar(select(Meeting).where(Meeting.board_id == submitted.board_id,
                                                   Meeting.status == "scheduled"))
    response = client.post(f"/cases/{submitted.id}/schedule", data={"meeting_id": meeting.id})
    assert response.status_code == 409
    assert "Only a triaged case can be scheduled" in text(response)


def test_a_meeting_whose_agenda_closed_is_not_offered_and_refuses_the_case(demo, sign_in, client, session):
    from datetime import timedelta

    from app.timekeeping import now_utc

    sign_in(demo["coordinator"])
    case = case_by_ref(session, "FCG-2026-0287")
    closing = Meeting(title="Closing soon MDT", kind="board", board_id=case.board_id,
                      starts_at=now_utc() + timedelta(hours=2), ends_at=now_utc() + timedelta(hours=3),
                      host_timezone="Asia/Shanghai", status="scheduled", sequence=0)
    session.add(closing)
    session.commit()  # the board's cut-off (24 h before) has passed: its agenda is closed
    html = text(client.get(f"/cases/{case.id}"))
    select_html = html.split('id="meeting_id"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{closing.id}"' not in select_html and "agenda closed" not in select_html
    response = client.post(f"/cases/{case.id}/schedule", data={"meeting_id": closing.id})
    assert response.status_code == 409 and "no new case may be added" in error_beside(text(response), "meeting_id")
    session.expire_all()
    assert session.get(Case, case.id).state == "triaged"


def test_the_confirmation_of_a_move_is_in_the_readers_language(demo, sign_in, client, session, submitted):
    coordinator = demo["coordinator"]
    coordinator.locale = "ru"
    session.commit()
    sign_in(coordinator)
    client.post(f"/cases/{submitted.id}/transition", data={"to": "triaged"})
    html = text(client.get(f"/cases/{submitted.id}"))
    assert f"Случай №{submitted.id}:" in html and f"Case #{submitted.id}:" not in html


def test_a_move_not_open_now_is_refused_in_the_readers_language(demo, sign_in, client, session, submitted):
    coordinator = demo["coordinator"]
    coordinator.locale = "ru"
    session.commit()
    sign_in(coordinator)
    response = client.post(f"/cases/{submitted.id}/transition", data={"to": "closed"})
    assert response.status_code == 409
    refusal = re.search(r'id="actions-error">([^<]*)<', text(response)).group(1)
    assert "cannot" not in refusal and "submitted" not in refusal and "withdrawn" not in refusal
    assert "отозван" in refusal  # the states it may become, as Russian names them
