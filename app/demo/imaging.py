"""The demo's images: a staging CT series (synthetic, drawn with pydicom at seed time) on the first
case listed on a meeting's agenda, so the preparation pack and the DICOM viewer have something to
show. Its patient identifiers are made up, and the de-identified copy shows them gone."""
from __future__ import annotations

import io
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.attachments import AttachmentStore
from app.cases.models import Case
from app.cases.operations import add_attachment
from app.imaging.synthetic import synthetic_series
from app.meetings.models import AgendaItem, Meeting

SERIES_SLICES = 5


def seed_images(session: Session, store: AttachmentStore, at: datetime) -> Case | None:
    """Attach the CT series to the first listed case of the earliest meeting still to come."""
    case = session.scalar(
        select(Case).join(AgendaItem, AgendaItem.case_id == Case.id).join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.status == "listed", Meeting.status == "scheduled", Meeting.starts_at > at)
        .order_by(Meeting.starts_at, AgendaItem.position).limit(1))
    if case is None:
        return None
    files = synthetic_series(slices=SERIES_SLICES, size=128, patient_name="Demo^Patient",
                             patient_id=case.patient_reference or f"DEMO-{case.id}",
                             institution=case.organization.name, series_description="CT chest, staging",
                             burned_in_annotation="NO")
    for number, data in enumerate(files, start=1):
        stored = store.save(io.BytesIO(data), limit=len(data))
        add_attachment(session, case, case.referrer, filename=f"ct-chest-{number:02d}.dcm", stored=stored, at=at)
    return case
