"""Case changes leave live events: full data for full viewers, no free text for summary viewers."""
import io

from app.live.models import LiveEvent
from tests.cases.conftest import complete_values


def events(session, room):
    session.expire_all()
    return session.query(LiveEvent).filter_by(room=room).order_by(LiveEvent.seq).all()


def test_created_updated_comment_and_attachment_events(client, session, people, headers):
    referrer = headers(people.referrer)
    case = client.post("/api/v1/cases", headers=referrer, json=complete_values(people.board.id)).get_json()
    room = f"case:{case['id']}"
    client.patch(f"/api/v1/cases/{case['id']}", headers=referrer, json={"question": "Lobectomy or SBRT?"})
    client.post(f"/api/v1/cases/{case['id']}/comments", headers=referrer, json={"body": "PET-CT attached."})
    upload = client.post(f"/api/v1/cases/{case['id']}/attachments", headers=referrer,
                         data={"file": (io.BytesIO(b"%PDF-1.7\n%...\n"), "petct.pdf")},
                         content_type="multipart/form-data")
    assert upload.status_code in (200, 201), upload.get_json()
    by_type = {event.type: event for event in events(session, room)}
    assert {"case.created", "case.updated", "case.comment_added", "case.attachment_added"} <= set(by_type)
    assert "question" in by_type["case.updated"].data["fields"]
    assert "Lobectomy" not in str(by_type["case.updated"].data)  # field names, never their content
    # Comments and attachments are clinical: summary viewers do not get them at all.
    assert by_type["case.comment_added"].summary_data is None
    assert by_type["case.attachment_added"].summary_data is None
