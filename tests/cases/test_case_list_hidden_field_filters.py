"""Filtering the case list on what a summary does not show (the referring site, when the case was
submitted) matches only the cases the viewer sees in full: a summary-only case that matched would tell
its viewer what its summary hides. Filters on what a summary shows (state, board, urgency) still find
summary rows."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.cases.conftest import T0


def iso(instant) -> str:
    return instant.isoformat().replace("+00:00", "Z")


@pytest.fixture
def two_cross_border(make_case):
    """Two submitted cases of the cn site to the board the foreign (ke) coordinator runs too: one with
    consent (that coordinator sees it in full), one without (a summary)."""
    consented = make_case("submitted", at=T0)
    refused = make_case("submitted", at=T0 + timedelta(days=1), cross_border_consent=False)
    return consented, refused


def listed(client, url, headers) -> dict[int, str]:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_json()
    return {row["id"]: row["access"] for row in response.get_json()}


def test_the_referring_site_filter_finds_only_cases_seen_in_full(client, people, organization, headers,
                                                                 two_cross_border):
    consented, refused = two_cross_border
    h = headers(people.foreign_coordinator)
    assert listed(client, "/api/v1/cases", h) == {consented.id: "full", refused.id: "summary"}
    assert listed(client, f"/api/v1/cases?organization_id={organization.id}", h) == {consented.id: "full"}
    # The coordinator in the case's own region sees both in full, so the filter finds both.
    assert listed(client, f"/api/v1/cases?organization_id={organization.id}", headers(people.coordinator)) == \
        {consented.id: "full", refused.id: "full"}


def test_the_submission_time_filters_find_only_cases_seen_in_full(client, people, headers, two_cross_border):
    consented, refused = two_cross_border
    h = headers(people.foreign_coordinator)
    around = f"submitted_from={iso(T0 - timedelta(days=1))}&submitted_before={iso(T0 + timedelta(days=30))}"
    assert listed(client, f"/api/v1/cases?{around}", h) == {consented.id: "full"}
    assert listed(client, f"/api/v1/cases?submitted_from={iso(T0 + timedelta(hours=12))}", h) == {}
    assert listed(client, f"/api/v1/cases?submitted_before={iso(T0 + timedelta(days=30))}", h) == \
        {consented.id: "full"}
    assert listed(client, f"/api/v1/cases?{around}", headers(people.coordinator)) == \
        {consented.id: "full", refused.id: "full"}


def test_filters_on_what_a_summary_shows_still_find_summary_rows(client, people, headers, two_cross_border):
    consented, refused = two_cross_border
    h = headers(people.foreign_coordinator)
    assert listed(client, f"/api/v1/cases?state=submitted&board_id={people.board.id}&urgency=routine", h) == \
        {consented.id: "full", refused.id: "summary"}
    # Mixed: the summary-only case is left out as soon as one filter is on a hidden field.
    assert listed(client, f"/api/v1/cases?state=submitted&submitted_from={iso(T0 - timedelta(days=1))}", h) == \
        {consented.id: "full"}


def test_a_filtered_list_records_only_what_it_showed(client, session, people, organization, headers,
                                                     two_cross_border):
    consented, refused = two_cross_border
    listed(client, f"/api/v1/cases?organization_id={organization.id}", headers(people.foreign_coordinator))
    session.expire_all()
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "cases.viewed",
                                                       AuditEvent.actor_id == people.foreign_coordinator.id)).all()
    assert event.detail.get("full") == [consented.id] and "summary" not in event.detail


def test_filters_on_hidden_fields_cost_no_extra_statement(app, people, organization, headers, two_cross_border):
    from tests.web.test_query_counts import statements

    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = headers(people.foreign_coordinator)["Authorization"]
    filtered = (f"/api/v1/cases?organization_id={organization.id}&submitted_from={iso(T0 - timedelta(days=1))}"
                f"&submitted_before={iso(T0 + timedelta(days=30))}&state=submitted")
    assert statements(client, filtered) == statements(client, "/api/v1/cases")


def test_the_case_board_s_site_filter_finds_only_cases_seen_in_full(app, people, organization, two_cross_border):
    from tests.conftest import PASSWORD

    consented, refused = two_cross_border
    browser = app.test_client()
    assert browser.post("/login", data={"email": people.foreign_coordinator.email,
                                        "password": PASSWORD}).status_code == 302
    board = browser.get("/coordinator/cases/columns").get_data(as_text=True)
    assert f'data-case-id="{consented.id}"' in board and f'data-case-id="{refused.id}"' in board
    filtered = browser.get(f"/coordinator/cases/columns?site={organization.id}").get_data(as_text=True)
    assert f'data-case-id="{consented.id}"' in filtered and f'data-case-id="{refused.id}"' not in filtered
