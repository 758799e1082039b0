"""Recurring jobs of the boards area. Each is `job(session, at)`: idempotent, safe to run late or twice."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.boards.models import Board
from app.boards.operations import MEETINGS_AHEAD_WEEKS, SyncResult, sync_board_meetings
from app.timekeeping import ensure_utc

log = logging.getLogger(__name__)


def create_meetings_ahead(session: Session, at: datetime, *, weeks: int = MEETINGS_AHEAD_WEEKS) -> int:
    """Keep every board's meetings `weeks` ahead of `at`; return how many meetings were created.

    For each active board, the meetings starting in [at, at + weeks) are created once (one per
    board and local date: the (board_id, occurrence_date) unique constraint), so a second run
    creates nothing. Future meetings not yet started follow the board's current rule: moved
    (sequence raised) when its time changed, cancelled (sequence raised) when their date is no
    longer on it or the board is inactive. See `sync_board_meetings`. Flushes; the caller commits.
    """
    at = ensure_utc(at)
    total = SyncResult()
    for board in session.scalars(select(Board).order_by(Board.id)):
        result = sync_board_meetings(session, board, at, weeks=weeks)
        for name in ("created", "rescheduled", "cancelled", "reinstated"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
    if total.rescheduled or total.cancelled or total.reinstated:
        log.info("board meetings: %d created, %d rescheduled, %d cancelled, %d reinstated",
                 total.created, total.rescheduled, total.cancelled, total.reinstated)
    return total.created
