"""Controls an operator relies on, exercised the way they are used: `flask retention purge` and
`flask attachments rotate-keys` as commands, the audit row an export leaves, HSTS from the production
configuration itself, and the daily scheduler jobs that run retention and audit verification."""
from __future__ import annotations

import io
import logging
from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Attachment, Case
from app.live.models import LiveEvent
from app.models import Organization
from tests.audit_tampering import tamper

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nCT chest: 3 cm mass\n%%EOF\n"
LONG_AGO = datetime(2019, 6, 1, tzinfo=timezone.utc)


def _an_expired_case(app, session, world):
    """The world's case closed long ago at a site keeping cases 5 years, with an attachment, and an old
    live event; returns the attachment's digest."""
    from app.cases.attachments import attachment_store

    stored = attachment_store(app).save(io.BytesIO(PDF), limit=10_000)
    session.add(Attachment(case_id=world.case.id, filename="ct.pdf", media_type=stored.media_type,
                           size_bytes=stored.size_bytes, sha256=stored.sha256, uploaded_by_id=world.referrer.id,
                           uploaded_at=LONG_AGO))
    session.get(Organization, world.case.organization_id).retention_years = 5
    world.case.state, world.case.updated_at = "closed", LONG_AGO
    session.add(LiveEvent(room="board:1", type="board.updated", data={"board_id": 1}, at=LONG_AGO))
    session.commit()
    return stored.sha256


def test_flask_retention_purge_erases_expired_cases_and_a_second_run_finds_nothing(app, session, world):
    from app.cases.attachments import attachment_store

    digest = _an_expired_case(app, session, world)
    case_id = world.case.id
    first = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == ("retention: 1 case(s) erased, 1 file(s) deleted, 1 live event(s) deleted")
    assert "FCG-0001" not in first.output and "Resectable" not in first.output  # counts, never content
    session.expire_all()
    assert session.get(Case, case_id) is None and not attachment_store(app).exists(digest)
    [tombstone] = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.erased")).all()
    assert tombstone.target_id == str(case_id) and tombstone.detail["reason"].startswith("retention")
    again = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert again.exit_code == 0 and "0 case(s) erased, 0 file(s) deleted, 0 live event(s)" in again.output


def _app_with_keys(app_config, keys: str):
    from app import create_app

    return create_app(type("Keys", (app_config,), {"ATTACHMENT_KEYS": keys}))


def test_flask_attachments_rotate_keys_re_encrypts_so_the_old_key_can_be_dropped(app_config):
    from app.cases.attachments import attachment_store

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    digest = attachment_store(_app_with_keys(app_config, old)).save(io.BytesIO(PDF), limit=10_000).sha256
    result = _app_with_keys(app_config, f"{new},{old}").test_cli_runner().invoke(args=["attachments", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "attachments re-encrypted with the newest key: 1"
    assert attachment_store(_app_with_keys(app_config, new)).read(digest) == PDF  # the old key is gone


def test_flask_attachments_rotate_keys_without_keys_says_how_to_make_one(app):
    result = app.test_cli_runner().invoke(args=["attachments", "rotate-keys"])
    assert result.exit_code == 1
    assert "ATTACHMENT_KEYS is not set" in result.output and "Traceback" not in result.output


def test_an_export_leaves_a_patient_exported_audit_row_per_case(app, client, session, world, make_user, headers):
    admin = make_user("admin")
    url = (f"/api/v1/organizations/{world.case.organization_id}/patients/"
           f"{world.case.patient_reference}/export")
    assert client.get(url, headers=headers(admin)).status_code == 200
    [row] = session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.exported")).all()
    assert (row.actor_id, row.target_type, row.target_id) == (admin.id, "case", str(world.case.id))
    assert row.detail == {"attachments": 0}
    # A refused export leaves no such row.
    assert client.get(url, headers=world.headers["stranger"]).status_code == 403
    assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.exported")).all()) == 1


def test_the_production_configuration_sends_hsts_over_https(database_url, tmp_path, monkeypatch):
    from app import create_app
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("ATTACHMENT_KEYS", Fernet.generate_key().decode())
    production = type("ProductionForTest", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(tmp_path / "instance")})
    application = create_app(production)
    assert application.config["SECURITY_HSTS"] is True and not application.testing
    response = application.test_client().get("/login", base_url="https://meridian.example")
    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=31536000") and "includeSubDomains" in hsts
    with application.app_context():
        from app.extensions import db

        db.engine.dispose()


# The daily jobs: the same work as the commands, run by the scheduler.

def test_the_daily_jobs_are_scheduled_once_a_day():
    from datetime import timedelta

    from app.scheduler.jobs import job_by_id

    for job_id in ("purge-expired-data", "verify-audit-trail"):
        spec = job_by_id(job_id)
        assert spec.every == timedelta(days=1) and callable(spec.load())


def test_the_retention_job_erases_expired_cases_logging_counts_only(app, session, world, caplog):
    from app.scheduler.jobs import job_by_id
    from app.scheduler.runner import run_job

    _an_expired_case(app, session, world)
    case_id = world.case.id
    with caplog.at_level(logging.INFO):
        assert run_job(app, job_by_id("purge-expired-data")) == (
            "1 case(s) erased, 1 file(s) deleted, 1 live event(s) deleted")
        assert run_job(app, job_by_id("purge-expired-data")).startswith("0 case(s) erased")  # idempotent
    session.expire_all()
    assert session.get(Case, case_id) is None
    logged = caplog.text
    assert "job purge-expired-data done" in logged
    assert "FCG-0001" not in logged and "Resectable" not in logged and "Left upper lobe" not in logged


def test_the_audit_job_passes_on_an_intact_trail_and_fails_naming_where_it_is_broken(app, session, world,
                                                                                     caplog):
    from app.audit.jobs import AuditTrailBroken
    from app.scheduler.jobs import job_by_id
    from app.scheduler.runner import run_job

    assert run_job(app, job_by_id("verify-audit-trail")).startswith("audit trail intact: ")
    # Someone with the owner's rights edits an event behind the application's back.
    event_id = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id).limit(1)).one()
    tamper(session, "UPDATE audit_events SET target_id = '999' WHERE id = :id", id=event_id)
    with caplog.at_level(logging.ERROR), pytest.raises(AuditTrailBroken, match=f"event id {event_id}\\): edited"):
        run_job(app, job_by_id("verify-audit-trail"))
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("audit trail broken" in line and f"(event id {event_id}): edited" in line for line in errors), errors
