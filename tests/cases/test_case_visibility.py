"""Who sees a case, and how much: the same rule in detail, list, comments and attachments."""
import io

import pytest

from app.cases import visibility
from app.cases.visibility import FULL, SUMMARY, CaseFacts, Viewer

SUMMARY_KEYS = {"access", "id", "state", "urgency", "icd10_code", "disciplines", "board_id", "target_at"}
CASE = CaseFacts(case_id=7, organization_id=1, board_id=3, residency_region="cn", cross_border_consent=None)


def viewer(**facts):
    values = {"user_id": 99, "organization_id": 2, "residency_region": "cn", "roles": frozenset({"specialist"})}
    values.update(facts)
    return Viewer(**values)


@pytest.mark.parametrize("facts, consent, expected", [
    ({"organization_id": 1}, None, FULL),                                       # the referring site
    ({"organization_id": 1, "roles": frozenset({"admin"})}, None, None),        # an admin alone: nothing
    ({"organization_id": 1, "roles": frozenset({"admin", "referrer"})}, None, FULL),
    ({"coordinated_board_ids": frozenset({3})}, None, FULL),                    # the board's coordinator
    ({"coordinated_board_ids": frozenset({4})}, None, None),                    # another board's
    ({"invited_case_ids": frozenset({7})}, None, FULL),                         # invited to discuss it
    ({"invited_case_ids": frozenset({8})}, None, None),
    ({}, True, None),                                                           # a stranger
    ({"roles": frozenset({"admin"}), "organization_id": 5}, True, None),
    # across a residency border: the clinical content only with consent given
    ({"coordinated_board_ids": frozenset({3}), "residency_region": "ke"}, None, SUMMARY),
    ({"coordinated_board_ids": frozenset({3}), "residency_region": "ke"}, False, SUMMARY),
    ({"coordinated_board_ids": frozenset({3}), "residency_region": "ke"}, True, FULL),
    ({"invited_case_ids": frozenset({7}), "residency_region": "ru"}, False, SUMMARY),
    ({"invited_case_ids": frozenset({7}), "residency_region": "ru"}, True, FULL),
    ({"organization_id": 1, "residency_region": "ke"}, None, SUMMARY),          # the site moved region
])
def test_the_rule(facts, consent, expected):
    case = CASE._replace(cross_border_consent=consent)
    assert visibility.access_level(viewer(**facts), case) == expected


def levels(client, headers, user, case):
    response = client.get(f"/api/v1/cases/{case.id}", headers=headers(user))
    return response.status_code, response.get_json()


def test_detail_by_site_board_and_consent(client, people, make_case, headers, assert_problem):
    case = make_case("submitted", cross_border_consent=False)
    for user in (people.referrer, people.colleague, people.site_specialist, people.coordinator):
        status, body = levels(client, headers, user, case)
        assert status == 200 and body["access"] == "full" and body["clinical_summary"], user.name
    status, body = levels(client, headers, people.foreign_coordinator, case)
    assert status == 200 and set(body) == SUMMARY_KEYS
    assert body["icd10_code"] == "C34.1" and body["target_at"].endswith("Z")
    for user in (people.site_admin, people.other_site_referrer, people.other_coordinator, people.stranger):
        body = assert_problem(client.get(f"/api/v1/cases/{case.id}", headers=headers(user)), 404)
        assert body["detail"] == f"No case with id {case.id}."
    # the same answer as for a case that does not exist
    assert assert_problem(client.get("/api/v1/cases/9999", headers=headers(people.stranger)), 404)["detail"] \
        == "No case with id 9999."


def test_consent_opens_the_clinical_content_across_the_border(client, people, make_case, headers):
    case = make_case("submitted", cross_border_consent=True)
    status, body = levels(client, headers, people.foreign_coordinator, case)
    assert status == 200 and body["access"] == "full" and body["patient_reference"] == "FCG-2026-0142"


@pytest.mark.parametrize("status, agenda_status, consent, expected", [
    ("accepted", "listed", True, "full"),
    ("pending", "listed", True, "full"),
    ("tentative", "discussed", True, "full"),
    ("accepted", "listed", False, "summary"),
    ("declined", "listed", True, None),
    ("withdrawn", "listed", True, None),
    ("accepted", "removed", True, None),
])
def test_invited_specialists_see_the_cases_on_their_meetings_agenda(
        client, people, make_case, invite, headers, status, agenda_status, consent, expected):
    case = make_case("scheduled", cross_border_consent=consent)
    other = make_case("scheduled")
    invite(case, people.foreign_specialist, status=status, agenda_status=agenda_status)
    response = client.get(f"/api/v1/cases/{case.id}", headers=headers(people.foreign_specialist))
    if expected is None:
        assert response.status_code == 404
    else:
        assert response.status_code == 200 and response.get_json()["access"] == expected
    # only the cases on that agenda
    assert client.get(f"/api/v1/cases/{other.id}", headers=headers(people.foreign_specialist)).status_code == 404


def test_the_list_shows_each_row_at_the_viewers_level(client, people, make_case, invite, headers):
    with_consent = make_case("submitted", cross_border_consent=True, urgency="urgent")
    without = make_case("submitted", cross_border_consent=False)
    draft = make_case("draft")
    elsewhere = make_case("submitted", referrer=people.other_site_referrer, board=people.other_board)

    def listed(user, query=""):
        response = client.get(f"/api/v1/cases{query}", headers=headers(user))
        assert response.status_code == 200, response.get_json()
        return {row["id"]: row for row in response.get_json()}

    mine = listed(people.referrer)
    assert set(mine) == {with_consent.id, without.id, draft.id}
    assert all(row["access"] == "full" for row in mine.values())
    foreign = listed(people.foreign_coordinator)
    assert {i: r["access"] for i, r in foreign.items()} == {
        with_consent.id: "full", without.id: "summary", draft.id: "full"}
    assert set(foreign[without.id]) == SUMMARY_KEYS
    assert set(listed(people.other_coordinator)) == {elsewhere.id}
    assert set(listed(people.other_site_referrer)) == {elsewhere.id}
    assert listed(people.site_admin) == {} and listed(people.stranger) == {}
    invite(without, people.stranger)
    assert {i: r["access"] for i, r in listed(people.stranger).items()} == {without.id: "summary"}
    # filters
    assert set(listed(people.referrer, "?state=draft")) == {draft.id}
    assert set(listed(people.referrer, "?urgency=urgent")) == {with_consent.id}
    assert set(listed(people.coordinator, f"?board_id={people.board.id}&state=submitted")) == {
        with_consent.id, without.id}
    # The referring site is not part of a summary: filtering on it finds only the cases seen in full.
    assert set(listed(people.foreign_coordinator, f"?organization_id={people.referrer.organization_id}")) == {
        with_consent.id, draft.id}
    assert listed(people.foreign_coordinator, f"?organization_id={people.other_site_referrer.organization_id}") == {}


def test_list_filters_are_validated(client, people, headers, assert_problem):
    body = assert_problem(client.get("/api/v1/cases?state=lost", headers=headers(people.referrer)), 422)
    assert body["errors"][0]["field"] == "state"
    assert_problem(client.get("/api/v1/cases?colour=red", headers=headers(people.referrer)), 422)


def test_comments_follow_the_rule(client, people, make_case, headers, assert_problem):
    case = make_case("submitted", cross_border_consent=False)
    posted = client.post(f"/api/v1/cases/{case.id}/comments", headers=headers(people.coordinator),
                         json={"body": "Please add the PET-CT report."})
    assert posted.status_code == 201 and posted.get_json()["author_name"] == "Li Na"
    listed = client.get(f"/api/v1/cases/{case.id}/comments", headers=headers(people.referrer))
    assert [c["body"] for c in listed.get_json()] == ["Please add the PET-CT report."]
    # a summary viewer reads and writes no free text
    body = assert_problem(client.get(f"/api/v1/cases/{case.id}/comments",
                                     headers=headers(people.foreign_coordinator)), 403)
    assert "summary" in body["detail"]
    assert_problem(client.post(f"/api/v1/cases/{case.id}/comments", headers=headers(people.foreign_coordinator),
                               json={"body": "hello"}), 403)
    for user in (people.stranger, people.site_admin, people.other_site_referrer):
        assert_problem(client.get(f"/api/v1/cases/{case.id}/comments", headers=headers(user)), 404)
        assert_problem(client.post(f"/api/v1/cases/{case.id}/comments", headers=headers(user),
                                   json={"body": "hello"}), 404)
    assert_problem(client.post(f"/api/v1/cases/{case.id}/comments", headers=headers(people.referrer),
                               json={"body": ""}), 422)


def test_attachments_follow_the_rule(client, people, make_case, invite, headers, assert_problem):
    case = make_case("submitted", cross_border_consent=False)
    uploaded = client.post(f"/api/v1/cases/{case.id}/attachments", headers=headers(people.referrer),
                           data={"file": (io.BytesIO(b"%PDF-1.7\n report"), "ct.pdf")})
    assert uploaded.status_code == 201, uploaded.get_json()
    attachment = uploaded.get_json()
    content = f"/api/v1/attachments/{attachment['id']}/content"
    assert client.get(content, headers=headers(people.coordinator)).status_code == 200
    invite(case, people.foreign_specialist)
    for user in (people.foreign_coordinator, people.foreign_specialist):  # summary only
        assert_problem(client.get(f"/api/v1/cases/{case.id}/attachments", headers=headers(user)), 403)
        assert_problem(client.get(content, headers=headers(user)), 403)
        assert_problem(client.post(f"/api/v1/cases/{case.id}/attachments", headers=headers(user),
                                   data={"file": (io.BytesIO(b"text"), "a.txt")}), 403)
    for user in (people.stranger, people.site_admin, people.other_coordinator):
        assert_problem(client.get(f"/api/v1/cases/{case.id}/attachments", headers=headers(user)), 404)
        body = assert_problem(client.get(content, headers=headers(user)), 404)
        assert body["detail"] == f"No attachment with id {attachment['id']}."


def test_case_access_for_other_modules(session, people, make_case):
    case = make_case("submitted", cross_border_consent=False)
    assert visibility.case_access(session, people.referrer, case) == FULL
    assert visibility.case_access(session, people.foreign_coordinator, case) == SUMMARY
    assert visibility.case_access(session, people.stranger, case) is None
    assert visibility.case_access(session, None, case) is None
    ids = {c.id for c in session.scalars(visibility.visible_cases_query(
        visibility.viewer_facts(session, people.foreign_coordinator)))}
    assert ids == {case.id}


def test_a_viewer_s_facts_are_read_again_after_a_write_and_in_each_transaction(app, session, people, make_case):
    """The facts are kept for a transaction (a request asks several times), but a coordinator taken off
    the board loses the case at once: after the flush in the same transaction, and in the next one
    when another connection made the change."""
    from sqlalchemy import delete, select

    from app.boards.models import BoardMember
    from app.extensions import db

    case = make_case("submitted")
    coordinator = people.foreign_coordinator   # related to the case through the board alone
    assert visibility.case_access(session, coordinator, case) == FULL
    assert visibility.case_access(session, coordinator, case) == FULL   # from the kept facts
    membership = session.scalar(select(BoardMember).where(BoardMember.board_id == case.board_id,
                                                          BoardMember.user_id == coordinator.id))
    session.delete(membership)
    session.flush()
    assert visibility.case_access(session, coordinator, case) is None   # same transaction, after the write
    session.rollback()
    assert visibility.case_access(session, coordinator, case) == FULL   # the write was undone

    session.commit()   # this transaction ends with the facts kept in it
    with db.engine.begin() as elsewhere:   # another request, on another connection, takes them off
        elsewhere.execute(delete(BoardMember).where(BoardMember.board_id == case.board_id,
                                                    BoardMember.user_id == coordinator.id))
    assert visibility.case_access(session, coordinator, case) is None   # the next transaction reads them again


def test_a_case_s_comments_and_attachments_come_a_page_at_a_time(client, people, make_case, headers):
    from tests.foundation.test_api_paging import walk

    case = make_case("submitted")
    h = headers(people.referrer)
    for n in range(5):
        assert client.post(f"/api/v1/cases/{case.id}/comments", headers=h, json={"body": f"Note {n}"}).status_code == 201
        assert client.post(f"/api/v1/cases/{case.id}/attachments", headers=h,
                           data={"file": (io.BytesIO(f"report {n}".encode()), f"r{n}.txt")}).status_code == 201
    comments, pages = walk(client, f"/api/v1/cases/{case.id}/comments?limit=2", h)
    assert pages == 3 and comments == sorted(comments) and len(comments) == 5
    first = client.get(f"/api/v1/cases/{case.id}/comments?limit=2", headers=h).get_json()
    assert [c["body"] for c in first] == ["Note 0", "Note 1"]
    attachments, pages = walk(client, f"/api/v1/cases/{case.id}/attachments?limit=2", h)
    assert pages == 3 and attachments == sorted(attachments) and len(attachments) == 5
    refused = client.get(f"/api/v1/cases/{case.id}/comments?cursor=nonsense", headers=h)
    assert refused.status_code == 422 and "cursor" in refused.get_data(as_text=True)
