"""Which bytes of an attachment a viewer is served, and the DICOM records behind them.

The border rule: a viewer whose organisation is in another residency region than the case (and
who may see the case in full, i.e. cross-border consent is given) is served the de-identified copy
of a DICOM file, never the original. The copy is made once, stored in the attachment store beside
the original (encrypted with the same keys) and remembered on the image's `DicomImage` row.
"""
from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.attachments import DICOM, AttachmentStore
from app.cases.models import Attachment
from app.imaging import dicom
from app.imaging.models import DicomImage

# A de-identified copy is never larger than its original by more than the few attributes it adds.
_COPY_MARGIN = 64 * 1024


@dataclass(frozen=True)
class ServedContent:
    data: bytes
    media_type: str
    deidentified: bool


def uid_salt(secret_key: str) -> str:
    """Keys the UIDs of de-identified copies: stable for the deployment, unguessable outside it."""
    return hmac.new(secret_key.encode(), b"dicom-uid-replacement", hashlib.sha256).hexdigest()


def crosses_border(viewer_region: str, case_region: str) -> bool:
    return viewer_region != case_region


def _record_from(attachment: Attachment, metadata: dicom.DicomMetadata, at: datetime) -> DicomImage:
    return DicomImage(
        attachment_id=attachment.id, modality=metadata.modality, body_part=metadata.body_part,
        series_description=(metadata.series_description or "")[:200] or None,
        series_instance_uid=metadata.series_instance_uid, series_number=metadata.series_number,
        instance_number=metadata.instance_number, number_of_frames=metadata.number_of_frames,
        rows=metadata.rows, columns=metadata.columns,
        burned_in_annotation=metadata.burned_in_annotation, read_at=at)


def image_records(session: Session, store: AttachmentStore, attachments: list[Attachment], *,
                  at: datetime) -> dict[int, DicomImage]:
    """The DicomImage of every DICOM attachment among `attachments`, reading (once) the files not
    read before; an unreadable file has no record. One query, whatever the number of attachments."""
    wanted = [a for a in attachments if a.media_type == DICOM]
    if not wanted:
        return {}
    records = {r.attachment_id: r for r in session.scalars(
        select(DicomImage).where(DicomImage.attachment_id.in_([a.id for a in wanted])))}
    for attachment in wanted:
        if attachment.id in records:
            continue
        try:
            metadata = dicom.read_metadata(store.read(attachment.sha256))
        except (dicom.NotDicom, FileNotFoundError):
            continue
        record = _record_from(attachment, metadata, at)
        session.add(record)
        records[attachment.id] = record
    session.flush()
    return records


def deidentified_copy(session: Session, store: AttachmentStore, attachment: Attachment, *, salt: str,
                      at: datetime) -> DicomImage:
    """The image's record with its de-identified copy, made now if it was not made before."""
    record = image_records(session, store, [attachment], at=at).get(attachment.id)
    if record is None:
        raise dicom.NotDicom()
    if record.deidentified_sha256 is None or not store.exists(record.deidentified_sha256):
        copy = dicom.deidentify(store.read(attachment.sha256), salt=salt)
        stored = store.save(io.BytesIO(copy), limit=max(attachment.size_bytes, len(copy)) + _COPY_MARGIN)
        record.deidentified_sha256, record.deidentified_at = stored.sha256, at
        session.flush()
    return record


def served_content(session: Session, store: AttachmentStore, attachment: Attachment, *, viewer_region: str,
                   salt: str, at: datetime) -> ServedContent:
    """What `attachment` looks like to a viewer in `viewer_region` (who may see its case in full)."""
    if attachment.media_type == DICOM and crosses_border(viewer_region, attachment.case.residency_region):
        record = deidentified_copy(session, store, attachment, salt=salt, at=at)
        return ServedContent(store.read(record.deidentified_sha256), DICOM, deidentified=True)
    return ServedContent(store.read(attachment.sha256), attachment.media_type, deidentified=False)


def copies_of(session: Session, case_id: int) -> set[str]:
    """The SHA-256 of every de-identified copy made of `case_id`'s images (erasure removes them too)."""
    return set(session.scalars(
        select(DicomImage.deidentified_sha256).join(Attachment, Attachment.id == DicomImage.attachment_id)
        .where(Attachment.case_id == case_id, DicomImage.deidentified_sha256.is_not(None))))


@dataclass(frozen=True)
class Series:
    """The DICOM images of one series of a case, in instance order (what the viewer opens together)."""
    key: str
    attachments: list[Attachment]
    record: DicomImage  # the first image's record, describing the series
    frames: int


def group_series(attachments: list[Attachment], records: dict[int, DicomImage]) -> list[Series]:
    groups: dict[str, list[Attachment]] = {}
    for attachment in attachments:
        record = records.get(attachment.id)
        if record is None:
            continue
        groups.setdefault(record.series_instance_uid or f"attachment-{attachment.id}", []).append(attachment)
    series = []
    for key, members in groups.items():
        members.sort(key=lambda a: (records[a.id].instance_number or 0, a.id))
        series.append(Series(key, members, records[members[0].id],
                             sum(records[a.id].number_of_frames for a in members)))
    return series
