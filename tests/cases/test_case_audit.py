"""Every read of case data and every change leaves an audit row with who, what and from where."""
import io

from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.cases.conftest import complete_values

ADDRESS = {"REMOTE_ADDR": "192.0.2.44"}


def events(session, since=0):
    session.expire_all()
    return [(e.action, e.actor_id, e.target_type, e.target_id, e.detail, e.source_address)
            for e in session.scalars(select(AuditEvent).where(AuditEvent.id > since,
                                                              ~AuditEvent.action.like("auth.%"))
                                     .order_by(AuditEvent.id))]


def last_id(session):
    return session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0


def test_reads_are_audited_with_the_access_level(client, session, people, make_case, headers):
    case = make_case("submitted", cross_border_consent=False)
    other = make_case("draft", cross_border_consent=None)
    h_ref, h_foreign = headers(people.referrer), headers(people.foreign_coordinator)
    comment_id = client.post(f"/api/v1/cases/{case.id}/comments", headers=h_ref,
                             json={"body": "CT report to follow."}).get_json()["id"]
    attachment_id = client.post(f"/api/v1/cases/{case.id}/attachments", headers=h_ref,
                                data={"file": (io.BytesIO(b"%PDF-1.4 x"), "ct.pdf")}).get_json()["id"]
    mark = last_id(session)
    client.get(f"/api/v1/cases/{case.id}", headers=h_ref, environ_base=ADDRESS)
    client.get(f"/api/v1/cases/{case.id}", headers=h_foreign, environ_base=ADDRESS)
    client.get("/api/v1/cases", headers=h_foreign, environ_base=ADDRESS)
    client.get(f"/api/v1/cases/{case.id}/comments", headers=h_ref, environ_base=ADDRESS)
    client.get(f"/api/v1/cases/{case.id}/attachments", headers=h_ref, environ_base=ADDRESS)
    ref, foreign, cid = people.referrer.id, people.foreign_coordinator.id, str(case.id)
    assert events(session, mark) == [
        ("case.viewed", ref, "case", cid, {"access": "full", "via": "detail"}, "192.0.2.44"),
        ("case.viewed", foreign, "case", cid, {"access": "summary", "via": "detail"}, "192.0.2.44"),
        # a list is one event naming every case it showed
        ("cases.viewed", foreign, "case", None, {"summary": sorted([case.id, other.id]), "via": "list"}, "192.0.2.44"),
        # a page of comments or attachments: how many, and the first and last id (naming them all)
        ("case.comments_viewed", ref, "case", cid, {"count": 1, "first_id": comment_id, "last_id": comment_id},
         "192.0.2.44"),
        ("case.attachments_viewed", ref, "case", cid,
         {"count": 1, "first_id": attachment_id, "last_id": attachment_id}, "192.0.2.44"),
    ]


def test_refused_reads_leave_no_trace_of_data(client, session, people, make_case, headers):
    case = make_case("submitted")
    mark = last_id(session)
    assert client.get(f"/api/v1/cases/{case.id}", headers=headers(people.stranger)).status_code == 404
    assert events(session, mark) == []


def test_changes_are_audited(client, session, people, headers):
    h = headers(people.referrer)
    mark = last_id(session)
    case = client.post("/api/v1/cases", headers=h, json={"icd10_code": "C18"}, environ_base=ADDRESS).get_json()
    client.patch(f"/api/v1/cases/{case['id']}", headers=h, environ_base=ADDRESS,
                 json=complete_values(people.board.id, icd10_code="C18"))
    client.post(f"/api/v1/cases/{case['id']}/submit", headers=h, environ_base=ADDRESS)
    client.post(f"/api/v1/cases/{case['id']}/comments", headers=h, environ_base=ADDRESS, json={"body": "Note"})
    client.post(f"/api/v1/cases/{case['id']}/attachments", headers=h, environ_base=ADDRESS,
                data={"file": (io.BytesIO(b"plain text"), "a.txt")})
    rows = events(session, mark)
    assert [row[0] for row in rows] == ["case.created", "case.updated", "case.transitioned", "case.commented",
                                        "attachment.uploaded"]
    assert all(row[1] == people.referrer.id and row[5] == "192.0.2.44" for row in rows)
    assert rows[0][4] == {"fields": ["icd10_code"]}
    assert "patient_reference" in rows[1][4]["fields"] and "icd10_code" not in rows[1][4]["fields"]
    assert rows[2][4] == {"from": "draft", "to": "submitted"}
    assert rows[4][2] == "attachment" and rows[4][4]["media_type"] == "text/plain"
