"""Writing the audit trail. Operations add to the session; the caller commits."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit import chain  # noqa: F401 - chains every event as it is written
from app.audit.models import AuditEvent
from app.timekeeping import now_utc


def record(
    session: Session,
    action: str,
    *,
    actor=None,
    target_type: str | None = None,
    target_id=None,
    source_address: str | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    audit_event = AuditEvent(
        occurred_at=now_utc(),
        actor_id=getattr(actor, "id", actor),
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        source_address=source_address,
        detail=detail or {},
    )
    session.add(audit_event)
    return audit_event
