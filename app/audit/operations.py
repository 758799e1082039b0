"""Writing the audit trail. Operations add to the session; the caller commits."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit.models import AuditEvent, AuditEventTarget
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


def record_shown(
    session: Session,
    action: str,
    *,
    actor=None,
    target_type: str,
    shown: dict[str, list],
    source_address: str | None = None,
    detail: dict | None = None,
) -> AuditEvent | None:
    """One event for a read that showed many targets (a list page), not one per row.

    `shown` maps an access level to the ids shown at it; the ids go in `detail` and, one row each,
    in `audit_event_targets`, where each target's own trail finds the event. Nothing shown, no event.
    """
    shown = {level: sorted(ids) for level, ids in shown.items() if ids}
    if not shown:
        return None
    audit_event = record(session, action, actor=actor, target_type=target_type,
                         source_address=source_address, detail={**(detail or {}), **shown})
    audit_event.targets = [AuditEventTarget(target_type=target_type, target_id=str(target_id))
                           for target_id in sorted({i for ids in shown.values() for i in ids})]
    return audit_event
