"""The demo's signed outcome carries its letter (attached by signing, when the demo is seeded inside the
app, which has attachment storage) and a follow-up record: the referrer reports the surgery done."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.cases.models import Case
from app.meetings.models import Meeting
from app.outcomes import operations
from app.outcomes.models import Outcome
from app.timekeeping import to_local


def demo_letter_store():
    """The app's attachment store when seeding inside the app (flask seed-demo), else None."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    from app.cases.attachments import attachment_store

    return attachment_store(current_app)


def seed_follow_up(session: Session, outcome: Outcome | None, at: datetime):
    """The referrer records the recommendation carried out, a few days after the meeting (not in the future)."""
    if outcome is None or outcome.signed_at is None or operations.follow_up_of(session, outcome) is not None:
        return None
    case = session.get(Case, outcome.case_id)
    referrer = session.get(User, case.referrer_id)
    meeting = session.get(Meeting, outcome.meeting_id)
    meeting_day = to_local(meeting.starts_at, meeting.host_timezone).date()
    today = to_local(at, referrer.timezone).date()
    occurred_on = max(meeting_day, min(meeting_day + timedelta(days=9), today))
    record, _ = operations.record_follow_up(session, outcome, referrer, status="carried_out",
                                            occurred_on=occurred_on, at=at)
    return record
