"""Writing the audit trail. Operations queue events on the session; the caller commits, and the
events are written (chained, app/audit/chain.py) as it does: a rollback discards them."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit import chain  # noqa: F401 - chains every event as it is written
from app.audit.models import AuditEvent
from app.timekeeping import now_utc


def write_now(session: Session) -> None:
    """Write this transaction's queued events now, so a read of the trail in it includes them."""
    chain.write_queued(session() if callable(session) and not isinstance(session, Session) else session)


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
    chain.queue(session, audit_event)  # written, chained, when the transaction commits
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
    # Written with the event, in one multi-row INSERT (app.audit.chain.write_queued), not as ORM objects.
    audit_event.pending_targets = [(target_type, str(target_id))
                                   for target_id in sorted({i for ids in shown.values() for i in ids})]
    return audit_event
