"""Data protection's scheduled work (see app.scheduler.jobs): retention, every day."""
from __future__ import annotations


def purge_expired_data(session, at) -> str:
    """What `flask retention purge` does. Idempotent: a second run finds nothing past its period.
    Returns counts only (the run is logged; no patient reference or content is)."""
    from flask import current_app

    from app.cases.attachments import attachment_store
    from app.dataprotection.operations import purge_expired

    erased = purge_expired(session, attachment_store(current_app), at=at,
                           live_event_days=current_app.config["LIVE_EVENT_RETENTION_DAYS"])
    return (f"{erased.cases} case(s) erased, {erased.files} file(s) deleted, "
            f"{erased.live_events} live event(s) deleted")
