from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.timekeeping import now_utc


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    # Unique per recipient and cause (e.g. "licence-expiry:12:2026-12-01:user:7"): the idempotency key.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The e-mail outbox (app.scheduler.mail): a sender claims a message before sending it, so two
    # senders never send it both; a claim left by a sender that died expires.
    email_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_claimed_by: Mapped[str | None] = mapped_column(String(64))
    email_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    email_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A permanent failure (5xx, or too many temporary ones): never tried again; the reason says why.
    email_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str | None] = mapped_column(String(500))
