"""The referral pro-forma: drafts may be incomplete, submission may not; every field is checked."""
from datetime import timedelta

import pytest

from app.cases import operations, workflow
from app.cases.workflow import REQUIRED_FOR_SUBMISSION
from app.errors import InvalidInput
from app.timekeeping import parse_instant
from tests.cases.conftest import ROUTINE, T0, URGENT


def test_a_draft_may_be_incomplete_and_says_what_is_missing(client, people, headers):
    response = client.post("/api/v1/cases", headers=headers(people.referrer),
                           json={"icd10_code": "c34.1", "urgency": "urgent"})
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["state"] == "draft" and case["access"] == "full"
    assert case["icd10_code"] == "C34.1"  # normalised
    assert case["organization_id"] == people.referrer.organization_id
    assert case["referrer_id"] == people.referrer.id
    assert case["residency_region"] == "cn"
    assert "icd10_code" not in case["missing_for_submission"]
    assert "patient_reference" in case["missing_for_submission"]
    assert case["history"][0]["to_state"] == "draft" and case["history"][0]["from_state"] is None
    again = client.get(f"/api/v1/cases/{case['id']}", headers=headers(people.referrer)).get_json()
    assert again["urgency"] == "urgent" and again["patient_reference"] is None


def test_only_referrers_start_cases(client, people, headers, assert_problem):
    assert_problem(client.post("/api/v1/cases", headers=headers(people.coordinator), json={}), 403)
    assert_problem(client.post("/api/v1/cases", json={}), 401)


def test_submission_of_an_incomplete_case_lists_every_missing_field(client, people, headers, assert_problem):
    case = client.post("/api/v1/cases", headers=headers(people.referrer),
                       json={"icd10_code": "C18", "frailty_score": 4}).get_json()
    body = assert_problem(client.post(f"/api/v1/cases/{case['id']}/submit", headers=headers(people.referrer)), 422)
    expected = [name for name in REQUIRED_FOR_SUBMISSION if name not in ("icd10_code", "urgency")]
    assert body["errors"] == [{"field": name, "message": "is required for submission"} for name in expected]
    assert "frailty_score" not in body["detail"]  # optional
    after = client.get(f"/api/v1/cases/{case['id']}", headers=headers(people.referrer)).get_json()
    assert after["state"] == "draft" and after["submitted_at"] is None


def test_a_refused_consent_counts_as_answered_but_an_empty_list_does_not(client, people, complete, headers,
                                                                        assert_problem):
    values = complete(people.board.id, cross_border_consent=False, disciplines=[])
    case = client.post("/api/v1/cases", headers=headers(people.referrer), json=values).get_json()
    body = assert_problem(client.post(f"/api/v1/cases/{case['id']}/submit", headers=headers(people.referrer)), 422)
    assert [e["field"] for e in body["errors"]] == ["disciplines"]


@pytest.mark.parametrize("urgency, target", [("urgent", timedelta(hours=72)), ("routine", timedelta(days=14))])
def test_submission_sets_the_discussion_target_by_urgency(client, people, complete, headers, urgency, target):
    values = complete(people.board.id, urgency=urgency)
    case = client.post("/api/v1/cases", headers=headers(people.referrer), json=values).get_json()
    assert case["missing_for_submission"] == []
    response = client.post(f"/api/v1/cases/{case['id']}/submit", headers=headers(people.referrer))
    assert response.status_code == 200, response.get_json()
    submitted = response.get_json()
    assert submitted["state"] == "submitted"
    assert parse_instant(submitted["target_at"]) - parse_instant(submitted["submitted_at"]) == target


def test_targets_come_from_configuration(client, app, people, complete, headers):
    app.config["URGENT_TARGET_HOURS"] = 24
    case = client.post("/api/v1/cases", headers=headers(people.referrer),
                       json=complete(people.board.id, urgency="urgent")).get_json()
    submitted = client.post(f"/api/v1/cases/{case['id']}/submit", headers=headers(people.referrer)).get_json()
    assert parse_instant(submitted["target_at"]) - parse_instant(submitted["submitted_at"]) == timedelta(hours=24)


def test_submit_operation_uses_the_given_instant_and_durations(session, people, complete):
    case = operations.create_case(session, people.referrer, complete(people.board.id, urgency="urgent"), at=T0)
    operations.submit_case(session, case, people.referrer, at=T0 + timedelta(hours=1),
                           urgent_target=timedelta(hours=48), routine_target=ROUTINE)
    assert case.submitted_at == T0 + timedelta(hours=1)
    assert case.target_at == T0 + timedelta(hours=49)


def test_resubmission_restarts_the_clock(session, people, make_case):
    case = make_case("returned", urgency="routine")
    later = T0 + timedelta(days=3)
    operations.submit_case(session, case, people.referrer, at=later, urgent_target=URGENT,
                           routine_target=ROUTINE)
    assert case.submitted_at == later and case.target_at == later + ROUTINE


def test_consent_records_when_and_by_whom(client, session, people, headers):
    case = client.post("/api/v1/cases", headers=headers(people.referrer), json={}).get_json()
    assert case["cross_border_consent"] is None and case["consent_recorded_at"] is None
    patched = client.patch(f"/api/v1/cases/{case['id']}", headers=headers(people.colleague),
                           json={"cross_border_consent": True}).get_json()
    assert patched["cross_border_consent"] is True
    assert patched["consent_recorded_by_id"] == people.colleague.id
    assert patched["consent_recorded_at"].endswith("Z")
    cleared = client.patch(f"/api/v1/cases/{case['id']}", headers=headers(people.referrer),
                           json={"cross_border_consent": None}).get_json()
    assert cleared["consent_recorded_at"] is None and cleared["consent_recorded_by_id"] is None


@pytest.mark.parametrize("field, value", [
    ("patient_reference", "Zhang Wei"),       # a name, with a space
    ("patient_reference", "ZhangWei"),        # a name: no digit
    ("patient_reference", "A1"),              # too short
    ("patient_reference", "FCG/2026/1"),      # path characters
    ("year_of_birth", 1899),
    ("year_of_birth", 2999),
    ("sex", "f"),
    ("country_of_residence", "XX"),
    ("icd10_code", "34.1"),
    ("icd10_code", "C3"),
    ("icd10_code", "C34.123"),
    ("performance_status", 5),
    ("frailty_score", 0),
    ("frailty_score", 10),
    ("urgency", "soon"),
    ("disciplines", ["radiology", "astrology"]),
    ("language", "eng"),
    ("board_id", 9999),
    ("cross_border_consent", "yes"),
    ("year_of_birth", "1961"),                # strict JSON types
    ("nickname", "x"),                        # unknown field
])
def test_each_field_is_checked_and_named(client, people, headers, assert_problem, field, value):
    response = client.post("/api/v1/cases", headers=headers(people.referrer), json={field: value})
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == [field], body


@pytest.mark.parametrize("code", ["C34.1", "C18", "D05.9", "c50.91", "C341", "Z85"])
def test_icd10_codes_of_the_right_form_are_accepted(code):
    assert operations.validate_icd10(code) == code.upper()


@pytest.mark.parametrize("reference", ["FCG-2026-0142", "pt_00017", "123"])
def test_pseudonymous_references_are_accepted(reference):
    assert operations.validate_patient_reference(reference) == reference


def test_year_of_birth_may_be_this_year_but_not_next(session, people):
    case = operations.create_case(session, people.referrer, {"year_of_birth": T0.year}, at=T0)
    assert case.year_of_birth == T0.year
    with pytest.raises(InvalidInput) as refused:
        operations.apply_proforma(session, case, {"year_of_birth": T0.year + 1}, people.referrer, at=T0)
    assert refused.value.field == "year_of_birth"


def test_a_draft_is_edited_by_its_site_only_and_only_while_with_the_referrer(
        client, people, make_case, headers, assert_problem):
    case = make_case("draft")
    ok = client.patch(f"/api/v1/cases/{case.id}", headers=headers(people.colleague),
                      json={"question": "Is surgery still an option?", "disciplines": ["pathology"]})
    assert ok.status_code == 200 and ok.get_json()["disciplines"] == ["pathology"]
    # a referrer of another site does not learn the case exists
    assert_problem(client.patch(f"/api/v1/cases/{case.id}", headers=headers(people.other_site_referrer),
                                json={"question": "x"}), 404)
    # the board's coordinator sees it but may not edit the pro-forma
    assert_problem(client.patch(f"/api/v1/cases/{case.id}", headers=headers(people.coordinator),
                                json={"question": "x"}), 403)
    submitted = make_case("submitted")
    body = assert_problem(client.patch(f"/api/v1/cases/{submitted.id}", headers=headers(people.referrer),
                                       json={"question": "x"}), 409)
    assert body["state"] == "submitted"
    returned = make_case("returned")
    assert client.patch(f"/api/v1/cases/{returned.id}", headers=headers(people.referrer),
                        json={"question": "Added the CT report."}).status_code == 200


def test_missing_board_is_reported_and_inactive_boards_refuse_referrals(session, people, complete):
    people.board.is_active = False
    session.commit()
    with pytest.raises(InvalidInput) as refused:
        operations.create_case(session, people.referrer, complete(people.board.id), at=T0)
    assert refused.value.field == "board_id"


def test_submitting_needs_targets(session, people, complete):
    case = operations.create_case(session, people.referrer, complete(people.board.id), at=T0)
    with pytest.raises(ValueError):
        workflow.transition(session, case, "submitted", people.referrer, at=T0)
