from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

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

    # An event about several targets at once (a list page) names each here too, so that each
    # target's trail finds it by index.
    targets: Mapped[list["AuditEventTarget"]] = relationship(cascade="save-update, merge")


class AuditEventTarget(Base):
    """One of the targets of an audit event that concerns several (e.g. the cases a list showed).

    The event's `detail` holds the same ids; this table only makes them findable by index.
    Append-only like the events (the database refuses changes).
    """

    __tablename__ = "audit_event_targets"
    __table_args__ = (Index("ix_audit_event_targets_target", "target_type", "target_id", "audit_event_id"),)

    audit_event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), primary_key=True)
    target_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class AuditTrailIsAppendOnly(Exception):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
@event.listens_for(AuditEventTarget, "before_update")
@event.listens_for(AuditEventTarget, "before_delete")
def _refuse_changes(mapper, connection, target):
    raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")
