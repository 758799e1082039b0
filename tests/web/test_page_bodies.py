"""A page's form is sent as form fields. A write to a page with a JSON body (a string, a list, even an
object) is refused with 415 and a message, never a 5xx, and changes nothing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from tests.web.conftest import DEMO_PASSWORD

JSON_BODIES = ['"x"', "[1]", "7", '{"name": "Thoracic MDT", "email": "someone@example.org"}']


def page_write_paths(app):
    """Every page route that takes a write, with id 1 for each id in its path."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("web.") and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            path = rule.rule
            for name in rule.arguments:
                path = re.sub(rf"<(?:[a-z]+:)?{name}>", "1", path)
            yield path


@pytest.mark.parametrize("who", ["admin", "coordinator"])
def test_a_page_refuses_a_json_body_and_changes_nothing(app, demo, session, who):
    client = app.test_client()
    client.post("/login", data={"email": demo[who].email, "password": DEMO_PASSWORD})
    paths = sorted(set(page_write_paths(app)))
    assert "/login" in paths and len(paths) > 40
    events_before = session.scalar(select(func.count(AuditEvent.id)))
    answers = set()
    for path in paths:
        for body in JSON_BODIES:
            response = client.post(path, data=body, content_type="application/json")
            answers.add((response.status_code, "takes the fields of its form" in response.get_data(as_text=True)))
    assert answers == {(415, True)}
    assert session.scalar(select(func.count(AuditEvent.id))) == events_before
    assert client.get("/").status_code == 200   # still signed in: /logout was refused too
