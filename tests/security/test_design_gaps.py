"""Roles and boards: nobody grants themself a role, only a board's coordinators (or an admin)
change it; an agenda never describes a case the viewer may not see; room names are strict; no
patient data or feed secret reaches a log."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent


def test_an_admin_cannot_grant_themself_a_clinical_role(client, headers, make_user, session, assert_problem):
    admin, other_admin = make_user("admin"), make_user("admin")
    refused = client.patch(f"/api/v1/users/{admin.id}", headers=headers(admin),
                           json={"roles": ["admin", "coordinator"]})
    assert "another admin" in assert_problem(refused, 403)["detail"]
    assert client.get("/api/v1/me", headers=headers(admin)).get_json()["roles"] == ["admin"]
    granted = client.patch(f"/api/v1/users/{admin.id}", headers=headers(other_admin),
                           json={"roles": ["admin", "coordinator"]})
    assert granted.status_code == 200
    session.expire_all()
    row = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.updated")).all()[-1]
    assert row.actor_id == other_admin.id
    assert row.detail["roles"] == {"before": ["admin"], "after": ["admin", "coordinator"]}


def test_an_admin_may_still_drop_their_own_roles(client, headers, make_user):
    admin = make_user("admin", "coordinator")
    assert client.patch(f"/api/v1/users/{admin.id}", headers=headers(admin),
                        json={"roles": ["admin"]}).status_code == 200


def test_only_a_board_s_own_coordinators_change_it(client, headers, make_user, world, assert_problem):
    other_coordinator = make_user("coordinator")
    refused = client.patch(f"/api/v1/boards/{world.board.id}", headers=headers(other_coordinator),
                           json={"name": "Taken over"})
    assert "coordinators of Thoracic MDT" in assert_problem(refused, 403)["detail"]
    allowed = client.patch(f"/api/v1/boards/{world.board.id}", headers=world.headers["chair"],
                           json={"name": "Thoracic Oncology MDT"})
    assert allowed.status_code == 200 and allowed.get_json()["name"] == "Thoracic Oncology MDT"
    assert client.patch(f"/api/v1/boards/{world.board.id}", headers=headers(make_user("admin")),
                        json={"name": "Thoracic MDT"}).status_code == 200


def test_an_agenda_shows_a_hidden_case_without_details(client, headers, make_user, world):
    admin = make_user("admin")  # sees every meeting, no patient data
    [item] = client.get(f"/api/v1/meetings/{world.meeting.id}/agenda", headers=headers(admin)).get_json()
    assert item["hidden"] is True and item["label"] == "A case you cannot see"
    assert item["case_id"] is None and item["urgency"] is None and item["disciplines"] == []
    [shown] = client.get(f"/api/v1/meetings/{world.meeting.id}/agenda", headers=world.headers["chair"]).get_json()
    assert shown["case_id"] == world.case.id and shown["hidden"] is False
    client.post("/login", data={"email": admin.email, "password": "correct horse battery"})
    page = client.get(f"/meetings/{world.meeting.id}").get_data(as_text=True)
    assert "A case you cannot see" in page and f"Case #{world.case.id}" not in page


@pytest.mark.parametrize("room", ["meeting:1\n", "meeting:01", "meeting:2147483648", " meeting:1", "meeting:1 "])
def test_room_names_are_strict(room):
    from app.live.publish import check_room

    with pytest.raises(ValueError):
        check_room(room)


def test_database_errors_do_not_log_bound_values(app):
    from app.extensions import db

    assert db.engine.hide_parameters is True


def test_calendar_feed_secrets_are_redacted_from_the_access_log(app, caplog):
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - [%s] "%s" %s %s',
                               ("127.0.0.1", "now", "GET /calendar/s3cr3t-Feed_Key.ics HTTP/1.1", "200", "-"),
                               None)
    for feed_filter in logging.getLogger("werkzeug").filters:
        feed_filter.filter(record)
    assert "s3cr3t" not in record.getMessage() and "/calendar/[redacted].ics" in record.getMessage()
