"""Attachments: the type comes from the content, the size is limited, storage is by hash, and
every download is audited."""
import hashlib
import io
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases import attachments
from app.cases.attachments import AttachmentStore, AttachmentTooLarge, EmptyFile, UnsupportedContent
from app.cases.models import Attachment

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
DICOM = b"\x00" * 128 + b"DICM" + b"\x02\x00\x00\x00UL\x04\x00"
TEXT = "Pathology: adenocarcinoma, TTF-1 positive. 病理报告 — Ki-67 30%.\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40


@pytest.mark.parametrize("content, expected", [
    (PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"), (DICOM, "application/dicom"),
    (TEXT, "text/plain"), (b"\xef\xbb\xbfwith a BOM", "text/plain"),
    (EXE, None), (ELF, None), (b"PK\x03\x04zip", None), (b"caf\xe9 latin-1", None), (b"nul\x00inside", None),
    (b"\x00" * 128 + b"DICX", None), (b"", None),
])
def test_type_is_decided_by_content(content, expected):
    assert attachments.sniff(content) == expected


def test_text_split_inside_a_character_is_still_text():
    sniffer = attachments.ContentSniffer()
    encoded = "報告".encode()
    sniffer.feed(encoded[:2])
    sniffer.feed(encoded[2:])
    assert sniffer.media_type() == "text/plain"
    truncated = attachments.ContentSniffer()
    truncated.feed(encoded[:2])
    assert truncated.media_type() is None


def test_filenames_are_labels_not_paths():
    assert attachments.clean_filename("../../etc/passwd") == "passwd"
    assert attachments.clean_filename("C:\\reports\\ct\r\n.pdf") == "ct.pdf"
    assert attachments.clean_filename("") == "attachment"


def test_store_is_content_addressed_atomic_and_deduplicated(tmp_path):
    store = AttachmentStore(tmp_path / "attachments")
    first = store.save(io.BytesIO(PDF), limit=1000)
    digest = hashlib.sha256(PDF).hexdigest()
    assert first.sha256 == digest and first.newly_written and first.size_bytes == len(PDF)
    path = tmp_path / "attachments" / digest[:2] / digest[2:]
    assert path.read_bytes() == PDF and store.path_for(digest) == path
    again = store.save(io.BytesIO(PDF), limit=1000)
    assert again.sha256 == digest and not again.newly_written
    for refused, error in ((b"x" * 1001, AttachmentTooLarge), (EXE, UnsupportedContent), (b"", EmptyFile)):
        with pytest.raises(error):
            store.save(io.BytesIO(refused), limit=1000)
    files = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()]
    assert files == [path]  # no temporary or refused files left behind
    with pytest.raises(ValueError):
        store.path_for("../../secret")


def upload(client, headers, case_id, content, name="report.pdf", content_type=None):
    file = (io.BytesIO(content), name) if content_type is None else (io.BytesIO(content), name, content_type)
    return client.post(f"/api/v1/cases/{case_id}/attachments", headers=headers, data={"file": file})


@pytest.mark.parametrize("content, media_type", [
    (PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"), (DICOM, "application/dicom"),
    (TEXT, "text/plain"),
])
def test_upload_detects_the_type_from_content(client, people, make_case, headers, content, media_type):
    case = make_case("draft")
    # the name and the declared type say PDF; only the content counts
    response = upload(client, headers(people.referrer), case.id, content, "scan.pdf", "application/pdf")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["media_type"] == media_type and body["size_bytes"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest() and body["filename"] == "scan.pdf"


def test_an_executable_named_pdf_is_415_naming_the_file(client, app, people, make_case, headers, assert_problem):
    case = make_case("draft")
    body = assert_problem(upload(client, headers(people.referrer), case.id, EXE, "report.pdf", "application/pdf"), 415)
    assert body["errors"][0]["field"] == "file" and body["errors"][0]["message"].startswith("report.pdf is not a PDF")
    assert client.get(f"/api/v1/cases/{case.id}/attachments", headers=headers(people.referrer)).get_json() == []
    stored = Path(app.instance_path) / "attachments"
    assert not stored.exists() or not [p for p in stored.rglob("*") if p.is_file()]


def test_size_limit_is_413(client, app, people, make_case, headers, assert_problem):
    app.config["MAX_ATTACHMENT_BYTES"] = 64
    case = make_case("draft")
    assert upload(client, headers(people.referrer), case.id, b"a" * 64, "ok.txt").status_code == 201
    body = assert_problem(upload(client, headers(people.referrer), case.id, b"a" * 65, "big.txt"), 413)
    assert body["detail"] == "big.txt is larger than the limit of 64 bytes, so it was not attached."


def test_a_request_over_the_global_limit_is_413_too(client, app, people, make_case, headers, assert_problem):
    app.config["MAX_CONTENT_LENGTH"] = 100
    case = make_case("draft")
    assert_problem(upload(client, headers(people.referrer), case.id, b"a" * 500, "big.txt"), 413)


def test_missing_or_empty_file_is_422(client, people, make_case, headers, assert_problem):
    case = make_case("draft")
    body = assert_problem(client.post(f"/api/v1/cases/{case.id}/attachments", headers=headers(people.referrer),
                                      data={"other": "x"}), 422)
    assert body["errors"][0]["field"] == "file"
    body = assert_problem(upload(client, headers(people.referrer), case.id, b"", "empty.txt"), 422)
    assert body["errors"] == [{"field": "file", "message": "empty.txt is empty, so it was not attached."}]


def test_same_content_is_stored_once(client, app, session, people, make_case, headers):
    first, second = make_case("draft"), make_case("draft")
    a = upload(client, headers(people.referrer), first.id, PDF, "a.pdf")
    b = upload(client, headers(people.referrer), second.id, PDF, "b.pdf")
    assert a.status_code == 201 and b.status_code == 201
    assert a.get_json()["sha256"] == b.get_json()["sha256"] and a.get_json()["id"] != b.get_json()["id"]
    again = upload(client, headers(people.colleague), first.id, PDF, "a-again.pdf")
    assert again.status_code == 200 and again.get_json()["id"] == a.get_json()["id"]
    files = [p for p in (Path(app.instance_path) / "attachments").rglob("*") if p.is_file()]
    digest = a.get_json()["sha256"]
    assert files == [Path(app.instance_path) / "attachments" / digest[:2] / digest[2:]]
    assert len(session.scalars(select(Attachment)).all()) == 2


def test_download_is_an_attachment_with_the_detected_type_and_audited(client, session, people, make_case, headers):
    case = make_case("submitted")
    attachment = upload(client, headers(people.referrer), case.id, TEXT, "path report 病理.txt").get_json()
    response = client.get(attachment["content_url"], headers=headers(people.coordinator),
                          environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 200
    assert response.data == TEXT
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''path%20report%20" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    response.close()
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "attachment.downloaded")).all()
    assert [(e.actor_id, e.target_type, e.target_id, e.source_address) for e in events] == [
        (people.coordinator.id, "attachment", str(attachment["id"]), "203.0.113.9")]
    assert events[0].detail["case_id"] == case.id


def test_pdf_download_type(client, people, make_case, headers):
    case = make_case("draft")
    attachment = upload(client, headers(people.referrer), case.id, PDF, "ct.pdf").get_json()
    response = client.get(attachment["content_url"], headers=headers(people.referrer))
    assert response.mimetype == "application/pdf" and response.data == PDF
    response.close()


def test_closed_and_withdrawn_cases_take_no_attachments(client, people, make_case, headers, assert_problem):
    for state in ("withdrawn", "closed"):
        case = make_case(state)
        assert_problem(upload(client, headers(people.referrer), case.id, PDF), 409)


def test_content_missing_from_storage_is_404(client, app, people, make_case, headers, assert_problem):
    case = make_case("draft")
    attachment = upload(client, headers(people.referrer), case.id, PDF).get_json()
    digest = attachment["sha256"]
    os.remove(Path(app.instance_path) / "attachments" / digest[:2] / digest[2:])
    assert_problem(client.get(attachment["content_url"], headers=headers(people.referrer)), 404)
    assert_problem(client.get("/api/v1/attachments/9999/content", headers=headers(people.referrer)), 404)
