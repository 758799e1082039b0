from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.timekeeping import now_utc


class AuditEvent(Base):
    """One audited action. Rows are never updated or deleted (the database refuses it too)."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain_partition", "chain_position", name="uq_audit_events_chain"),)

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
def _refuse_changes(mapper, connection, target):
    raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")
