"""Attachment storage and content sniffing (plain Python, no Flask, no database).

Files are stored by the SHA-256 of their content under a root folder (`<root>/ab/cdef…`): the
same content is stored once however often it is uploaded, a file is written to a temporary name
and renamed into place (never half-written), and the stored name says nothing about the patient.

The type is decided by the content alone, never by the name or the declared type: PDF, PNG, JPEG,
DICOM (the "DICM" magic after the 128-byte preamble) and plain text (valid UTF-8 without NUL
bytes or other control characters; tab, line breaks and form feed are text).
"""
from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from app.errors import DomainError, InvalidInput
from app.vocabulary import N_

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DICOM = "application/dicom"
TEXT = "text/plain"
ACCEPTED_TYPES = (PDF, PNG, JPEG, DICOM, TEXT)

_HEAD_BYTES = 132
_CHUNK = 64 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Text may hold tabs, line breaks and form feeds, but no NUL or other control bytes (binary data).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class AttachmentTooLarge(DomainError):
    def __init__(self, limit: int):
        super().__init__(N_("The file is larger than the limit of %(limit)s bytes."), {"limit": limit})
        self.limit = limit


class UnsupportedContent(InvalidInput):
    def __init__(self):
        super().__init__("file", N_("is not a PDF, PNG, JPEG, DICOM or plain UTF-8 text file "
                                    "(judged by its content, not its name)"))


class EmptyFile(InvalidInput):
    def __init__(self):
        super().__init__("file", N_("is empty"))


def sniff_head(head: bytes) -> str | None:
    """The binary type the first bytes announce, or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(head) >= 132 and head[128:132] == b"DICM":
        return DICOM
    return None


class ContentSniffer:
    """Fed the content chunk by chunk; `media_type()` is one of ACCEPTED_TYPES or None."""

    def __init__(self):
        self._head = bytearray()
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._text = True
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if len(self._head) < _HEAD_BYTES:
            self._head += chunk[: _HEAD_BYTES - len(self._head)]
        if self._text:
            if _CONTROL_BYTES.search(chunk):
                self._text = False
            else:
                try:
                    self._decoder.decode(chunk)
                except UnicodeDecodeError:
                    self._text = False

    def media_type(self) -> str | None:
        binary = sniff_head(bytes(self._head))
        if binary is not None:
            return binary
        if self._text and self.size:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return None
            return TEXT
        return None


def sniff(data: bytes) -> str | None:
    sniffer = ContentSniffer()
    sniffer.feed(data)
    return sniffer.media_type()


def clean_filename(name: str | None) -> str:
    """A label safe to show and to send back in Content-Disposition (never used as a path)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return name[:255] or "attachment"


@dataclass(frozen=True)
class StoredContent:
    sha256: str
    size_bytes: int
    media_type: str
    newly_written: bool  # False when the same content was already stored


def cipher_from(keys: str | None) -> MultiFernet | None:
    """ATTACHMENT_KEYS: comma-separated Fernet keys, the newest first (it encrypts; all decrypt)."""
    names = [key.strip() for key in (keys or "").split(",") if key.strip()]
    return MultiFernet([Fernet(key) for key in names]) if names else None


def attachment_store(app) -> "AttachmentStore":
    """The app's store: `<instance>/attachments`, encrypted with ATTACHMENT_KEYS when set."""
    return AttachmentStore(os.path.join(app.instance_path, "attachments"),
                           cipher_from(app.config.get("ATTACHMENT_KEYS")))


# Every Fernet token starts with its version byte 0x80, which is "gA" in URL-safe base64.
_FERNET_PREFIX = b"gAAAAA"


class AttachmentStore:
    """Content-addressed files (by the SHA-256 of their plain content), encrypted at rest when a
    cipher is given (Fernet: AES-128-CBC with HMAC-SHA256)."""

    def __init__(self, root, cipher: MultiFernet | None = None):
        self.root = Path(root)
        self.cipher = cipher

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.match(sha256 or ""):
            raise ValueError(f"{sha256!r} is not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:]

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def save(self, stream, *, limit: int) -> StoredContent:
        """Copy `stream` (a binary file object) into the store, or raise.

        AttachmentTooLarge past `limit` bytes, EmptyFile, UnsupportedContent; nothing is kept then.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        sniffer = ContentSniffer()
        handle = tempfile.NamedTemporaryFile(dir=self.root, prefix=".upload-", delete=False)
        temporary = Path(handle.name)
        plain = bytearray() if self.cipher is not None else None  # never written unencrypted
        try:
            with handle:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        break
                    if sniffer.size + len(chunk) > limit:
                        raise AttachmentTooLarge(limit)
                    sniffer.feed(chunk)
                    digest.update(chunk)
                    if plain is None:
                        handle.write(chunk)
                    else:
                        plain += chunk
                if plain:
                    handle.write(self.cipher.encrypt(bytes(plain)))
                handle.flush()
                os.fsync(handle.fileno())
            if sniffer.size == 0:
                raise EmptyFile()
            media_type = sniffer.media_type()
            if media_type is None:
                raise UnsupportedContent()
            sha256 = digest.hexdigest()
            target = self.path_for(sha256)
            if target.is_file():
                temporary.unlink()
                return StoredContent(sha256, sniffer.size, media_type, newly_written=False)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)  # atomic: readers see all of it or nothing
            return StoredContent(sha256, sniffer.size, media_type, newly_written=True)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def read(self, sha256: str) -> bytes:
        """The plain content (files stored before encryption was switched on are read as they are)."""
        data = self.path_for(sha256).read_bytes()
        if self.cipher is not None and data.startswith(_FERNET_PREFIX):
            return self.cipher.decrypt(data)
        return data

    def open(self, sha256: str):
        return io.BytesIO(self.read(sha256))

    def rotate(self) -> int:
        """Re-encrypt every file with the newest key (and encrypt any plain one); returns how many."""
        if self.cipher is None:
            raise ValueError("set ATTACHMENT_KEYS first")
        count = 0
        for path in sorted(self.root.glob("??/*")):
            data = path.read_bytes()
            token = self.cipher.rotate(data) if data.startswith(_FERNET_PREFIX) else self.cipher.encrypt(data)
            temporary = path.with_name("." + path.name + ".rotating")
            temporary.write_bytes(token)
            os.replace(temporary, path)
            count += 1
        return count
