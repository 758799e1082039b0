"""The structured outcome: staging with its TNM edition, drafting while the case is discussed, the outcome
letter (PDF, in the referrer's language, attached and re-issued on amendment) and the follow-up record."""
import io
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.cases.models import Attachment, Case
from app.errors import Conflict, InvalidInput, PermissionDenied
from app.notifications.models import Notification
from app.outcomes import operations
from app.outcomes.models import Outcome, OutcomeFollowUp
from app.timekeeping import UTC
from tests.outcomes.conftest import MEETING_START
from tests.outcomes.test_outcomes import draft, put, sign_all

STAGED = {"tnm_edition": 8, "clinical_t": "cT2a", "clinical_n": "n0", "clinical_m": "M0", "stage_group": "ib"}
AFTER = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)


def letter_text(client, headers, user, link) -> str:
    response = client.get(link, headers=headers(user))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_staging_is_stored_canonically_with_its_edition(client, world, headers, draft_body, assert_problem):
    outcome = put(client, world, world.chair, headers, draft_body(world, **STAGED)).get_json()
    assert (outcome["tnm_edition"], outcome["clinical_t"], outcome["clinical_n"], outcome["clinical_m"],
            outcome["pathological_t"], outcome["stage_group"]) == (8, "T2a", "N0", "M0", None, "IB")

    no_edition = {**STAGED, "tnm_edition": None}
    body = assert_problem(put(client, world, world.chair, headers, draft_body(world, **no_edition)), 422)
    assert body["errors"][0]["field"] == "tnm_edition"
    body = assert_problem(put(client, world, world.chair, headers, draft_body(world, clinical_t="T7", tnm_edition=8)),
                          422)
    assert body["errors"][0]["field"] == "clinical_t" and "T7" in body["errors"][0]["message"]


def test_an_empty_recommendation_is_a_sentence_in_the_readers_language(client, world, headers, draft_body,
                                                                      assert_problem):
    body = assert_problem(put(client, world, world.chair, headers, draft_body(world, recommendation="  ")), 422)
    assert body["errors"] == [{"field": "recommendation",
                               "message": "Write the board's recommendation: it must not be empty."}]
    russian = {**headers(world.chair), "Accept-Language": "ru"}
    response = client.put(f"/api/v1/cases/{world.case.id}/outcome", headers=russian,
                          json=draft_body(world, recommendation=""))
    message = assert_problem(response, 422)["errors"][0]["message"]
    assert "String should have" not in message and any("а" <= ch <= "я" for ch in message)


def test_the_outcome_is_drafted_while_the_case_is_discussed_and_signed_after(session, world, draft_body):
    from app.meetings.models import Meeting

    live = Meeting(board_id=world.board.id, occurrence_date=date(2025, 11, 12), title="Thoracic MDT 12 Nov",
                   kind="board", starts_at=MEETING_START + timedelta(days=7),
                   ends_at=MEETING_START + timedelta(days=7, hours=2), host_timezone="Asia/Shanghai",
                   status="in_progress", chair_id=world.chair.id, started_at=MEETING_START + timedelta(days=7))
    session.add(live)
    session.flush()
    world.invite(live, world.chair, discipline="medical-oncology")
    world.invite(live, world.radiologist, discipline="radiology")
    case = world.make_case(discussed=False, meeting=live, reference="FCG-2025-0150")
    assert case.state == "scheduled"
    at = live.starts_at + timedelta(minutes=20)
    outcome, created = operations.save_draft(session, case, world.chair, draft_body(world), at=at)
    assert created and outcome.meeting_id == live.id and outcome.signed_at is None
    from app.meetings import attendance

    attendance.mark_joined(session, live, world.radiologist, at=live.starts_at, source="live")
    with pytest.raises(Conflict, match="cannot be signed"):  # signing waits until the chair marks it discussed
        operations.sign(session, outcome, world.radiologist, at=at)

    live.status = "scheduled"  # not running: nothing to draft against
    other = world.make_case(discussed=False, meeting=live, reference="FCG-2025-0151")
    with pytest.raises(Conflict, match="not been discussed"):
        operations.save_draft(session, other, world.chair, draft_body(world), at=at)


def test_the_letter_is_attached_in_the_referrers_language_and_reissued_on_amendment(
        client, session, world, headers, draft_body):
    world.referrer.locale = "zh"
    session.commit()
    outcome = draft(client, world, headers, lambda w: draft_body(w, **STAGED, pathological_t="pT2a"))
    sign_all(client, outcome["id"], world, headers)
    note = session.scalars(select(Notification).where(Notification.kind == "outcome_signed")).one()
    text = letter_text(client, headers, world.referrer, note.link)
    assert "多学科" in text  # the title, in Chinese
    assert "Right upper lobectomy with nodal dissection." in text  # the board's words, as written
    assert "cT2a cN0 cM0 pT2a" in text and "IB" in text and "8" in text
    assert "Dr Sen (radiology)" in text and "FCG-2025-0142" in text

    world.referrer.locale = "ru"
    session.commit()
    amended = client.post(f"/api/v1/outcomes/{outcome['id']}/amend", headers=headers(world.coordinator),
                          json={"category": "radiotherapy", "recommendation": "SBRT 54 Gy in 3 fractions.",
                                "reason": "Пациент отказался от операции."})
    assert amended.status_code == 201, amended.get_json()
    sign_all(client, amended.get_json()["id"], world, headers)
    session.expire_all()
    letters = session.scalars(select(Attachment).where(Attachment.case_id == world.case.id,
                                                       Attachment.filename.like("outcome-letter-%"))
                              .order_by(Attachment.id)).all()
    assert [a.filename for a in letters] == [f"outcome-letter-case-{world.case.id}-v1-zh.pdf",
                                             f"outcome-letter-case-{world.case.id}-v2-ru.pdf"]
    notes = session.scalars(select(Notification).where(Notification.kind == "outcome_signed")
                            .order_by(Notification.id)).all()
    text = letter_text(client, headers, world.referrer, notes[-1].link)
    assert "SBRT 54 Gy in 3 fractions." in text and "лучевая терапия" in text.lower()
    assert "версия 2" in text.lower() or "версии 2" in text.lower()
    assert "Пациент отказался от операции." in text  # why it was amended, as written


def test_follow_up_is_recorded_and_corrected_by_the_referrer_or_a_coordinator(
        client, session, world, headers, draft_body, assert_problem):
    outcome_id = draft(client, world, headers, draft_body)["id"]
    url = f"/api/v1/outcomes/{outcome_id}/follow-up"
    body = assert_problem(client.put(url, headers=headers(world.referrer),
                                     json={"status": "carried_out", "occurred_on": "2025-11-18"}), 409)
    assert "not signed" in body["detail"]
    sign_all(client, outcome_id, world, headers)

    body = assert_problem(client.put(url, headers=headers(world.referrer),
                                     json={"status": "changed", "occurred_on": "2025-11-18"}), 422)
    assert body["errors"][0]["field"] == "reason"
    assert_problem(client.put(url, headers=headers(world.radiologist),
                              json={"status": "carried_out", "occurred_on": "2025-11-18"}), 403)
    body = assert_problem(client.put(url, headers=headers(world.referrer),
                                     json={"status": "carried_out", "occurred_on": "2025-11-01"}), 422)
    assert body["errors"][0]["field"] == "occurred_on"

    recorded = client.put(url, headers=headers(world.referrer),
                          json={"status": "not_carried_out", "occurred_on": "2025-11-18",
                                "reason": "The patient declined surgery."})
    assert recorded.status_code == 200, recorded.get_json()
    corrected = client.put(url, headers=headers(world.coordinator),
                           json={"status": "changed", "occurred_on": "2025-11-19",
                                 "reason": "SBRT instead: the patient declined surgery."})
    assert corrected.status_code == 200
    seen = client.get(url, headers=headers(world.referrer)).get_json()
    assert (seen["status"], seen["occurred_on"], seen["recorded_by_id"]) == ("changed", "2025-11-19",
                                                                          world.coordinator.id)
    assert session.scalar(select(OutcomeFollowUp).where(OutcomeFollowUp.outcome_id == outcome_id)).reason \
        == "SBRT instead: the patient declined surgery."


def test_follow_up_rules_in_the_domain(session, world, draft_body):
    outcome, _ = operations.save_draft(session, world.case, world.chair, draft_body(world),
                                       at=MEETING_START + timedelta(hours=1))
    for user in (world.radiologist, world.pathologist, world.surgeon):
        operations.sign(session, outcome, user, at=MEETING_START + timedelta(hours=2))
    with pytest.raises(PermissionDenied):
        operations.record_follow_up(session, outcome, world.chair, status="carried_out",
                                    occurred_on="2025-11-18", at=AFTER)
    with pytest.raises(InvalidInput, match="future"):
        operations.record_follow_up(session, outcome, world.referrer, status="carried_out",
                                    occurred_on="2025-12-01", at=AFTER)
    with pytest.raises(InvalidInput) as bad:
        operations.record_follow_up(session, outcome, world.referrer, status="done", occurred_on="2025-11-18",
                                    at=AFTER)
    assert bad.value.field == "status"
    record, created = operations.record_follow_up(session, outcome, world.referrer, status="carried_out",
                                                  occurred_on=date(2025, 11, 18), at=AFTER)
    assert created and record.reason is None and record.case_id == world.case.id

    amended = operations.amend(session, outcome, world.chair, {"category": "radiotherapy"},
                               reason="Patient declined surgery.", at=AFTER)
    for user in (world.radiologist, world.pathologist, world.surgeon):
        operations.sign(session, amended, user, at=AFTER + timedelta(minutes=5))
    with pytest.raises(Conflict, match="superseded"):
        operations.record_follow_up(session, outcome, world.referrer, status="carried_out",
                                    occurred_on="2025-11-18", at=AFTER)
    assert session.get(Case, world.case.id).state == "outcome_signed"
    assert session.get(Outcome, amended.id).signed_at is not None
