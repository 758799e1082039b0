"""The case page for the referrer: when the case will be discussed, the signed outcome with its staging
and letter, the follow-up form with errors beside its fields; the draft form takes attachments."""
import html as html_lib
import json
import re
from datetime import date, timedelta

from sqlalchemy import select

from app.meetings.models import Meeting
from app.outcomes.models import OutcomeFollowUp
from tests.conftest import PASSWORD
from tests.outcomes.test_outcome_record import STAGED
from tests.outcomes.test_outcomes import draft, sign_all
from tests.web.page_helpers import error_beside, main_of, text


def sign_in(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_the_case_page_says_when_the_case_will_be_discussed_in_the_readers_zone(client, session, world):
    upcoming = Meeting(board_id=world.board.id, occurrence_date=date(2025, 11, 12), title="Thoracic MDT 12 Nov",
                       kind="board", starts_at=world.meeting.starts_at + timedelta(days=7),
                       ends_at=world.meeting.ends_at + timedelta(days=7), host_timezone="Asia/Shanghai",
                       status="scheduled", chair_id=world.chair.id)
    session.add(upcoming)
    session.commit()
    case = world.make_case(discussed=False, meeting=upcoming, reference="FCG-2025-0160")
    world.referrer.display_timezone = "Africa/Nairobi"
    session.commit()
    sign_in(client, world.referrer)
    html = main_of(text(client.get(f"/cases/{case.id}")))
    assert "To be discussed at Thoracic MDT 12 Nov," in html
    assert "09:00" in html.split("To be discussed at", 1)[1].split("</p>", 1)[0]  # 06:00 UTC in Nairobi
    assert "meeting #" not in html.split("To be discussed at", 1)[1].split("</p>", 1)[0]


def test_signed_outcome_with_staging_letter_and_follow_up_form(client, session, world, headers, draft_body):
    outcome = draft(client, world, headers, lambda w: draft_body(w, **STAGED))
    sign_all(client, outcome["id"], world, headers)
    sign_in(client, world.referrer)
    html = text(client.get(f"/cases/{world.case.id}"))
    assert "Staging (TNM edition 8):" in html and "cT2a" in html and "stage group IB" in html
    assert "data-outcome-letter" in html and "Outcome letter (PDF)" in html
    assert "Nobody has recorded yet whether the recommendation was carried out." in html

    refused = client.post(f"/cases/{world.case.id}/follow-up",
                          data={"status": "not_carried_out", "occurred_on": "2025-11-18", "reason": ""})
    assert refused.status_code == 422
    assert error_beside(text(refused), "follow-up-reason") == \
        "Say why the recommendation was changed or not carried out."
    refused = client.post(f"/cases/{world.case.id}/follow-up", data={"status": "carried_out", "occurred_on": "18/11"})
    assert refused.status_code == 422
    assert "YYYY-MM-DD" in error_beside(text(refused), "follow-up-occurred-on")

    done = client.post(f"/cases/{world.case.id}/follow-up",
                       data={"status": "not_carried_out", "occurred_on": "2025-11-18",
                             "reason": "The patient chose SBRT."}, follow_redirects=True)
    assert done.status_code == 200
    html = text(done)
    assert "The follow-up of the outcome is recorded." in html and "Not carried out" in html
    assert "The patient chose SBRT." in html and "Correct the follow-up" in html
    assert session.scalar(select(OutcomeFollowUp)).recorded_by_id == world.referrer.id

    sign_in(client, world.radiologist)  # reads the outcome, may not record its follow-up
    html = text(client.get(f"/cases/{world.case.id}"))
    assert "Not carried out" in html and "Record the follow-up" not in html and "Correct the follow-up" not in html
    assert client.post(f"/cases/{world.case.id}/follow-up",
                       data={"status": "carried_out", "occurred_on": "2025-11-18"}).status_code == 403


def test_a_draft_referral_takes_attachments_with_the_limit_shown(client, session, world, app):
    from app.cases import operations

    app.config["MAX_ATTACHMENT_BYTES"] = 25 * 1024 * 1024
    case = operations.create_case(session, world.referrer, {"patient_reference": "NBO-2025-0009"},
                                  at=world.meeting.starts_at)
    session.commit()
    sign_in(client, world.referrer)
    html = text(client.get(f"/cases/{case.id}/edit"))
    assert 'data-upload-url="/api/v1/cases/%s/attachments"' % case.id in html
    assert 'data-max-bytes="26214400"' in html and "Each file may be at most 25 MB." in html
    assert "js/pages/case_detail.js" in html
    assert "Save the draft to attach files" in text(client.get("/cases/new"))


def test_the_live_draft_form_takes_staging_and_actions_for_the_referrer_or_an_invitee(client, session, world):
    session.expire_all()  # the meeting's agenda as stored
    sign_in(client, world.chair)
    html = text(client.get(f"/meetings/{world.meeting.id}/live"))
    assert 'id="outcome-tnm_edition"' in html and '<option value="8">8</option>' in html
    for name in ("clinical_t", "clinical_n", "clinical_m", "pathological_t", "pathological_n", "stage_group"):
        assert f'id="outcome-{name}"' in html
    assert "template data-action-row" in html and "Add an action" in html
    # The case's referrer is offered as an action's owner (the agenda case is readable in full).
    referrers = json.loads(html_lib.unescape(re.search(r'data-referrers="([^"]*)"', html).group(1)))
    assert referrers[str(world.case.id)] == [world.referrer.id, "Dr Huang Wei"]
    assert f'<option value="{world.surgeon.id}">Dr Haddad (thoracic surgery)</option>' in html
