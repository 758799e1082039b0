"""How an outcome version is shown, to the API, the case page and FHIR alike: its status among the
case's versions, its actions with their owners' names, its signatures and what is still missing.
Plain Python over a session."""
from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.cases.models import Case
from app.meetings.models import Meeting
from app.outcomes import operations
from app.outcomes.models import STAGING_FIELDS, Outcome, OutcomeSignature


def action_owner_names(session, outcomes) -> dict[int, str]:
    """The names of the people the actions of `outcomes` are given to, by user id (one query)."""
    ids = {action["owner_id"] for outcome in outcomes for action in (outcome.actions or []) if action.get("owner_id")}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(sorted(ids)))).all())


def versions_out(session, case: Case, versions: list[Outcome], shown: list[Outcome] | None = None) -> dict[int, dict]:
    """Versions of the case's outcome, by id: `shown` (all `versions` unless given; `versions` are all
    of them, for each one's status and successor). In the same number of statements for one version
    or many: the signatures and their signers, the actions' owners and each meeting's required
    disciplines are read once."""
    shown = list(versions if shown is None else shown)
    names = action_owner_names(session, shown)
    _load_signatures(session, shown)
    required_at: dict[int | None, list[str]] = {}   # meeting id -> required disciplines
    out = {}
    for outcome in shown:
        if outcome.meeting_id not in required_at:
            meeting = session.get(Meeting, outcome.meeting_id) if outcome.meeting_id else None
            required_at[outcome.meeting_id] = operations.required_disciplines(session, case, meeting)
        out[outcome.id] = _version_out(outcome, versions, required_at[outcome.meeting_id], names)
    return out


def _load_signatures(session, outcomes: list[Outcome]) -> None:
    """Each outcome's signatures with their signers, in one statement each for all of them; set on the
    outcomes, which hold them."""
    unloaded = {outcome.id: outcome for outcome in outcomes if "signatures" in inspect(outcome).unloaded}
    if not unloaded:
        return
    found: dict[int, list[OutcomeSignature]] = {outcome_id: [] for outcome_id in unloaded}
    for signature in session.scalars(select(OutcomeSignature).where(OutcomeSignature.outcome_id.in_(list(unloaded)))
                                     .options(selectinload(OutcomeSignature.user)).order_by(OutcomeSignature.id)):
        found[signature.outcome_id].append(signature)
    for outcome_id, outcome in unloaded.items():
        set_committed_value(outcome, "signatures", found[outcome_id])


def _version_out(outcome: Outcome, versions: list[Outcome], required: list[str], names: dict[int, str]) -> dict:
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
