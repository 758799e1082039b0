"""Whoever reads the logs learns no link's secret and no patient reference: the access log writes
`[redacted]` in their place, and an unexpected error's log line names the URL rule, not the URL."""
from __future__ import annotations

import logging

import pytest
from werkzeug.serving import WSGIRequestHandler

from app.accounts import password_links

LINK_SECRET = "Zq3-link-secret_x9"
PATIENT = "FCG-0042"


def _served(path: str, status: int = 200) -> None:
    """What the development server (run.py) logs for one request to `path`."""
    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.client_address, handler.command, handler.path = ("203.0.113.9", 0), "GET", path
    handler.request_version = "HTTP/1.1"
    handler.requestline = f"GET {path} HTTP/1.1"
    handler.log_request(status, 512)


@pytest.mark.parametrize(("path", "secret", "shown"), [
    (f"/set-password/{LINK_SECRET}", LINK_SECRET, "/set-password/[redacted]"),
    (f"/set-password/12.{LINK_SECRET}", LINK_SECRET, "/set-password/[redacted]"),   # <link id>.<mac>
    (f"/set-password/{LINK_SECRET}?next=%2F", LINK_SECRET, "/set-password/[redacted]?next"),
    ("/calendar/s3cr3t-Feed_Key.ics", "s3cr3t", "/calendar/[redacted].ics"),
    (f"/api/v1/organizations/1/patients/{PATIENT}/export", PATIENT, "/patients/[redacted]/export"),
    ("/api/v1/organizations/1/patients/FCG%200042%22x/erasure", "0042", "/patients/[redacted]/erasure"),
])
def test_the_access_log_redacts_secrets_and_patient_references(app, caplog, path, secret, shown):
    caplog.set_level(logging.INFO, logger="werkzeug")
    _served(path, 404)
    [line] = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert secret not in line and shown in line and "203.0.113.9" in line


def test_an_unexpected_error_on_a_set_password_link_logs_the_rule_not_the_secret(client, caplog, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(password_links, "find_usable_link", broken)
    caplog.set_level(logging.ERROR)
    page = client.get(f"/set-password/{LINK_SECRET}")
    assert page.status_code == 500
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "unhandled error on GET /set-password/<secret>" in logged
    assert LINK_SECRET not in logged


def test_an_unexpected_error_on_a_patient_export_logs_no_patient_reference(client, caplog, monkeypatch, make_user,
                                                                          headers, organization):
    from app.dataprotection import operations

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(operations, "export_patient", broken)
    caplog.set_level(logging.ERROR)
    response = client.get(f"/api/v1/organizations/{organization.id}/patients/{PATIENT}/export",
                          headers=headers(make_user("admin")))
    assert response.status_code == 500
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "unhandled error on GET /api/v1/organizations/<int:organization_id>/patients/<reference>/export" in logged
    assert PATIENT not in logged


def test_an_unexpected_error_in_the_fhir_facade_logs_the_rule(client, caplog, monkeypatch, make_user, headers):
    from app.fhir import organization as fhir_organization

    def broken(*args, **kwargs):
        raise RuntimeError("mapping failed")

    monkeypatch.setattr(fhir_organization, "parse_id", broken)
    caplog.set_level(logging.ERROR)
    response = client.get("/fhir/R4/Organization/731", headers=headers(make_user("referrer")))
    assert response.status_code == 500
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "unhandled error on GET /fhir/R4/<resource_type>/<resource_id>" in logged
    assert "731" not in logged
