"""Attachments are encrypted at rest with keys from the environment; keys rotate without losing any."""
from __future__ import annotations

import hashlib
import io

from cryptography.fernet import Fernet

from app.cases.attachments import AttachmentStore, cipher_from

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nCT chest: 3 cm mass in the left upper lobe\n%%EOF\n"


def stored_bytes(root, content):
    digest = hashlib.sha256(content).hexdigest()
    return (root / digest[:2] / digest[2:]).read_bytes(), digest


def test_content_on_disk_is_encrypted_and_reads_back(tmp_path):
    store = AttachmentStore(tmp_path, cipher_from(Fernet.generate_key().decode()))
    saved = store.save(io.BytesIO(PDF), limit=10_000)
    on_disk, digest = stored_bytes(tmp_path, PDF)
    assert b"left upper lobe" not in on_disk and b"%PDF" not in on_disk
    assert saved.sha256 == digest and saved.media_type == "application/pdf"
    assert store.read(digest) == PDF and store.open(digest).read() == PDF
    assert [p.name for p in tmp_path.rglob(".*")] == []  # no plain temporary left behind


def test_keys_rotate_and_the_old_key_can_then_be_dropped(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    AttachmentStore(tmp_path, cipher_from(old)).save(io.BytesIO(PDF), limit=10_000)
    both = AttachmentStore(tmp_path, cipher_from(f"{new},{old}"))
    assert both.rotate() == 1
    digest = hashlib.sha256(PDF).hexdigest()
    assert AttachmentStore(tmp_path, cipher_from(new)).read(digest) == PDF


def test_files_stored_before_encryption_are_read_and_then_encrypted(tmp_path):
    AttachmentStore(tmp_path).save(io.BytesIO(PDF), limit=10_000)
    store = AttachmentStore(tmp_path, cipher_from(Fernet.generate_key().decode()))
    digest = hashlib.sha256(PDF).hexdigest()
    assert store.read(digest) == PDF
    store.rotate()
    assert b"left upper lobe" not in stored_bytes(tmp_path, PDF)[0] and store.read(digest) == PDF


def test_the_store_of_the_app_encrypts_with_its_keys(app_config):
    from app import create_app

    key = Fernet.generate_key().decode()
    application = create_app(type("Encrypted", (app_config,), {"ATTACHMENT_KEYS": key}))
    from app.cases.attachments import attachment_store

    store = attachment_store(application)
    digest = store.save(io.BytesIO(PDF), limit=10_000).sha256
    assert store.cipher is not None and store.read(digest) == PDF
    result = application.test_cli_runner().invoke(args=["attachments", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
