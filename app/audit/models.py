from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.timekeeping import now_utc


class AuditEvent(Base):
    """One audited action. Rows are never updated or deleted (the database refuses it too)."""

    __tablename__ = "audit_events"
    # A case's (or attachment's, outcome's) trail, newest first.
    __table_args__ = (Index("ix_audit_events_target", "target_type", "target_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    source_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class AuditTrailIsAppendOnly(Exception):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_changes(mapper, connection, target):
    raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")
