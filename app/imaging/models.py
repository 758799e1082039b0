from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class DicomImage(Base):
    """What a DICOM attachment holds (read once with pydicom), and its de-identified copy once made.

    The copy is stored in the attachment store beside the original (by its own SHA-256, encrypted
    like every file there); it is what a viewer outside the case's residency region is served."""

    __tablename__ = "dicom_images"

    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True)
    modality: Mapped[str | None] = mapped_column(String(16))
    body_part: Mapped[str | None] = mapped_column(String(64))
    series_description: Mapped[str | None] = mapped_column(String(200))
    series_instance_uid: Mapped[str | None] = mapped_column(String(64))
    series_number: Mapped[int | None] = mapped_column(Integer)
    instance_number: Mapped[int | None] = mapped_column(Integer)
    number_of_frames: Mapped[int] = mapped_column(Integer, default=1)
    rows: Mapped[int | None] = mapped_column(Integer)
    columns: Mapped[int | None] = mapped_column(Integer)
    burned_in_annotation: Mapped[str | None] = mapped_column(String(3))  # YES, NO or not stated
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deidentified_sha256: Mapped[str | None] = mapped_column(String(64))
    deidentified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def may_show_identifying_text(self) -> bool:
        """Pixels may carry a name or date burned in: the annotation is YES or not stated."""
        return self.burned_in_annotation != "NO"
