"""Outcomes: drafting, signing by present specialists of the required disciplines, completion,
immutability, amendments, visibility and the audit trail."""
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.notifications.models import Notification
from app.outcomes.models import Outcome, OutcomeSignature
from tests.outcomes.conftest import DUE


def put(client, world, user, headers, body, case=None):
    return client.put(f"/api/v1/cases/{(case or world.case).id}/outcome", json=body, headers=headers(user))


def sign(client, outcome_id, user, headers):
    return client.post(f"/api/v1/outcomes/{outcome_id}/sign", headers=headers(user))


def sign_all(client, outcome_id, world, headers):
    for user in (world.radiologist, world.pathologist, world.surgeon):
        response = sign(client, outcome_id, user, headers)
        assert response.status_code == 200, response.get_json()
    return response.get_json()


def draft(client, world, headers, draft_body, user=None):
    response = put(client, world, user or world.chair, headers, draft_body(world))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def audit_actions(session, action):
    session.expire_all()
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


# --- drafting -----------------------------------------------------------------------------------


def test_chair_drafts_and_coordinator_and_seat_invitee_update_the_one_draft(client, world, headers, draft_body):
    created = draft(client, world, headers, draft_body)
    assert created["version"] == 1 and created["status"] == "draft" and created["signed_at"] is None
    assert created["meeting_id"] == world.meeting.id and created["drafted_by_id"] == world.chair.id
    assert created["required_disciplines"] == ["pathology", "radiology", "thoracic-surgery"]
    assert created["missing_disciplines"] == ["pathology", "radiology", "thoracic-surgery"]
    assert created["actions"] == [{"action": "Book surgery", "owner_id": world.referrer.id,
                                   "owner_name": "Dr Huang Wei", "due": DUE}]

    for user, category in ((world.coordinator, "radiotherapy"), (world.surgeon, "chemoradiotherapy")):
        response = put(client, world, user, headers, draft_body(world, category=category))
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["id"] == created["id"] and response.get_json()["category"] == category


@pytest.mark.parametrize("who", ["attendee", "observer", "referrer"])
def test_others_may_not_draft(client, world, headers, draft_body, assert_problem, who):
    body = assert_problem(put(client, world, getattr(world, who), headers, draft_body(world)), 403)
    assert "chair" in body["detail"]


def test_a_stranger_is_told_the_case_does_not_exist(client, world, headers, draft_body, assert_problem):
    assert_problem(put(client, world, world.stranger, headers, draft_body(world)), 404)
    assert_problem(client.get(f"/api/v1/cases/{world.case.id}/outcome", headers=headers(world.stranger)), 404)
    existing = draft(client, world, headers, draft_body)
    missing = assert_problem(sign(client, existing["id"] + 1000, world.stranger, headers), 404)
    assert assert_problem(sign(client, existing["id"], world.stranger, headers), 404) == {
        **missing, "detail": missing["detail"].replace(str(existing["id"] + 1000), str(existing["id"]))}


def test_only_a_discussed_case_gets_a_draft(client, world, headers, draft_body, assert_problem):
    scheduled = world.make_case(discussed=False, reference="FCG-2025-0150")
    body = assert_problem(put(client, world, world.chair, headers, draft_body(world), case=scheduled), 409)
    assert "discussed" in body["detail"]


def test_bad_input_is_a_problem_naming_the_field(client, world, headers, draft_body, assert_problem):
    def field_of(**overrides):
        body = assert_problem(put(client, world, world.chair, headers, draft_body(world, **overrides)), 422)
        assert body["type"] == "/problems/validation-error"
        return body["errors"][0]["field"]

    assert field_of(category="homeopathy") == "category"
    assert field_of(actions=[{"action": "Book", "owner_id": 999999, "due": DUE}]) == "actions[0].owner_id"
    assert field_of(actions=[{"action": "Book", "owner_id": world.stranger.id, "due": DUE}]) == "actions[0].owner_id"
    assert field_of(actions=[{"action": "Book", "owner_id": world.referrer.id, "due": "2025-02-30"}]) \
        == "actions[0].due"
    assert field_of(actions=[{"action": "Book", "owner_id": world.referrer.id, "due": "19/11/2025"}]) \
        == "actions[0].due"
    assert field_of(actions=[{"action": "Book", "owner_id": world.referrer.id, "due": "2025-11-01"}]) \
        == "actions[0].due"  # before the meeting
    assert field_of(actions=[{"action": "Book", "owner_id": "7", "due": DUE}]) == "actions[0].owner_id"
    assert field_of(actions=[{"action": "Book", "due": DUE}]) == "actions[0].owner_id"
    assert field_of(recommendation="") == "recommendation"
    assert field_of(verdict="yes") == "verdict"


# --- signing ------------------------------------------------------------------------------------


def test_who_may_sign(client, world, headers, draft_body, assert_problem):
    outcome = draft(client, world, headers, draft_body)
    refused = {}
    for name in ("observer", "board_observer", "absent_radiologist", "cardiologist", "attendee", "coordinator",
                 "referrer"):
        refused[name] = assert_problem(sign(client, outcome["id"], getattr(world, name), headers), 403)["detail"]
    assert refused["observer"].startswith("Observers do not sign outcomes")
    assert refused["board_observer"].startswith("Observers do not sign outcomes")
    assert "present" in refused["absent_radiologist"]
    assert "Cardiology" in refused["cardiologist"] and "does not require" in refused["cardiologist"]
    assert "Pathology, Radiology, Thoracic surgery" in refused["cardiologist"]  # as people name them
    assert "seat" in refused["attendee"] and "seat" in refused["coordinator"]
    # The chair sat for medical oncology, which this case does not require.
    assert "Medical oncology" in assert_problem(sign(client, outcome["id"], world.chair, headers), 403)["detail"]


def test_complete_only_when_every_required_discipline_signed(client, session, world, headers, draft_body,
                                                             assert_problem):
    outcome = draft(client, world, headers, draft_body)
    first = sign(client, outcome["id"], world.radiologist, headers).get_json()
    assert first["signed_at"] is None and first["missing_disciplines"] == ["pathology", "thoracic-surgery"]
    assert [s["discipline"] for s in first["signatures"]] == ["radiology"]
    assert_problem(sign(client, outcome["id"], world.radiologist, headers), 409)  # twice
    second = sign(client, outcome["id"], world.pathologist, headers).get_json()
    assert second["signed_at"] is None and second["missing_disciplines"] == ["thoracic-surgery"]
    session.expire_all()
    assert session.get(Case, world.case.id).state == "discussed"
    assert session.scalars(select(Notification).where(Notification.kind == "outcome_signed")).all() == []

    done = sign(client, outcome["id"], world.surgeon, headers).get_json()
    assert done["status"] == "signed" and done["signed_at"].endswith("Z") and done["missing_disciplines"] == []
    session.expire_all()
    case = session.get(Case, world.case.id)
    assert case.state == "outcome_signed"
    assert (case.transitions[-1].from_state, case.transitions[-1].to_state) == ("discussed", "outcome_signed")
    assert case.transitions[-1].actor_id == world.surgeon.id
    note = session.scalars(select(Notification).where(Notification.kind == "outcome_signed")).one()
    assert note.user_id == world.referrer.id
    letter = [a for a in case.attachments if a.filename.startswith("outcome-letter-")]
    assert len(letter) == 1 and letter[0].media_type == "application/pdf"
    assert note.link == f"/api/v1/attachments/{letter[0].id}/content"
    assert "lobectomy" not in note.subject + note.body  # no clinical content in a notification

    # The referrer sees it on the case.
    seen = client.get(f"/api/v1/cases/{world.case.id}/outcome", headers=headers(world.referrer)).get_json()
    assert seen["access"] == "full" and seen["signed"] is True and seen["case_state"] == "outcome_signed"
    assert seen["current"]["recommendation"].startswith("Right upper lobectomy")
    assert [s["user_id"] for s in seen["current"]["signatures"]] == [
        world.radiologist.id, world.pathologist.id, world.surgeon.id]
    assert seen["draft"] is None

    signed_events = audit_actions(session, "outcome.signed")
    assert [(e.actor_id, e.detail["discipline"]) for e in signed_events] == [
        (world.radiologist.id, "radiology"), (world.pathologist.id, "pathology"),
        (world.surgeon.id, "thoracic-surgery")]
    assert [e.detail["completed"] for e in signed_events] == [False, False, True]
    assert len(audit_actions(session, "outcome.completed")) == 1


# --- immutability -------------------------------------------------------------------------------


def test_a_signed_outcome_is_immutable_through_the_api(client, world, headers, draft_body, assert_problem):
    outcome = draft(client, world, headers, draft_body)
    sign_all(client, outcome["id"], world, headers)
    body = assert_problem(put(client, world, world.chair, headers, draft_body(world, category="surveillance")), 409)
    assert body["outcome_id"] == outcome["id"] and "amend" in body["detail"]
    assert_problem(sign(client, outcome["id"], world.absent_radiologist, headers), 409)


def test_the_orm_refuses_changes_to_a_signed_outcome(client, session, world, headers, draft_body):
    from app.outcomes.models import SignedOutcomeIsImmutable

    outcome_id = draft(client, world, headers, draft_body)["id"]
    # A draft may change.
    outcome = session.get(Outcome, outcome_id)
    outcome.rationale = "Edited in place while a draft."
    session.commit()
    sign_all(client, outcome_id, world, headers)
    session.expire_all()

    outcome = session.get(Outcome, outcome_id)
    outcome.recommendation = "Something else entirely"
    with pytest.raises(SignedOutcomeIsImmutable):
        session.commit()
    session.rollback()
    outcome = session.get(Outcome, outcome_id)
    outcome.signed_at = None
    with pytest.raises(SignedOutcomeIsImmutable):
        session.commit()
    session.rollback()
    session.delete(session.get(Outcome, outcome_id))
    with pytest.raises(SignedOutcomeIsImmutable):
        session.commit()
    session.rollback()
    signature = session.scalars(select(OutcomeSignature).where(OutcomeSignature.outcome_id == outcome_id)).first()
    session.delete(signature)
    with pytest.raises(SignedOutcomeIsImmutable):
        session.commit()
    session.rollback()
    session.add(OutcomeSignature(outcome_id=outcome_id, user_id=world.absent_radiologist.id,
                                 discipline_code="radiology"))
    with pytest.raises(SignedOutcomeIsImmutable):
        session.commit()
    session.rollback()
    assert session.get(Outcome, outcome_id).recommendation.startswith("Right upper lobectomy")


# --- amendments ---------------------------------------------------------------------------------


AMEND_TO_SURVEILLANCE = {"category": "surveillance", "reason": "Patient chose surveillance."}


def test_an_amendment_is_a_new_linked_version_that_needs_signing(client, session, world, headers, draft_body,
                                                                 assert_problem):
    original = draft(client, world, headers, draft_body)
    sign_all(client, original["id"], world, headers)

    # An amendment says why; without a reason (or with a blank one) nothing is made.
    for body in ({"category": "chemoradiotherapy"}, {"category": "chemoradiotherapy", "reason": "     "},
                 {"category": "chemoradiotherapy", "reason": " ab "}):   # blank, or too short once trimmed
        problem = assert_problem(client.post(f"/api/v1/outcomes/{original['id']}/amend", json=body,
                                             headers=headers(world.coordinator)), 422)
        assert [error["field"] for error in problem["errors"]] == ["reason"]
    assert session.scalar(select(func.count(Outcome.id)).where(Outcome.case_id == world.case.id)) == 1

    response = client.post(f"/api/v1/outcomes/{original['id']}/amend",
                           json={"category": "chemoradiotherapy", "dissent": "Dr Haddad would operate.",
                                 "recommendation": original["recommendation"],   # sent, but the same
                                 "reason": "Surgical review found the node inoperable."},
                           headers=headers(world.coordinator))
    assert response.status_code == 201, response.get_json()
    amended = response.get_json()
    assert amended["version"] == 2 and amended["supersedes_id"] == original["id"]
    assert amended["status"] == "draft" and amended["signatures"] == [] and amended["signed_at"] is None
    assert amended["category"] == "chemoradiotherapy" and amended["dissent"] == "Dr Haddad would operate."
    assert amended["recommendation"] == original["recommendation"]  # copied
    assert amended["actions"] == original["actions"]
    assert amended["amendment_reason"] == "Surgical review found the node inoperable."
    assert original["amendment_reason"] is None
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "outcome.amended")).all()
    assert event.detail["fields"] == ["category", "dissent"]   # what changed, not what was sent
    # The reason is clinical free text: kept on the version, never in the trail admins read.
    assert "reason" not in event.detail and event.detail["via"] == "api"
    assert "inoperable" not in str(event.detail)

    # One unsigned draft at a time; the draft is changed with PUT; the old version stays put.
    assert_problem(client.post(f"/api/v1/outcomes/{original['id']}/amend", json=AMEND_TO_SURVEILLANCE,
                               headers=headers(world.coordinator)), 409)
    updated = put(client, world, world.chair, headers, draft_body(world, category="radiotherapy"))
    assert updated.status_code == 200 and updated.get_json()["id"] == amended["id"]
    assert_problem(client.post(f"/api/v1/outcomes/{amended['id']}/amend", json=AMEND_TO_SURVEILLANCE,
                               headers=headers(world.coordinator)), 409)  # amend a draft: no

    seen = client.get(f"/api/v1/cases/{world.case.id}/outcome", headers=headers(world.referrer)).get_json()
    assert seen["current"]["id"] == original["id"] and seen["current"]["category"] == "surgery"
    assert seen["draft"]["id"] == amended["id"]
    assert [(v["version"], v["status"]) for v in seen["versions"]] == [(1, "signed"), (2, "draft")]
    assert seen["versions"][0]["superseded_by_id"] == amended["id"]

    done = sign_all(client, amended["id"], world, headers)
    assert done["status"] == "signed"
    session.expire_all()
    assert session.get(Case, world.case.id).state == "outcome_signed"
    seen = client.get(f"/api/v1/cases/{world.case.id}/outcome", headers=headers(world.referrer)).get_json()
    assert seen["current"]["id"] == amended["id"] and seen["current"]["category"] == "radiotherapy"
    assert [(v["version"], v["status"]) for v in seen["versions"]] == [(1, "superseded"), (2, "signed")]
    notes = session.scalars(select(Notification).where(Notification.kind == "outcome_signed")
                            .order_by(Notification.id)).all()
    assert [n.user_id for n in notes] == [world.referrer.id, world.referrer.id]
    assert "Amended" in notes[1].subject
    # Only the current version may be amended, and an amendment must change something.
    assert_problem(client.post(f"/api/v1/outcomes/{original['id']}/amend", json=AMEND_TO_SURVEILLANCE,
                               headers=headers(world.coordinator)), 409)
    body = assert_problem(client.post(f"/api/v1/outcomes/{amended['id']}/amend",
                                      json={"category": "radiotherapy", "reason": "No change"},
                                      headers=headers(world.coordinator)), 422)
    assert "change" in body["detail"]
    assert_problem(client.post(f"/api/v1/outcomes/{amended['id']}/amend", json={"category": "homeopathy", "reason": "Test"},
                               headers=headers(world.coordinator)), 422)
    assert_problem(client.post(f"/api/v1/outcomes/{amended['id']}/amend", json=AMEND_TO_SURVEILLANCE,
                               headers=headers(world.referrer)), 403)


# --- visibility and audit -----------------------------------------------------------------------


def test_summary_viewer_sees_only_that_an_outcome_exists(client, session, world, headers, draft_body,
                                                         assert_problem):
    """Without cross-border consent the Nairobi surgeon sees a summary of this Chinese case."""
    case = world.make_case(consent=False, reference="FCG-2025-0161")
    response = client.get(f"/api/v1/cases/{case.id}/outcome", headers=headers(world.surgeon))
    assert response.get_json() == {"access": "summary", "case_id": case.id, "exists": False, "signed": False}

    response = put(client, world, world.chair, headers, draft_body(world), case=case)
    assert response.status_code == 403  # the chair is abroad too
    outcome = put(client, world, world.coordinator, headers, draft_body(world), case=case).get_json()
    assert outcome["version"] == 1
    body = client.get(f"/api/v1/cases/{case.id}/outcome", headers=headers(world.surgeon)).get_json()
    assert body == {"access": "summary", "case_id": case.id, "exists": True, "signed": False}
    assert "recommendation" not in str(body)
    assert_problem(put(client, world, world.surgeon, headers, draft_body(world), case=case), 403)
    assert_problem(sign(client, outcome["id"], world.surgeon, headers), 403)
    # The coordinator, at the hub in the same region, reads it in full.
    full = client.get(f"/api/v1/cases/{case.id}/outcome", headers=headers(world.coordinator)).get_json()
    assert full["access"] == "full" and full["draft"]["recommendation"].startswith("Right upper")

    views = audit_actions(session, "outcome.viewed")
    assert [(e.actor_id, e.target_id, e.detail["access"]) for e in views] == [
        (world.surgeon.id, str(case.id), "summary"), (world.surgeon.id, str(case.id), "summary"),
        (world.coordinator.id, str(case.id), "full")]
    assert views[-1].detail["versions"] == [outcome["id"]] and views[0].detail["versions"] == []


def test_reads_and_drafts_are_audited(client, session, world, headers, draft_body):
    outcome = draft(client, world, headers, draft_body)
    client.get(f"/api/v1/cases/{world.case.id}/outcome", headers=headers(world.referrer))
    drafted = audit_actions(session, "outcome.drafted")
    assert [(e.actor_id, e.target_type, e.target_id) for e in drafted] == [
        (world.chair.id, "outcome", str(outcome["id"]))]
    viewed = audit_actions(session, "outcome.viewed")
    assert [(e.actor_id, e.target_type, e.detail["access"]) for e in viewed] == [(world.referrer.id, "case", "full")]


def test_last_two_signatures_at_the_same_moment_complete_the_outcome(app, session, world, draft_body):
    """Two specialists sign at once; the case lock makes the second see the first's signature."""
    import threading
    from datetime import timedelta

    from app.accounts.models import User
    from app.extensions import db
    from app.outcomes import operations
    from tests.outcomes.conftest import MEETING_END

    at = MEETING_END + timedelta(hours=1)
    outcome, _ = operations.save_draft(session, world.case, world.chair, draft_body(world), at=at)
    operations.sign(session, outcome, world.radiologist, at=at)
    outcome_id, signer_ids, case_id = outcome.id, [world.pathologist.id, world.surgeon.id], world.case.id
    session.commit()
    session.close()  # hold no transaction (on SQLite, no write lock) while the threads run
    barrier, errors = threading.Barrier(2, timeout=30), []

    def run(user_id):
        try:
            with app.app_context():
                barrier.wait()  # before touching the database: SQLite locks when a transaction begins
                own = db.session
                user, mine = own.get(User, user_id), own.get(Outcome, outcome_id)
                operations.sign(own, mine, user, at=at + timedelta(minutes=5))
                own.commit()
                own.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(user_id,), daemon=True) for user_id in signer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads) and errors == []
    session.expire_all()
    outcome = session.get(Outcome, outcome_id)
    assert outcome.signed_at is not None and len(outcome.signatures) == 3
    assert session.get(Case, case_id).state == "outcome_signed"
    assert len(session.scalars(select(Notification).where(Notification.kind == "outcome_signed")).all()) == 1
