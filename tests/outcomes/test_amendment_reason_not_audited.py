"""Why an outcome was amended is clinical free text: it stays on the amended version, for those who may
read the outcome, and never reaches the audit trail, which admins read without access to the case (the
API's audit events and the case's audit trail page)."""
from __future__ import annotations

from tests.conftest import PASSWORD
from tests.outcomes.conftest import draft_body, world  # noqa: F401 (fixtures)
from tests.outcomes.test_outcomes import draft, sign_all

REASON = "Repeat biopsy showed small-cell transformation; surgery no longer indicated."


def amend(client, world, headers, outcome_id):
    response = client.post(f"/api/v1/outcomes/{outcome_id}/amend", headers=headers(world.coordinator),
                           json={"category": "chemoradiotherapy", "reason": REASON})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_admin_reading_the_trail_does_not_read_why_an_outcome_was_amended(client, world, headers,
                                                                              draft_body):  # noqa: F811
    original = draft(client, world, headers, draft_body)
    sign_all(client, original["id"], world, headers)
    amended = amend(client, world, headers, original["id"])

    events = client.get("/api/v1/audit-events?action=outcome.amended", headers=headers(world.admin))
    assert events.status_code == 200
    [event] = events.get_json()
    assert event["target_id"] == str(amended["id"])
    assert event["detail"] == {"case_id": world.case.id, "version": 2, "supersedes_id": original["id"],
                               "fields": ["category"], "via": "api"}
    everything = client.get("/api/v1/audit-events?limit=200", headers=headers(world.admin)).get_data(as_text=True)
    assert "small-cell" not in everything

    assert client.post("/login", data={"email": world.admin.email, "password": PASSWORD}).status_code == 302
    trail = client.get(f"/cases/{world.case.id}/audit")
    assert trail.status_code == 200
    html = trail.get_data(as_text=True)
    assert 'data-action="outcome.amended"' in html and "small-cell" not in html


def test_the_reason_stays_on_the_amended_version_for_those_who_read_the_outcome(client, world, headers,
                                                                                 draft_body):  # noqa: F811
    original = draft(client, world, headers, draft_body)
    sign_all(client, original["id"], world, headers)
    amend(client, world, headers, original["id"])
    outcome = client.get(f"/api/v1/cases/{world.case.id}/outcome", headers=headers(world.chair)).get_json()
    assert [version["amendment_reason"] for version in outcome["versions"]] == [None, REASON]
