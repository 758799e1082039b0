"""A meeting's invitations over the demo: the page and the API refuse alike whoever may not be invited
(the domain's one rule: an active specialist; a seat licensed where the agenda's cases come from), and a
too-long reason for booking someone outside their hours is said beside its field with nothing lost."""
from __future__ import annotations

import re
import pytest
from sqlalchemy import select

from app.boards.models import Board
from app.cases.models import Case
from app.meetings.models import AgendaItem, Invitation, Meeting
from tests.conftest import check_problem
from tests.web.conftest import DEMO_PASSWORD
from tests.web.page_helpers import csrf_of, error_beside, text


@pytest.fixture
def thoracic(session, demo):
    """The thoracic board's next meeting, with case FCG-2026-0264 (of the Chinese site) on its agenda."""
    listed = session.scalar(select(Case).where(Case.patient_reference == "FCG-2026-0264"))
    item = session.scalar(select(AgendaItem).where(AgendaItem.case_id == listed.id, AgendaItem.status == "listed"))
    return {"meeting": session.get(Meeting, item.meeting_id), "case": listed,
            "board": session.scalar(select(Board).where(Board.name == "Thoracic Oncology MDT"))}


def invitations_of(session, meeting, user) -> list[Invitation]:
    session.expire_all()
    return session.scalars(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                    Invitation.user_id == user.id)).all()


def test_the_api_invites_nobody_but_specialists_and_opens_no_case_to_them(demo, client, session, api_auth, thoracic):
    meeting, case = thoracic["meeting"], thoracic["case"]
    coordinator = {"Authorization": f"Bearer {api_auth.token_for(demo['coordinator'], DEMO_PASSWORD)}"}
    for local_part in ("referrer.tashkent", "admin"):
        person = demo[local_part]
        refused = client.post(f"/api/v1/meetings/{meeting.id}/invitations", headers=coordinator,
                              json={"user_id": person.id, "role": "observer"})
        assert check_problem(refused, 422)["errors"][0]["field"] == "user_id"
        assert invitations_of(session, meeting, person) == []
        theirs = {"Authorization": f"Bearer {api_auth.token_for(person, DEMO_PASSWORD)}"}
        assert client.get(f"/api/v1/cases/{case.id}", headers=theirs).status_code == 404


def test_page_and_api_refuse_a_seat_to_a_specialist_not_licensed_where_the_cases_come_from(
        demo, sign_in, client, session, api_auth, thoracic):
    meeting = thoracic["meeting"]
    almaty = demo["radiologist.almaty"]   # licensed in Kazakhstan and Russia; the case is Chinese
    seat = {"user_id": almaty.email, "role": "seat", "discipline": "radiology"}
    before = [(i.id, i.role, i.status) for i in invitations_of(session, meeting, almaty)]

    sign_in(demo["coordinator"])
    page = text(client.get(f"/coordinator/meetings/{meeting.id}/invitations"))
    refused = client.post(f"/coordinator/meetings/{meeting.id}/invitations", data={"csrf_token": csrf_of(page), **seat})
    assert refused.status_code == 422
    said = error_beside(text(refused), "user_id")
    assert almaty.name in said and "CN" in said and "licence" in said
    assert f'value="{almaty.email}"' in text(refused)   # what was typed is kept

    coordinator = {"Authorization": f"Bearer {api_auth.token_for(demo['coordinator'], DEMO_PASSWORD)}"}
    body = check_problem(client.post(f"/api/v1/meetings/{meeting.id}/invitations", headers=coordinator,
                                     json={**seat, "user_id": almaty.id}), 422)
    assert body["errors"][0]["field"] == "user_id" and "CN" in body["detail"]
    assert [(i.id, i.role, i.status) for i in invitations_of(session, meeting, almaty)] == before   # nothing new


def test_a_reason_over_500_characters_is_said_beside_it_and_what_was_typed_stays(client, session, night_review):
    meeting, form = night_review["meeting"], night_review["form"]
    url = f"/coordinator/meetings/{meeting.id}/invitations"
    assert client.post(url, data=form).status_code == 409   # outside their hours: the box appears

    reason = "The only molecular pathologist who has seen this tumour's slides. " * 9   # 603 characters
    assert len(reason) > 500
    refused = client.post(url, data={**form, "override_working_hours": "y", "override_reason": reason})
    assert refused.status_code == 422
    html = text(refused)
    assert "Say why they are invited outside their working hours, in 3 to 500 characters." == \
        error_beside(html, "override_reason")
    assert re.search(r'<input checked id="override_working_hours"|<input[^>]*id="override_working_hours"[^>]*checked',
                     html)   # the box is still ticked ...
    assert reason.strip() in html.replace("&#39;", "'")   # ... and the reason as typed
    assert 'id="outside-hours-warning"' in html
    assert invitations_of(session, meeting, night_review["pathologist"]) == []

    invited = client.post(url, data={**form, "override_working_hours": "y", "override_reason": reason[:480]})
    assert invited.status_code == 302
    [invitation] = invitations_of(session, meeting, night_review["pathologist"])
    assert invitation.outside_hours_reason == reason[:480].strip()
