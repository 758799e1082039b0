"""The audit trail's scheduled work (see app.scheduler.jobs): checking its hash chain, every day."""
from __future__ import annotations

import logging

from app.audit.chain import verify

log = logging.getLogger(__name__)


class AuditTrailBroken(RuntimeError):
    """The audit chain does not verify; the message names where (partitions, positions, event ids)."""


def verify_audit_trail(session, at) -> str:
    """What `flask audit verify` does. Reads only. A broken chain is logged at ERROR naming the
    partitions, positions and event ids (never event content) and fails the run, so it shows as a
    failed job; an intact chain returns how many events were checked."""
    checked, breaks = verify(session)
    if breaks:
        shown = "; ".join(str(b) for b in breaks[:5])
        more = f" (and {len(breaks) - 5} more)" if len(breaks) > 5 else ""
        log.error("audit trail broken: %s%s", shown, more)
        raise AuditTrailBroken(f"audit trail broken: {shown}{more}")
    return f"audit trail intact: {checked} events checked"
