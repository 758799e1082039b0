"""Data protection: an admin exports everything held about one patient (a zip), erases it on request
with everything derived from it, and a site's retention period erases finished cases; an audit
tombstone remains and the audit chain still verifies."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timezone

import pytest
import time_machine
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.attachments import attachment_store
from app.cases.models import Attachment, Case
from app.live.models import LiveEvent

DURING_THE_MEETING = datetime(2026, 11, 26, 1, 43, tzinfo=timezone.utc)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nCT chest: 3 cm mass\n%%EOF\n"


@pytest.fixture
def patient(app, client, session, world, make_user):
    """The world's case with a comment, shared notes (and their live events) and an attachment."""
    with time_machine.travel(DURING_THE_MEETING, tick=True):
        base = f"/api/v1/meetings/{world.meeting.id}/live"
        assert client.post(f"{base}/start", headers=world.headers["chair"]).status_code == 200
        assert client.put(f"{base}/notes", headers=world.headers["chair"],
                          json={"case_id": world.case.id, "notes": "T2N0; resectable."}).status_code == 200
        assert client.post(f"/api/v1/cases/{world.case.id}/comments", headers=world.headers["chair"],
                           json={"body": "PET shows no nodal uptake."}).status_code == 201
    stored = attachment_store(app).save(io.BytesIO(PDF), limit=10_000)
    session.add(Attachment(case_id=world.case.id, filename="ct.pdf", media_type=stored.media_type,
                           size_bytes=stored.size_bytes, sha256=stored.sha256, uploaded_by_id=world.referrer.id,
                           uploaded_at=DURING_THE_MEETING))
    session.commit()
    world.admin = make_user("admin")
    world.sha256 = stored.sha256
    return world


def site_url(world, tail):
    return f"/api/v1/organizations/{world.case.organization_id}/patients/{world.case.patient_reference}/{tail}"


def test_an_admin_exports_everything_held_about_one_patient(client, session, headers, patient):
    from app.outcomes.models import Outcome

    first = Outcome(case_id=patient.case.id, version=1, recommendation="Lobectomy.", category="surgery",
                    actions=[], drafted_by_id=patient.chair.id, created_at=DURING_THE_MEETING)
    session.add(first)
    session.flush()
    session.add(Outcome(case_id=patient.case.id, version=2, supersedes_id=first.id, recommendation="SBRT.",
                        category="radiotherapy", actions=[], drafted_by_id=patient.chair.id,
                        amendment_reason="Declined surgery.", created_at=DURING_THE_MEETING))
    session.commit()
    response = client.get(site_url(patient, "export"), headers=headers(patient.admin))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    document = json.loads(archive.read("patient.json"))
    [case] = document["cases"]
    assert case["patient_reference"] == "FCG-0001" and case["question"] == "Resectable?"
    assert [c["body"] for c in case["comments"]] == ["PET shows no nodal uptake."]
    assert case["agenda"][0]["notes"] == "T2N0; resectable."
    assert [(o["version"], o["amendment_reason"]) for o in case["outcomes"]] == [(1, None), (2, "Declined surgery.")]
    [attachment] = case["attachments"]
    assert archive.read(f"attachments/{attachment['id']}-ct.pdf") == PDF


def test_only_admins_and_the_site_s_officer_export_and_unknown_patients_are_404(
        client, headers, patient, make_user, make_org, assert_problem):
    assert_problem(client.get(site_url(patient, "export"), headers=patient.headers["chair"]), 403)
    officer = make_user("data-protection-officer")  # of the case's site
    assert client.get(site_url(patient, "export"), headers=headers(officer)).status_code == 200
    elsewhere = make_org("Aga Khan University Hospital", "KE", "Africa/Nairobi", "ke")
    other_officer = make_user("data-protection-officer", organization_=elsewhere)
    assert_problem(client.get(site_url(patient, "export"), headers=headers(other_officer)), 403)
    # The officer is not a clinician: no patient data through the clinical API.
    assert_problem(client.get(f"/api/v1/cases/{patient.case.id}", headers=headers(officer)), 404)
    unknown = f"/api/v1/organizations/{patient.case.organization_id}/patients/NOPE-1/export"
    assert_problem(client.get(unknown, headers=headers(patient.admin)), 404)


def test_erasure_removes_the_case_and_everything_derived_from_it(app, client, session, headers, patient,
                                                                  assert_problem):
    refused = client.post(site_url(patient, "erasure"), headers=headers(patient.admin), json={"reason": ""})
    assert assert_problem(refused, 422)["errors"][0]["field"] == "reason"
    erased = client.post(site_url(patient, "erasure"), headers=headers(patient.admin),
                         json={"reason": "The patient's request of 2026-11-20"})
    assert erased.status_code == 200, erased.get_json()
    counts = erased.get_json()
    assert counts["cases"] == 1 and counts["attachments"] == 1 and counts["files"] == 1
    assert counts["comments"] == 1 and counts["live_events"] >= 1
    assert_problem(client.get(f"/api/v1/cases/{patient.case.id}", headers=patient.headers["chair"]), 404)
    assert not attachment_store(app).exists(patient.sha256)
    session.expire_all()
    assert session.get(Case, patient.case.id) is None
    remaining = session.scalars(select(LiveEvent)).all()
    assert not any("resectable" in json.dumps(e.data) or "nodal" in json.dumps(e.data) for e in remaining)
    [tombstone] = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.erased")).all()
    assert tombstone.target_id == str(patient.case.id) and "request" in tombstone.detail["reason"]
    assert "FCG-0001" not in json.dumps(tombstone.detail)
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_retention_erases_cases_finished_longer_ago_than_the_site_keeps_them(app, client, session, headers,
                                                                            patient, make_user):
    from app.dataprotection.operations import purge_expired

    assert client.put(f"/api/v1/organizations/{patient.case.organization_id}/retention",
                      headers=headers(patient.admin), json={"years": 5}).status_code == 200
    old, recent = patient.case, Case(organization_id=patient.case.organization_id, referrer_id=patient.referrer.id,
                                     residency_region="cn", state="closed", urgency="routine",
                                     patient_reference="FCG-0002")
    old.state, old.updated_at = "closed", datetime(2020, 1, 1, tzinfo=timezone.utc)
    recent.updated_at = datetime(2023, 1, 1, tzinfo=timezone.utc)
    session.add(recent)
    session.commit()
    session.add(LiveEvent(room="board:1", type="board.updated", data={"board_id": 1},
                          at=datetime(2026, 9, 1, tzinfo=timezone.utc)))
    session.commit()
    erased = purge_expired(session, attachment_store(app), at=DURING_THE_MEETING, live_event_days=30)
    session.commit()
    assert erased.cases == 1 and erased.files == 1
    assert session.scalars(select(LiveEvent).where(LiveEvent.room == "board:1")).all() == []
    session.expire_all()
    assert session.get(Case, old.id) is None and session.get(Case, recent.id) is not None
    [tombstone] = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.erased")).all()
    assert tombstone.detail["reason"].startswith("retention")
