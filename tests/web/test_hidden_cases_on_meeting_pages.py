"""A case someone may not see stays hidden on every surface of a meeting they may run, as the agenda API
says it ("A case you cannot see": its place and progress, no id, urgency or disciplines): the agenda
editor, the preparation pack's "Who has prepared" table and the same over the API. The demo's admin runs
any meeting but, holding no clinical role, sees none of the cases (app/cases/visibility.py)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.operations import write_now
from app.cases.models import Case
from app.cases.visibility import case_access
from app.meetings.models import BOOKING_STATES, AgendaItem, Meeting
from app.preparation.models import CaseReview
from app.timekeeping import now_utc
from tests.web.conftest import DEMO_PASSWORD
from tests.web.page_helpers import main_of, text

HIDDEN = "A case you cannot see"


@pytest.fixture
def thoracic(session, demo):
    """The thoracic board's next meeting (case FCG-2026-0264 on its agenda, reviewed by one invitee), the
    board's triaged case waiting for it, and the admin, who may see neither."""
    listed = session.scalar(select(Case).where(Case.patient_reference == "FCG-2026-0264"))
    item = session.scalar(select(AgendaItem).where(AgendaItem.case_id == listed.id, AgendaItem.status == "listed"))
    meeting = session.get(Meeting, item.meeting_id)
    reviewer = next(i.user for i in meeting.invitations if i.status in BOOKING_STATES)
    session.add(CaseReview(meeting_id=meeting.id, case_id=listed.id, user_id=reviewer.id, reviewed_at=now_utc()))
    session.commit()
    triaged = session.scalar(select(Case).where(Case.patient_reference == "FCG-2026-0287"))
    admin = demo["admin"]
    assert case_access(session, admin, listed) is None and case_access(session, admin, triaged) is None
    return {"meeting": meeting, "listed": listed, "triaged": triaged, "reviewer": reviewer, "admin": admin}


def names_the_case(html: str, case_id: int) -> list[str]:
    """Every way a page could name a case by its id."""
    patterns = [rf"Case #{case_id}\b", rf"case #{case_id}\b", rf'id="item-{case_id}"', rf'data-case-id="{case_id}"',
                rf'data-case="{case_id}"', rf'name="case_id" value="{case_id}"', rf'<option value="{case_id}"',
                rf"/cases/{case_id}\b", rf"#{case_id} ·"]
    return [pattern for pattern in patterns if re.search(pattern, html)]


def test_the_agenda_editor_shows_a_hidden_case_by_its_place_only(demo, sign_in, client, session, thoracic):
    meeting, listed, triaged = thoracic["meeting"], thoracic["listed"], thoracic["triaged"]
    sign_in(thoracic["admin"])
    response = client.get(f"/meetings/{meeting.id}/agenda")
    assert response.status_code == 200
    html = main_of(text(response))
    [hidden] = re.findall(r"<li[^>]*data-hidden-case[^>]*>.*?</li>", html, re.S)
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", hidden)).strip() == f"1. {HIDDEN}"   # no urgency, disciplines
    assert names_the_case(html, listed.id) == [] and names_the_case(html, triaged.id) == []
    # Nothing was shown, so nothing of the cases is on the trail as read by the admin.
    write_now(session)
    viewed = session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.agenda_viewed",
                                                      AuditEvent.actor_id == thoracic["admin"].id)).all()
    assert viewed and all(event.detail["case_ids"] == [] for event in viewed)
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "cases.viewed",
                                                    AuditEvent.actor_id == thoracic["admin"].id)).all() == []

    # Guessing its id moves or removes nothing, and does not confirm it is there.
    moved = client.post(f"/meetings/{meeting.id}/agenda/move", data={"case_id": listed.id, "direction": "down"})
    removed = client.post(f"/meetings/{meeting.id}/agenda/remove", data={"case_id": listed.id, "reason": "Guessing"})
    assert (moved.status_code, removed.status_code) == (422, 404)
    assert names_the_case(main_of(text(moved)), listed.id) == []
    session.expire_all()
    assert session.scalar(select(AgendaItem.status).where(AgendaItem.meeting_id == meeting.id,
                                                          AgendaItem.case_id == listed.id)) == "listed"

    # The board's coordinator, who may see the case, still gets it by id.
    client.post("/logout")
    sign_in(demo["coordinator"])
    theirs = main_of(text(client.get(f"/meetings/{meeting.id}/agenda")))
    assert f"Case #{listed.id}" in theirs and HIDDEN not in theirs


def test_who_has_prepared_names_a_hidden_case_by_its_place_only(demo, sign_in, client, thoracic):
    meeting, listed, reviewer = thoracic["meeting"], thoracic["listed"], thoracic["reviewer"]
    sign_in(thoracic["admin"])
    html = main_of(text(client.get(f"/meetings/{meeting.id}/preparation")))
    table = html.split("data-preparation-overview", 1)[1].split("</table>", 1)[0]
    assert f"1. {HIDDEN}" in table and names_the_case(html, listed.id) == []
    row = table.split(f'data-participant="{reviewer.id}"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'data-hidden-case data-position="1"><span class="status status-met">', row)   # progress only

    client.post("/logout")
    sign_in(demo["coordinator"])
    theirs = text(client.get(f"/meetings/{meeting.id}/preparation"))
    assert f'data-case="{listed.id}"' in theirs and f"Case #{listed.id}" in theirs


def test_who_has_prepared_over_the_api_lists_only_cases_one_may_see(demo, client, api_auth, thoracic):
    meeting, listed, reviewer = thoracic["meeting"], thoracic["listed"], thoracic["reviewer"]
    url = f"/api/v1/meetings/{meeting.id}/preparation-pack/people"

    def reviewed_by(user):
        headers = {"Authorization": f"Bearer {api_auth.token_for(user, DEMO_PASSWORD)}"}
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        return next(person for person in response.get_json() if person["user_id"] == reviewer.id)["reviewed_case_ids"]

    assert reviewed_by(thoracic["admin"]) == []
    assert reviewed_by(demo["coordinator"]) == [listed.id]


def test_the_agenda_api_does_not_take_off_a_case_one_may_not_see(demo, client, api_auth, session, thoracic):
    meeting, listed = thoracic["meeting"], thoracic["listed"]
    headers = {"Authorization": f"Bearer {api_auth.token_for(thoracic['admin'], DEMO_PASSWORD)}"}
    body = {"reason": "Deferred: a guessed id", "removal_reason": "other"}
    response = client.post(f"/api/v1/meetings/{meeting.id}/agenda/{listed.id}/remove", json=body, headers=headers)
    assert response.status_code == 404  # as for a case not on the agenda: nothing told, nothing moved
    session.expire_all()
    assert session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id,
                                                   AgendaItem.case_id == listed.id)).status == "listed"


def test_one_rule_says_whether_a_case_is_on_the_agenda_for_its_viewer(demo, session, thoracic):
    """app.meetings.agenda.visible_item: what the agenda editor and the agenda API both ask before moving or
    taking off a case."""
    from app.meetings import agenda

    meeting, listed, triaged = thoracic["meeting"], thoracic["listed"], thoracic["triaged"]
    item = agenda.visible_item(session, meeting, demo["coordinator"], listed.id)
    assert item is not None and item.case_id == listed.id and item.meeting_id == meeting.id
    assert agenda.visible_item(session, meeting, thoracic["admin"], listed.id) is None   # may not see it
    assert agenda.visible_item(session, meeting, demo["coordinator"], triaged.id) is None  # not on this agenda
    assert agenda.visible_item(session, meeting, demo["coordinator"], None) is None
    assert agenda.visible_item(session, meeting, demo["coordinator"], 99999999) is None
