"""The whole loop, through the API: a referral becomes a signed recommendation the referrer reads."""
from datetime import timedelta

from app.live.models import LiveEvent
from app.meetings import agenda, jobs
from app.meetings.models import Meeting
from app.notifications.models import Notification
from app.timekeeping import now_utc
from tests.meetings.conftest import in_hours

PROFORMA = {
    "patient_reference": "FCG-2026-0142", "year_of_birth": 1961, "sex": "female", "country_of_residence": "CN",
    "icd10_code": "C34.1", "diagnosis": "Adenocarcinoma of the right upper lobe", "performance_status": 1,
    "clinical_summary": "3 cm RUL mass, no distant disease on PET-CT.", "question": "Surgery or SBRT?",
    "urgency": "routine", "disciplines": ["radiology", "pathology"], "language": "zh",
    "cross_border_consent": True,
}


def ok(response, *codes):
    assert response.status_code in (codes or (200, 201)), response.get_json()
    return response.get_json()


def test_from_draft_to_signed_outcome(client, session, make_user, specialist, board, meeting_at, headers):
    referrer = make_user("referrer", name="Dr Huang")
    radiologist, pathologist = specialist("Dr Sen", ["radiology"]), specialist("Dr Shrestha", ["pathology"])
    coordinator = board.coordinator
    meeting = meeting_at(in_hours(72), board=board, minutes=120)

    case = ok(client.post("/api/v1/cases", headers=headers(referrer), json={**PROFORMA, "board_id": board.id}))
    case_id = case["id"]
    assert ok(client.post(f"/api/v1/cases/{case_id}/submit", headers=headers(referrer)))["state"] == "submitted"
    ok(client.post(f"/api/v1/cases/{case_id}/transitions", headers=headers(coordinator), json={"to": "triaged"}))

    # The scheduler puts it on the board's next meeting and fills the quorum seats.
    assert agenda.fill_agendas(session, now_utc()) == 1
    assert jobs.send_invitations(session, now_utc()) == 2
    session.commit()
    for specialist_user in (radiologist, pathologist):
        (invitation,) = ok(client.get("/api/v1/me/invitations", headers=headers(specialist_user)))
        ok(client.post(f"/api/v1/invitations/{invitation['id']}/answer", headers=headers(specialist_user),
                       json={"answer": "accepted"}))
    assert ok(client.get(f"/api/v1/meetings/{meeting.id}/quorum", headers=headers(coordinator)))["state"] == "met"

    # Time passes: the meeting is about to start.
    shift = (now_utc() + timedelta(minutes=10)) - meeting.starts_at
    session.expire_all()
    stored = session.get(Meeting, meeting.id)
    stored.starts_at, stored.ends_at = stored.starts_at + shift, stored.ends_at + shift
    for invitation in stored.invitations:
        invitation.busy_from, invitation.busy_until = invitation.busy_from + shift, invitation.busy_until + shift
    session.commit()

    live = ok(client.post(f"/api/v1/meetings/{meeting.id}/live/start", headers=headers(coordinator)))
    assert live["current_case_id"] == case_id
    for specialist_user in (radiologist, pathologist):
        ok(client.post(f"/api/v1/meetings/{meeting.id}/attendance", headers=headers(coordinator),
                       json={"user_id": specialist_user.id, "present": True}))
    ok(client.post(f"/api/v1/meetings/{meeting.id}/live/discussed", headers=headers(coordinator),
                   json={"case_id": case_id}))

    draft = ok(client.put(f"/api/v1/cases/{case_id}/outcome", headers=headers(coordinator),
                          json={"recommendation": "Right upper lobectomy", "category": "surgery",
                                "rationale": "Fit, node-negative."}))
    outcome_id = draft["id"]
    ok(client.post(f"/api/v1/outcomes/{outcome_id}/sign", headers=headers(radiologist)))
    signed = ok(client.post(f"/api/v1/outcomes/{outcome_id}/sign", headers=headers(pathologist)))
    assert signed["signed_at"]

    seen = ok(client.get(f"/api/v1/cases/{case_id}/outcome", headers=headers(referrer)))
    assert "Right upper lobectomy" in str(seen)
    assert ok(client.get(f"/api/v1/cases/{case_id}", headers=headers(referrer)))["state"] == "outcome_signed"
    session.expire_all()
    assert session.query(Notification).filter_by(user_id=referrer.id).count() >= 1

    # Every step left a live event in the rooms that watch it, in order.
    def types(room):
        return [e.type for e in session.query(LiveEvent).filter_by(room=room).order_by(LiveEvent.seq)]

    assert types(f"case:{case_id}")[:2] == ["case.created", "case.state_changed"]
    assert {"outcome.drafted", "outcome.signed"} <= set(types(f"case:{case_id}"))
    meeting_events = types(f"meeting:{meeting.id}")
    for expected in ("agenda.changed", "invitation.created", "invitation.answered", "quorum.changed",
                     "meeting.started", "agenda.case_discussed"):
        assert expected in meeting_events
    assert meeting_events.index("meeting.started") < meeting_events.index("agenda.case_discussed")
    assert "notification.created" in types(f"user:{referrer.id}")
    # The board room never carries clinical free text.
    for event in session.query(LiveEvent).filter_by(room=f"board:{board.id}"):
        assert "Surgery or SBRT" not in str(event.data) and "lobectomy" not in str(event.data)
