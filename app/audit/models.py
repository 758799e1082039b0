from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime
from app.timekeeping import now_utc


class AuditEvent(Base):
    """One audited action. Rows are never updated or deleted (the database refuses it too)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("chain_partition", "chain_position", name="uq_audit_events_chain"),
        # A case's (or attachment's, outcome's) trail, newest first.
        Index("ix_audit_events_target", "target_type", "target_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    source_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # The hash chain (app.audit.chain): filled as the event is written, checked by `flask audit verify`.
    chain_partition: Mapped[int | None] = mapped_column(Integer)
    chain_position: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))

    # An event about several targets at once (a list page) names each here too, so that each
    # target's trail finds it by index.
    targets: Mapped[list["AuditEventTarget"]] = relationship(cascade="save-update, merge")


class AuditEventTarget(Base):
    """One of the targets of an audit event that concerns several (e.g. the cases a list showed).

    The event's `detail` holds the same ids (and so does its chained hash); this table only makes them
    findable by index. Append-only like the events (the database refuses changes).
    """

    __tablename__ = "audit_event_targets"
    __table_args__ = (Index("ix_audit_event_targets_target", "target_type", "target_id", "audit_event_id"),)

    audit_event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), primary_key=True)
    target_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class AuditChainHead(Base):
    """The last position and hash of each partition of the chain: what truncation cannot take away."""

    __tablename__ = "audit_chain_heads"

    partition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditTrailIsAppendOnly(Exception):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
@event.listens_for(AuditEventTarget, "before_update")
@event.listens_for(AuditEventTarget, "before_delete")
def _refuse_changes(mapper, connection, target):
    raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")
