from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime
from app.timekeeping import now_utc

# Notifications of a one-time set-password link (app.accounts.password_links): they never hold the link
# (its secret), only the link's id in their params; the e-mail outbox derives the link when it sends the
# e-mail, while the link still works (app.notifications.delivery.secret_link_for).
SECRET_LINK_KINDS = ("account.invitation", "account.password_reset")


class Notification(Base):
    """A notification as data: its kind and parameters (instants as ISO 8601 UTC, dates, codes, names).

    What it says is rendered when it is read or sent, in the recipient's language and zone
    (app.notifications.texts); nothing worded is stored.
    """

    __tablename__ = "notifications"
    # A person's inbox, newest first, paged by id.
    __table_args__ = (Index("ix_notifications_user_id", "user_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    # Unique per recipient and cause (e.g. "licence-expiry:12:2026-12-01:user:7"): the idempotency key.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
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

    user = relationship("User")

    def rendered(self, *, locale: str | None, zone: str):
        from app.notifications.texts import render

        return render(self.kind, self.params, locale=locale, zone=zone)

    # In English and the recipient's zone: for logs of what was sent and for tests.
    @property
    def subject(self) -> str:
        return self.rendered(locale="en", zone=self.user.timezone).subject

    @property
    def body(self) -> str:
        return self.rendered(locale="en", zone=self.user.timezone).body
