"""Keeping the referrer informed: what the board did with their referral, as notifications.

Called by the domain where each thing happens (the workflow's moves, the agenda, the outcome), never
by pages, so the API, the pages and the scheduler all tell the referrer the same way. Notifications
are data (app.notifications.texts renders them in the referrer's language and zone); each is keyed
by its cause, so a retried operation never tells twice. Plain Python; callers commit.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.timekeeping import format_instant

# Moves of a case the referrer is told about (the key of the notification's text). Moves the
# referrer makes themselves (submit, withdraw) and the scheduling moves (told by `scheduled`) are not.
MOVES_TOLD = {
    ("submitted", "triaged"): "case.triaged",
    ("submitted", "returned"): "case.returned",
    ("submitted", "listed_not_discussed"): "case.listed_not_discussed",
    ("scheduled", "triaged"): "case.unscheduled",
    ("scheduled", "discussed"): "case.discussed",
}


def case_page(case_id: int) -> str:
    return f"/cases/{case_id}"


def _tell(session: Session, case, kind: str, cause: str, params: dict, *, at: datetime,
          link: str | None = None) -> bool:
    from app.notifications.operations import notify

    return notify(session, user_id=case.referrer_id, kind=kind,
                  dedupe_key=f"{kind}:{case.id}:{cause}:user:{case.referrer_id}",
                  params={"case_id": case.id, **params}, link=link or case_page(case.id), at=at)


def case_moved(session: Session, case, source: str, target: str, *, reason: str | None,
               reason_code: str | None = None, transition_id: int, at: datetime) -> None:
    """After `transition`: tell the referrer of the moves they did not make themselves."""
    kind = MOVES_TOLD.get((source, target))
    if kind is None:
        return
    params = {"reason": reason} if reason else {}
    if reason_code == "agenda.rolled_back":  # nobody took it off: its meeting ended first
        params = {"text": "case.unscheduled.not_discussed"}
    _tell(session, case, kind, f"transition-{transition_id}", params, at=at)


def case_scheduled(session: Session, case, meeting, *, item_id: int, at: datetime) -> None:
    """The case is on a meeting's agenda: when it will be discussed (the date shown in the
    referrer's zone when read), and the meeting's call if the referrer takes part in it."""
    from app.accounts.models import User
    from app.conferencing.operations import call_link
    from app.meetings.live import takes_part

    params = {"title": meeting.title, "starts_at": format_instant(meeting.starts_at)}
    referrer = session.get(User, case.referrer_id)
    call = call_link(session, meeting) if referrer is not None and takes_part(session, meeting, referrer) else None
    if call:
        params["call"] = call
    _tell(session, case, "case.scheduled", f"meeting-{meeting.id}-item-{item_id}-{format_instant(at)}", params,
          at=at)


def outcome_signed(session: Session, case, outcome, *, letter_url: str | None, at: datetime) -> None:
    """The outcome (or an amendment) is signed; the letter is attached to the case. No clinical
    content in the notification: it may be e-mailed."""
    amended = outcome.supersedes_id is not None
    text = "outcome_signed.amended.letter" if amended else "outcome_signed.letter"
    from app.notifications.operations import notify

    notify(session, user_id=case.referrer_id, kind="outcome_signed",
           dedupe_key=f"outcome-signed:{outcome.id}:user:{case.referrer_id}",
           params={"case_id": case.id, "version": outcome.version, "text": text},
           link=letter_url or case_page(case.id) + "#outcome", at=at)
