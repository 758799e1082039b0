"""Amending a signed outcome from the pages (`/outcomes/<id>/amend`): the form is pre-filled from the
version in force; saving makes the new version the API's amend makes (superseding the signed one once
signed, the referrer told and the letter reissued); only those the domain allows get the action; bad
input is a 422 beside its field with nothing saved."""
import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.cases.models import Attachment
from app.notifications.models import Notification
from app.outcomes.models import Outcome
from tests.conftest import PASSWORD
from tests.outcomes.conftest import draft_body, world  # noqa: F401 (fixtures)
from tests.outcomes.test_outcome_record import STAGED
from tests.outcomes.test_outcomes import draft, sign_all
from tests.web.page_helpers import error_beside, main_of, text


def sign_in(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


@pytest.fixture
def signed(client, world, headers, draft_body):  # noqa: F811
    """Version 1 of the case's outcome, with staging and an action, signed by every required discipline."""
    outcome = draft(client, world, headers, lambda w: draft_body(w, **STAGED))
    sign_all(client, outcome["id"], world, headers)
    return outcome


def form_of(world, **overrides) -> dict:
    data = {"recommendation": "Right upper lobectomy with nodal dissection.", "category": "surgery",
            "rationale": "Operable stage I disease.", "dissent": "", "tnm_edition": "8", "clinical_t": "T2a",
            "clinical_n": "N0", "clinical_m": "M0", "pathological_t": "", "pathological_n": "", "stage_group": "IB",
            "action-0-text": "Book surgery", "action-0-owner": str(world.referrer.id), "action-0-due": "2025-11-19",
            "action-1-text": "", "action-1-owner": "", "action-1-due": "",
            "reason": "Pathology review upstaged the nodes."}
    data.update(overrides)
    return data


def versions(session, world):
    session.expire_all()
    return session.scalars(select(Outcome).where(Outcome.case_id == world.case.id).order_by(Outcome.version)).all()


def amended_events(session):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == "outcome.amended")).all()


def test_a_coordinator_amends_from_the_case_page_and_the_amendment_is_signed_and_sent(
        client, session, world, headers, signed):
    sign_in(client, world.coordinator)
    page = text(client.get(f"/cases/{world.case.id}"))
    link = re.search(r'<a [^>]*id="amend-outcome-link" href="([^"]+)"', page)
    assert link and link.group(1) == f"/outcomes/{signed['id']}/amend"
    assert "Amend the signed outcome (version 1)" in page

    form = client.get(link.group(1))
    assert form.status_code == 200
    html = main_of(text(form))
    assert "Amend the outcome of case #%s" % world.case.id in html
    assert "Right upper lobectomy with nodal dissection.</textarea>" in html
    assert re.search(r'<option selected value="surgery">|<option value="surgery" selected>', html)
    assert re.search(r'<option selected value="8">|<option value="8" selected>', html)
    assert 'value="T2a"' in html and 'value="IB"' in html
    assert 'value="Book surgery"' in html and 'value="2025-11-19"' in html
    assert f'<option value="{world.referrer.id}" selected>' in html
    assert 'name="reason"' in html

    done = client.post(link.group(1), data=form_of(
        world, recommendation="SBRT 54 Gy in 3 fractions.", category="radiotherapy", clinical_n="cN1"))
    assert done.status_code == 302, text(done)
    assert done.headers["Location"].endswith(f"/cases/{world.case.id}#outcome")
    html = text(client.get(done.headers["Location"]))
    assert f"Version 2 of the outcome of case #{world.case.id} is saved" in html

    old, new = versions(session, world)
    assert (new.version, new.supersedes_id, new.signed_at) == (2, old.id, None)
    assert new.drafted_by_id == world.coordinator.id and new.meeting_id == world.meeting.id
    assert (new.recommendation, new.category, new.clinical_n, new.tnm_edition, new.clinical_t) == \
        ("SBRT 54 Gy in 3 fractions.", "radiotherapy", "N1", 8, "T2a")
    assert new.actions == old.actions and new.amendment_reason == "Pathology review upstaged the nodes."
    [event] = amended_events(session)
    assert event.actor_id == world.coordinator.id and event.target_id == str(new.id)
    assert event.detail["supersedes_id"] == old.id and event.detail["version"] == 2
    assert event.detail["fields"] == ["category", "clinical_n", "recommendation"]
    # The reason is clinical free text: kept on the version, never in the trail admins read.
    assert "reason" not in event.detail and event.detail["via"] == "page"
    assert "upstaged" not in str(event.detail)
    # Version 1 stays in force until the amendment is signed; no second amendment meanwhile.
    assert "Amend the signed outcome" not in text(client.get(f"/cases/{world.case.id}"))
    assert client.get(link.group(1)).status_code == 409
    assert client.post(link.group(1), data=form_of(world, recommendation="Again.")).status_code == 409
    assert len(versions(session, world)) == 2

    # Signed again by the present specialists (as the API signs), the referrer is told and gets a new letter.
    sign_all(client, new.id, world, headers)
    session.expire_all()
    notes = session.scalars(select(Notification).where(Notification.kind == "outcome_signed",
                                                       Notification.user_id == world.referrer.id)
                            .order_by(Notification.id)).all()
    assert [note.params["version"] for note in notes] == [1, 2]
    letters = session.scalars(select(Attachment.filename).where(
        Attachment.case_id == world.case.id, Attachment.filename.like("outcome-letter-%")).order_by(Attachment.id)).all()
    assert [name.rsplit("-", 1)[0] for name in letters] == [f"outcome-letter-case-{world.case.id}-v1",
                                                           f"outcome-letter-case-{world.case.id}-v2"]
    sign_in(client, world.referrer)
    html = text(client.get(f"/cases/{world.case.id}"))
    assert "SBRT 54 Gy in 3 fractions." in html and "version 2" in html
    assert "Why it was amended:" in html and "Pathology review upstaged the nodes." in html


@pytest.mark.parametrize("who", ["chair", "surgeon"])
def test_the_chair_or_a_seated_specialist_amends_from_the_meeting_page(client, session, world, signed, who):
    sign_in(client, getattr(world, who))
    session.expire_all()  # the fixture listed the case without appending it to the meeting's loaded agenda
    meeting_page = text(client.get(f"/meetings/{world.meeting.id}"))
    assert f'href="/outcomes/{signed["id"]}/amend" data-amend-outcome="{world.case.id}"' in meeting_page
    assert "Amend the signed outcome (version 1)" in meeting_page
    assert client.get(f"/outcomes/{signed['id']}/amend").status_code == 200
    done = client.post(f"/outcomes/{signed['id']}/amend", data=form_of(world, dissent="Dr Haddad prefers surgery."))
    assert done.status_code == 302
    assert versions(session, world)[-1].dissent == "Dr Haddad prefers surgery."


@pytest.mark.parametrize("who, status", [("referrer", 403), ("attendee", 403), ("observer", 403),
                                         ("stranger", 404)])
def test_others_get_no_action_and_are_refused(client, session, world, signed, who, status):
    user = getattr(world, who)
    sign_in(client, user)
    session.expire_all()
    for address in (f"/cases/{world.case.id}", f"/meetings/{world.meeting.id}"):
        page = client.get(address)
        assert page.status_code in (200, 404)
        assert "Amend the signed outcome" not in text(page) and f"/outcomes/{signed['id']}/amend" not in text(page)
    assert client.get(f"/outcomes/{signed['id']}/amend").status_code == status
    assert client.post(f"/outcomes/{signed['id']}/amend", data=form_of(world, recommendation="Mine.")).status_code \
        == status
    assert len(versions(session, world)) == 1 and not amended_events(session)


@pytest.mark.parametrize("overrides, control, says", [
    ({"recommendation": "  "}, "recommendation", "Write the board's recommendation: it must not be empty."),
    ({"clinical_t": "T9"}, "clinical_t", "is not a cT category"),
    ({"tnm_edition": ""}, "tnm_edition", "TNM edition"),
    ({"action-0-due": "2025-02-30"}, "action-0-due", "is not a real date"),
    ({"action-1-text": "Tell the GP", "action-1-due": "2025-11-20"}, "action-1-owner", "Choose who does it."),
    ({"reason": ""}, "reason", "Say why the outcome is amended"),
])
def test_bad_input_is_a_422_beside_its_field_and_nothing_is_saved(client, session, world, signed, overrides,
                                                                  control, says):
    sign_in(client, world.coordinator)
    refused = client.post(f"/outcomes/{signed['id']}/amend",
                          data=form_of(world, **{"recommendation": "SBRT 54 Gy in 3 fractions.", **overrides}))
    assert refused.status_code == 422
    html = text(refused)
    assert "Traceback" not in html
    assert says in error_beside(html, control)
    assert len(versions(session, world)) == 1 and not amended_events(session)


def test_an_amendment_that_changes_nothing_is_refused(client, session, world, signed):
    sign_in(client, world.coordinator)
    refused = client.post(f"/outcomes/{signed['id']}/amend", data=form_of(world))
    assert refused.status_code == 422
    assert "An amendment must change at least one field of the outcome." in text(refused)
    assert len(versions(session, world)) == 1
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "outcome.amended")) == 0
