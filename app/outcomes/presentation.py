"""How an outcome version is shown, to the API, the case page and FHIR alike: its status among the
case's versions, its actions with their owners' names, its signatures and what is still missing.
Plain Python over a session."""
from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.cases.models import Case
from app.meetings.models import Meeting
from app.outcomes import operations
from app.outcomes.models import STAGING_FIELDS, Outcome


def action_owner_names(session, outcomes) -> dict[int, str]:
    """The names of the people the actions of `outcomes` are given to, by user id (one query)."""
    ids = {action["owner_id"] for outcome in outcomes for action in (outcome.actions or []) if action.get("owner_id")}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(sorted(ids)))).all())


def version_out(session, outcome: Outcome, versions: list[Outcome], case: Case, names: dict[int, str]) -> dict:
    """One version of the case's outcome (`versions`: all of them, for its status and successor)."""
    meeting = session.get(Meeting, outcome.meeting_id) if outcome.meeting_id else None
    required = operations.required_disciplines(session, case, meeting)
    signed = {signature.discipline_code for signature in outcome.signatures}
    successor = next((other.id for other in versions if other.supersedes_id == outcome.id), None)
    return {
        "id": outcome.id, "case_id": outcome.case_id, "meeting_id": outcome.meeting_id,
        "version": outcome.version, "status": operations.status_of(outcome, versions),
        "supersedes_id": outcome.supersedes_id, "superseded_by_id": successor,
        "amendment_reason": outcome.amendment_reason,
        "recommendation": outcome.recommendation, "category": outcome.category,
        "rationale": outcome.rationale, "dissent": outcome.dissent,
        "actions": [{**action, "owner_name": names.get(action["owner_id"], "")}
                    for action in (outcome.actions or [])],
        "tnm_edition": outcome.tnm_edition,
        **{name: getattr(outcome, name) for name in STAGING_FIELDS},
        "drafted_by_id": outcome.drafted_by_id, "created_at": outcome.created_at,
        "signed_at": outcome.signed_at,
        "signatures": [{"user_id": s.user_id, "name": s.user.name, "discipline": s.discipline_code,
                        "signed_at": s.signed_at} for s in outcome.signatures],
        "required_disciplines": required,
        "missing_disciplines": [] if outcome.signed_at else [c for c in required if c not in signed],
    }
