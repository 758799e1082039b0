"""A case's audit trail (/cases/<id>/audit): who did what when, newest first, paginated; for admins and
the coordinators of the case's board; reading it is audited."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.cases.models import Case
from tests.web.page_helpers import main_of, text


def case_by_ref(session, reference) -> Case:
    return session.scalar(select(Case).where(Case.patient_reference == reference))


def event_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-event-id="(\d+)"', html)]


def test_trail_shows_who_did_what_when_newest_first_and_audits_the_visit(demo, sign_in, client, session):
    case = case_by_ref(session, "FCG-2026-0287")  # submitted by the referrer, triaged by the coordinator
    sign_in(demo["coordinator"])
    client.get(f"/cases/{case.id}")  # a read that must show up in the trail
    response = client.get(f"/cases/{case.id}/audit")
    assert response.status_code == 200
    html = text(response)
    ids = event_ids(html)
    assert ids == sorted(ids, reverse=True) and ids
    rows = re.findall(r'<tr data-action="([^"]+)" data-event-id="\d+">(.*?)</tr>', html, re.S)
    assert rows[0][0] == "case.audit_viewed"  # this visit, at the top
    assert "Li Na" in rows[0][1] and "127.0.0.1" in rows[0][1]
    actions = [action for action, _ in rows]
    assert "case.viewed" in actions and "case.transitioned" in actions
    transitions = [body for action, body in rows if action == "case.transitioned"]
    assert any("submitted → triaged" in body and "Li Na" in body for body in transitions)
    assert any("draft → submitted" in body and "Dr Huang Wei" in body for body in transitions)
    assert "(Asia/Shanghai, UTC+08:00)" in main_of(html)
    visits = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.audit_viewed",
                                                      AuditEvent.target_id == str(case.id))).all()
    assert len(visits) == 1 and visits[0].actor_id == demo["coordinator"].id


def test_admin_reads_the_trail_without_access_to_the_patient_data(demo, sign_in, client, session):
    case = case_by_ref(session, "FCG-2026-0287")
    sign_in(demo["admin"])
    assert client.get(f"/cases/{case.id}").status_code == 404  # no patient data for an admin account
    response = client.get(f"/cases/{case.id}/audit")
    assert response.status_code == 200
    assert "FCG-2026-0287" not in text(response)
    assert client.get("/cases/99999/audit").status_code == 404


@pytest.mark.parametrize("who,status", [("referrer", 403), ("surgeon.dubai", 403), ("coordinator.almaty", 404)])
def test_trail_is_refused_to_others(demo, sign_in, client, session, who, status):
    case = case_by_ref(session, "FCG-2026-0287")
    sign_in(demo[who])
    assert client.get(f"/cases/{case.id}/audit").status_code == status
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "case.audit_viewed")) == 0


def test_a_long_trail_is_paginated(demo, sign_in, client, session):
    case = case_by_ref(session, "FCG-2026-0264")
    sign_in(demo["coordinator"])
    for _ in range(15):  # each page view writes several audit rows
        client.get(f"/cases/{case.id}")
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.target_type == "case", AuditEvent.target_id == str(case.id))) + 1
    assert total > 50
    first = text(client.get(f"/cases/{case.id}/audit"))
    assert len(event_ids(first)) == 50
    older = re.search(r'href="(/cases/\d+/audit\?before=\d+)" rel="next">Older', first).group(1)
    assert older == f"/cases/{case.id}/audit?before={min(event_ids(first))}"
    second = text(client.get(older))  # this visit adds a row at the top, but page two does not shift
    assert event_ids(second) and max(event_ids(second)) == min(event_ids(first)) - 1
    assert len(event_ids(first)) + len(event_ids(second)) == total
    assert re.search(r"Events 5\d–\d+ of \d+", second)
    assert "← Newer" in second and f'href="/cases/{case.id}/audit">Newest' in second
    assert 'rel="next"' not in second
    assert client.get(f"/cases/{case.id}/audit?before=1").status_code == 404
    assert client.get(f"/cases/{case.id}/audit?before=abc").status_code == 404


def test_trail_finds_the_list_views_that_showed_the_case(demo, sign_in, client, session):
    case = case_by_ref(session, "FCG-2026-0287")
    sign_in(demo["coordinator"])
    client.get("/coordinator")  # the dashboard lists the case among others: one event for the page
    rows = re.findall(r'<tr data-action="([^"]+)" data-event-id="\d+">(.*?)</tr>',
                      text(client.get(f"/cases/{case.id}/audit")), re.S)
    listed = [body for action, body in rows if action == "cases.viewed"]
    assert len(listed) == 1
    assert "via: the dashboard" in listed[0] and "access: full" in listed[0]


def test_an_amendment_s_changed_fields_are_named_in_the_reader_s_language(demo, sign_in, client, session):
    from app.audit.operations import record

    case = case_by_ref(session, "FCG-2026-0287")
    record(session, "outcome.amended", actor=demo["coordinator"], target_type="case", target_id=case.id,
           detail={"case_id": case.id, "version": 2, "fields": ["category", "clinical_t", "recommendation"]})
    session.commit()
    sign_in(demo["coordinator"])
    html = text(client.get(f"/cases/{case.id}/audit", headers={"Accept-Language": "ru"}))
    [row] = re.findall(r'<tr data-action="outcome.amended" data-event-id="\d+">(.*?)</tr>', html, re.S)
    assert "Категория, cT, Рекомендация" in row
