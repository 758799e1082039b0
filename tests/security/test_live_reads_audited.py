"""Reading the live meeting leaves an audit record: the live state over the API (notes; one record per
answer, found on the trail of each case it showed) and the events replayed to a subscriber who
reconnects (comments, notes)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import time_machine
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.extensions import socketio
from app.meetings.models import AgendaItem
from tests.conftest import PASSWORD

DURING_THE_MEETING = datetime(2026, 11, 26, 1, 43, tzinfo=timezone.utc)


def audit_rows(session, action):
    session.expire_all()
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def trail(client, case) -> list[tuple[str, str]]:
    """(action, what the row says) for each event on the case's own audit trail page."""
    response = client.get(f"/cases/{case.id}/audit")
    assert response.status_code == 200
    return re.findall(r'<tr data-action="([^"]+)" data-event-id="\d+">(.*?)</tr>',
                      response.get_data(as_text=True), re.S)


def live_reads(client, case) -> list[str]:
    return [body for action, body in trail(client, case)
            if action == "cases.viewed" and "via: the live meeting in the API" in body]


def test_the_live_state_over_the_api_is_audited_once_per_answer_on_each_case_trail(
        client, session, world, make_user, make_org):
    # Besides the chair's own case: one they see only as a summary (another residency region, no
    # cross-border consent), and one from a site and board they have nothing to do with.
    abroad = Case(organization_id=world.case.organization_id, referrer_id=world.referrer.id, board_id=world.board.id,
                  residency_region="eu", cross_border_consent=False, state="scheduled", urgency="urgent",
                  patient_reference="EU-0002", question="Adjuvant?", icd10_code="C18.9")
    elsewhere = make_org("Elsewhere Hospital", "KE", "Africa/Nairobi", "ke")
    their_referrer = make_user("referrer", name="Referrer Otieno", organization_=elsewhere)
    unrelated = Case(organization_id=elsewhere.id, referrer_id=their_referrer.id, board_id=None, residency_region="ke",
                     state="scheduled", urgency="routine", patient_reference="KE-0003", question="Hidden?",
                     icd10_code="C50.9")
    session.add_all([abroad, unrelated])
    session.flush()
    session.add_all([AgendaItem(meeting_id=world.meeting.id, case_id=abroad.id, position=1, status="listed"),
                     AgendaItem(meeting_id=world.meeting.id, case_id=unrelated.id, position=2, status="listed")])
    session.commit()
    base = f"/api/v1/meetings/{world.meeting.id}/live"

    with time_machine.travel(DURING_THE_MEETING, tick=False):
        answers = [client.get(base, headers=world.headers["chair"]),
                   client.post(f"{base}/start", headers=world.headers["chair"])]
    for answer in answers:
        assert answer.status_code == 200, answer.get_json()
        assert [(item["case_id"], item["access"]) for item in answer.get_json()["agenda"]] == [
            (world.case.id, "full"), (abroad.id, "summary"), (None, None)]   # the third: its place only

    # One event per answer, naming the cases it showed by access level, and the meeting.
    reads = [row for row in audit_rows(session, "cases.viewed") if row.detail.get("via") == "live meeting API"]
    assert len(reads) == len(answers)
    for read in reads:
        assert read.actor_id == world.chair.id and read.target_id is None
        assert read.detail == {"via": "live meeting API", "meeting_id": world.meeting.id,
                               "full": [world.case.id], "summary": [abroad.id]}
    assert audit_rows(session, "case.viewed") == []   # and none per case

    # Each case's own trail (read by an admin, who may read every trail) finds both reads, at the level
    # it was shown at; the case the chair may not see is in neither.
    admin = make_user("admin", name="Trail Reader")
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 302
    for case, level in ((world.case, "full"), (abroad, "pseudonymised summary")):
        found = live_reads(client, case)
        assert len(found) == len(answers), case.patient_reference
        assert all(f"access: {level}" in body and "Chair Zhang" in body for body in found)
    assert live_reads(client, unrelated) == []
    assert not any(action in ("case.viewed", "cases.viewed") for action, _ in trail(client, unrelated))


def test_events_replayed_to_a_subscriber_are_audited(app, client, session, world):
    with time_machine.travel(DURING_THE_MEETING, tick=True):
        base = f"/api/v1/meetings/{world.meeting.id}/live"
        assert client.post(f"{base}/start", headers=world.headers["chair"]).status_code == 200
        assert client.put(f"{base}/notes", headers=world.headers["chair"],
                          json={"case_id": world.case.id, "notes": "T2N0; resectable."}).status_code == 200
        token = world.headers["chair"]["Authorization"].split()[1]
        live = socketio.test_client(app, auth={"token": token})
        try:
            answer = live.emit("subscribe", {"room": f"meeting:{world.meeting.id}", "since": 0}, callback=True)
        finally:
            live.disconnect()
    assert answer["ok"] is True and answer["replayed"] >= 2
    [row] = audit_rows(session, "live.replayed")
    assert row.actor_id == world.chair.id and row.target_id == str(world.meeting.id)
    assert row.detail["events"] == answer["replayed"] and row.detail["access"] == "full"
