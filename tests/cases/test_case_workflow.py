"""The case lifecycle: the table of moves, who may make each, and the history it leaves."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.boards.models import BoardMember
from app.cases import workflow
from app.cases.models import CASE_STATES, CaseTransition
from app.errors import Conflict, InvalidInput, PermissionDenied
from app.timekeeping import parse_instant
from tests.cases.conftest import ROUTINE, T0, URGENT

TARGETS = workflow.SubmissionTargets(urgent=URGENT, routine=ROUTINE)
REACHABLE = {
    "draft": {"submitted", "withdrawn"},
    "submitted": {"returned", "triaged", "listed_not_discussed", "withdrawn"},
    "returned": {"submitted", "withdrawn"},
    "triaged": {"scheduled", "withdrawn"},
    "listed_not_discussed": {"closed", "withdrawn"},
    "scheduled": {"discussed", "triaged", "withdrawn"},
    "discussed": {"outcome_signed"},
    "outcome_signed": {"closed"},
    "closed": set(),
    "withdrawn": set(),
}


def test_the_table_is_the_lifecycle():
    for state in CASE_STATES:
        assert set(workflow.targets_from(state)) == REACHABLE[state], state
    for state in ("draft", "submitted", "returned", "triaged", "listed_not_discussed", "scheduled"):
        assert "withdrawn" in workflow.targets_from(state)
    for state in ("discussed", "outcome_signed", "closed"):
        assert "withdrawn" not in workflow.targets_from(state)
    assert workflow.human_targets_from("triaged") == ["withdrawn"]
    assert workflow.targets_for("submitted", {workflow.REFERRER}) == ["withdrawn"]
    assert set(workflow.targets_for("submitted", {workflow.COORDINATOR})) == REACHABLE["submitted"]


ACTOR_FOR = {workflow.REFERRER: "colleague", workflow.COORDINATOR: "coordinator", workflow.SYSTEM: "coordinator"}


@pytest.mark.parametrize("move", workflow.MOVES, ids=lambda m: f"{m.source}->{m.target}")
def test_every_legal_move_is_made_and_recorded(session, people, make_case, move):
    case = make_case(move.source)
    actor = getattr(people, ACTOR_FOR[sorted(move.by)[0]])
    at = T0 + timedelta(days=5)
    record = workflow.transition(session, case, move.target, actor, at=at, reason="Reason given",
                                 targets=TARGETS, source_address="198.51.100.4")
    session.commit()
    assert case.state == move.target
    assert (record.from_state, record.to_state, record.actor_id, record.at, record.reason) == (
        move.source, move.target, actor.id, at, "Reason given")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.transitioned")
                            .order_by(AuditEvent.id.desc())).first()
    assert event.detail == {"from": move.source, "to": move.target}
    assert event.source_address == "198.51.100.4" and event.actor_id == actor.id


@pytest.mark.parametrize("state, target", [
    ("draft", "triaged"), ("submitted", "closed"), ("returned", "triaged"), ("triaged", "returned"),
    ("discussed", "withdrawn"), ("closed", "withdrawn"), ("withdrawn", "submitted"), ("draft", "draft"),
])
def test_illegal_moves_raise_conflict_with_the_reachable_states(session, people, make_case, state, target):
    case = make_case(state)
    with pytest.raises(Conflict) as refused:
        workflow.transition(session, case, target, people.coordinator, at=T0, reason="r", targets=TARGETS)
    assert set(refused.value.extra["allowed"]) == REACHABLE[state]
    assert case.state == state


@pytest.mark.parametrize("state, target", [
    ("draft", "triaged"), ("submitted", "closed"), ("triaged", "returned"), ("discussed", "withdrawn"),
    ("closed", "withdrawn"), ("withdrawn", "submitted"),
])
def test_illegal_moves_answer_409_with_allowed(client, people, make_case, headers, assert_problem, state, target):
    case = make_case(state)
    response = client.post(f"/api/v1/cases/{case.id}/transitions", headers=headers(people.coordinator),
                           json={"to": target, "reason": "r"})
    body = assert_problem(response, 409)
    assert set(body["allowed"]) == set(workflow.human_targets_from(state))
    assert body["state"] == state


@pytest.mark.parametrize("state, target", [
    ("triaged", "scheduled"), ("scheduled", "discussed"), ("discussed", "outcome_signed"), ("scheduled", "triaged"),
])
def test_meeting_moves_are_not_made_through_the_endpoint(client, people, make_case, headers, assert_problem,
                                                          state, target):
    case = make_case(state)
    body = assert_problem(client.post(f"/api/v1/cases/{case.id}/transitions",
                                      headers=headers(people.coordinator), json={"to": target}), 409)
    assert body["allowed"] == workflow.human_targets_from(state)
    assert "meeting" in body["detail"]


def test_unknown_target_state_is_422(client, people, make_case, headers, assert_problem):
    case = make_case("submitted")
    body = assert_problem(client.post(f"/api/v1/cases/{case.id}/transitions",
                                      headers=headers(people.coordinator), json={"to": "lost"}), 422)
    assert body["errors"][0]["field"] == "to"


@pytest.mark.parametrize("state, target, who", [
    ("draft", "submitted", "referrer"), ("draft", "submitted", "colleague"),
    ("returned", "submitted", "colleague"),
    ("draft", "withdrawn", "colleague"), ("scheduled", "withdrawn", "referrer"),
    ("submitted", "returned", "coordinator"), ("submitted", "triaged", "coordinator"),
    ("submitted", "listed_not_discussed", "coordinator"), ("triaged", "withdrawn", "coordinator"),
    ("outcome_signed", "closed", "coordinator"), ("listed_not_discussed", "closed", "coordinator"),
])
def test_people_make_their_own_moves_through_the_api(client, people, make_case, headers, state, target, who):
    case = make_case(state)
    response = client.post(f"/api/v1/cases/{case.id}/transitions", headers=headers(getattr(people, who)),
                           json={"to": target, "reason": "Stated reason"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == target


@pytest.mark.parametrize("state, target, who", [
    ("draft", "submitted", "coordinator"),         # coordinators do not submit
    ("draft", "submitted", "site_specialist"),     # sees the case (same site) but is not a referrer
    ("submitted", "triaged", "referrer"),          # referrers do not triage their own cases
    ("submitted", "returned", "site_specialist"),
    ("outcome_signed", "closed", "referrer"),
])
def test_moves_by_the_wrong_person_are_403(client, people, make_case, headers, assert_problem, state, target, who):
    case = make_case(state)
    body = assert_problem(client.post(f"/api/v1/cases/{case.id}/transitions",
                                      headers=headers(getattr(people, who)),
                                      json={"to": target, "reason": "r"}), 403)
    assert "Only" in body["detail"]


def test_outsiders_cannot_move_a_case_they_cannot_see(client, people, make_case, headers, assert_problem):
    case = make_case("submitted")
    # a referrer at another site, and the coordinator of another board at another site
    assert_problem(client.post(f"/api/v1/cases/{case.id}/transitions", headers=headers(people.other_site_referrer),
                               json={"to": "withdrawn", "reason": "r"}), 404)
    assert_problem(client.post(f"/api/v1/cases/{case.id}/transitions", headers=headers(people.other_coordinator),
                               json={"to": "triaged"}), 404)
    draft = make_case("draft")
    assert_problem(client.post(f"/api/v1/cases/{draft.id}/submit", headers=headers(people.other_site_referrer)), 404)


def test_a_coordinator_of_another_board_at_the_referring_site_may_not_triage(
        client, session, people, make_case, make_user, headers, assert_problem):
    local_coordinator = make_user("coordinator", name="Local coordinator")
    session.add(BoardMember(board_id=people.other_board.id, user_id=local_coordinator.id, role="coordinator"))
    session.commit()
    case = make_case("submitted")
    assert client.get(f"/api/v1/cases/{case.id}", headers=headers(local_coordinator)).status_code == 200
    assert_problem(client.post(f"/api/v1/cases/{case.id}/transitions", headers=headers(local_coordinator),
                               json={"to": "triaged"}), 403)


def test_a_board_coordinator_without_consent_may_still_return_the_case(client, people, make_case, headers):
    case = make_case("submitted", cross_border_consent=False)
    response = client.post(f"/api/v1/cases/{case.id}/transitions", headers=headers(people.foreign_coordinator),
                           json={"to": "returned", "reason": "Please record consent for cross-border discussion."})
    assert response.status_code == 200
    assert response.get_json() == {**response.get_json(), "access": "summary", "state": "returned"}


@pytest.mark.parametrize("state, target, who", [
    ("submitted", "returned", "coordinator"), ("submitted", "listed_not_discussed", "coordinator"),
    ("draft", "withdrawn", "referrer"),
])
def test_some_moves_need_a_reason(client, people, make_case, headers, assert_problem, state, target, who):
    case = make_case(state)
    for body in ({"to": target}, {"to": target, "reason": "   "}):
        problem = assert_problem(client.post(f"/api/v1/cases/{case.id}/transitions",
                                             headers=headers(getattr(people, who)), json=body), 422)
        assert problem["errors"] == [{"field": "reason", "message": f"is required to move a case to {target}"}]


def test_submitting_through_transitions_checks_the_minimum_dataset(client, people, headers, assert_problem):
    case = client.post("/api/v1/cases", headers=headers(people.referrer), json={"sex": "male"}).get_json()
    body = assert_problem(client.post(f"/api/v1/cases/{case['id']}/transitions",
                                      headers=headers(people.referrer), json={"to": "submitted"}), 422)
    assert "patient_reference" in [e["field"] for e in body["errors"]]


def test_triage_decisions_are_recorded_with_who_and_why(client, people, make_case, headers):
    case = make_case("submitted")
    response = client.post(f"/api/v1/cases/{case.id}/transitions", headers=headers(people.coordinator),
                           json={"to": "listed_not_discussed", "reason": "Standard of care: adjuvant chemotherapy."})
    detail = response.get_json()
    assert detail["triage_decision"] == "standard_of_care"
    last = detail["history"][-1]
    assert last == {**last, "from_state": "submitted", "to_state": "listed_not_discussed",
                    "actor_id": people.coordinator.id, "actor_name": "Li Na",
                    "reason": "Standard of care: adjuvant chemotherapy."}
    triaged = make_case("triaged")
    assert triaged.triage_decision == "for_discussion"


def test_history_tells_who_did_what_when_and_why(client, people, headers):
    h = headers(people.referrer)
    from tests.cases.conftest import complete_values

    case = client.post("/api/v1/cases", headers=h, json=complete_values(people.board.id)).get_json()
    client.post(f"/api/v1/cases/{case['id']}/submit", headers=h)
    client.post(f"/api/v1/cases/{case['id']}/transitions", headers=headers(people.coordinator),
                json={"to": "returned", "reason": "Attach the pathology report."})
    client.post(f"/api/v1/cases/{case['id']}/transitions", headers=headers(people.colleague),
                json={"to": "submitted"})
    detail = client.get(f"/api/v1/cases/{case['id']}", headers=h).get_json()
    assert [(t["from_state"], t["to_state"], t["actor_id"], t["reason"]) for t in detail["history"]] == [
        (None, "draft", people.referrer.id, None),
        ("draft", "submitted", people.referrer.id, None),
        ("submitted", "returned", people.coordinator.id, "Attach the pathology report."),
        ("returned", "submitted", people.colleague.id, None),
    ]
    instants = [parse_instant(t["at"]) for t in detail["history"]]
    assert instants == sorted(instants)
    assert detail["available_transitions"] == ["withdrawn"]
    coordinator_view = client.get(f"/api/v1/cases/{case['id']}", headers=headers(people.coordinator)).get_json()
    assert set(coordinator_view["available_transitions"]) == REACHABLE["submitted"]


def test_transition_operation_refusals(session, people, make_case):
    case = make_case("submitted")
    with pytest.raises(PermissionDenied):
        workflow.transition(session, case, "triaged", people.referrer, at=T0)
    with pytest.raises(InvalidInput):
        workflow.transition(session, case, "returned", people.coordinator, at=T0)
    with pytest.raises(InvalidInput):
        workflow.transition(session, case, "nowhere", people.coordinator, at=T0)
    assert case.state == "submitted"
    assert session.scalars(select(CaseTransition).where(CaseTransition.case_id == case.id)).all()[-1].to_state \
        == "submitted"


def test_the_scheduler_makes_meeting_moves_without_a_person(client, session, people, make_case, headers):
    case = make_case("scheduled")
    record = workflow.transition(session, case, "triaged", None, at=T0 + timedelta(days=9),
                                 reason_code="agenda.rolled_back", reason_params={"meeting_id": 7})
    session.commit()
    assert record.actor_id is None and case.state == "triaged"
    last = client.get(f"/api/v1/cases/{case.id}", headers=headers(people.referrer)).get_json()["history"][-1]
    assert (last["actor_id"], last["actor_name"]) == (None, "Meridian (system)")
    assert (last["reason_code"], last["reason"]) == (
        "agenda.rolled_back", "not discussed at meeting #7; waiting for the next meeting")
    # Meridian's own name and words are the reader's language; only a person's words stay as written
    in_russian = client.get(f"/api/v1/cases/{case.id}", headers={
        **headers(people.referrer), "Accept-Language": "ru"}).get_json()["history"][-1]
    assert "Meridian" in in_russian["actor_name"] and in_russian["actor_name"] != "Meridian (system)"
    assert "#7" in in_russian["reason"] and "waiting" not in in_russian["reason"]
    # but a person's move always needs a person
    with pytest.raises(PermissionDenied):
        workflow.transition(session, case, "withdrawn", None, at=T0, reason="r")


def test_a_move_from_a_state_the_case_has_left_is_refused(app, session, people, make_case):
    from sqlalchemy import text

    from app.extensions import db

    case = make_case("submitted")
    state_loaded = case.state
    with db.engine.begin() as other:  # someone else withdraws it meanwhile
        other.execute(text("UPDATE cases SET state = 'withdrawn' WHERE id = :id"), {"id": case.id})
    assert state_loaded == "submitted"
    with pytest.raises(Conflict) as refused:
        workflow.transition(session, case, "triaged", people.coordinator, at=T0)
    assert refused.value.extra["state"] == "withdrawn" and refused.value.extra["allowed"] == []
