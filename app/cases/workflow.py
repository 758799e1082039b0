"""The lifecycle of a case: an explicit table of moves, who may make each, and `transition`.

Plain Python over a SQLAlchemy session; callers commit. `transition` is the one way any module
changes a case's state: it checks the move against the table, checks who is making it, records a
`CaseTransition` (who, when, why) and an audit event, and applies the move's side effects.

Who makes a move is one of three capacities, judged against the case:
- REFERRER: a user with the referrer role at the case's organisation (the referring site);
- COORDINATOR: a coordinator (BoardMember role "coordinator") of the board the case is referred to;
- SYSTEM: the agenda, meeting and outcome code, which authorise their own callers and then call
  `transition` directly. SYSTEM moves are never offered through the transitions endpoint.
"""
from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record as audit
from app.cases.models import CASE_STATES, Case, CaseTransition
from app.cases.visibility import Viewer, viewer_facts
from app.errors import Conflict, InvalidInput, PermissionDenied, in_readers_language
from app.live.publish import publish
from app.meetings.models import AgendaItem
from app.timekeeping import ensure_utc
from app.vocabulary import N_, TRANSITION_REASONS

REFERRER = "referrer"
COORDINATOR = "coordinator"
SYSTEM = "system"

# Until a case has been discussed it may be withdrawn.
BEFORE_DISCUSSION = ("draft", "submitted", "returned", "triaged", "listed_not_discussed", "scheduled")
# The case still waits for its discussion, so the time left before its target counts; once discussed,
# closed or withdrawn there is no time left to show.
AWAITING_DISCUSSION = ("submitted", "returned", "triaged", "scheduled")
# A referrer edits the pro-forma only while the case is with them.
EDITABLE_STATES = ("draft", "returned")

# The minimum dataset: every field must be present before a case may be submitted.
REQUIRED_FOR_SUBMISSION = (
    "patient_reference", "year_of_birth", "sex", "country_of_residence", "icd10_code", "diagnosis",
    "performance_status", "clinical_summary", "question", "urgency", "disciplines", "language",
    "board_id", "cross_border_consent",
)

# The required fields that are the case's own columns, read at once (a list checks fifty cases).
_REQUIRED_COLUMNS = tuple(name for name in REQUIRED_FOR_SUBMISSION if name != "disciplines")
_read_required_columns = attrgetter(*_REQUIRED_COLUMNS)

# What `triage_decision` records for the two outcomes of triage.
TRIAGE_DECISIONS = {"triaged": "for_discussion", "listed_not_discussed": "standard_of_care"}


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    by: frozenset[str]
    reason_required: bool = False
    meaning: str = ""


def _move(source, target, *by, reason=False, meaning=""):
    return Move(source, target, frozenset(by), reason, meaning)


MOVES: tuple[Move, ...] = (
    _move("draft", "submitted", REFERRER, meaning="submit the referral"),
    _move("returned", "submitted", REFERRER, meaning="resubmit after a return"),
    _move("submitted", "returned", COORDINATOR, reason=True, meaning="return to the referrer (say what is needed)"),
    _move("submitted", "triaged", COORDINATOR, meaning="accept for discussion"),
    _move("submitted", "listed_not_discussed", COORDINATOR, reason=True,
          meaning="list, not discussed: standard of care applies (say why)"),
    _move("triaged", "scheduled", SYSTEM, meaning="put on a meeting's agenda"),
    _move("scheduled", "triaged", SYSTEM, meaning="taken off the agenda before discussion"),
    _move("scheduled", "discussed", SYSTEM, meaning="discussed at the meeting"),
    _move("discussed", "outcome_signed", SYSTEM, meaning="the outcome is signed"),
    _move("outcome_signed", "closed", COORDINATOR, meaning="close the case"),
    _move("listed_not_discussed", "closed", COORDINATOR, meaning="close the case"),
    *(_move(state, "withdrawn", REFERRER, COORDINATOR, reason=True, meaning="withdraw (say why)")
      for state in BEFORE_DISCUSSION),
)
MOVE_BY_STATES: dict[tuple[str, str], Move] = {(m.source, m.target): m for m in MOVES}
assert all(m.source in CASE_STATES and m.target in CASE_STATES for m in MOVES)


@dataclass(frozen=True)
class SubmissionTargets:
    """How soon a submitted case should be discussed (from configuration)."""

    urgent: timedelta
    routine: timedelta

    def target_for(self, urgency: str, submitted_at: datetime) -> datetime:
        return submitted_at + (self.urgent if urgency == "urgent" else self.routine)


NEEDED_FOR_SUBMISSION = N_("is required for submission")
INCOMPLETE = N_("The case cannot be submitted until these are filled in: %(fields)s.")


class IncompleteCase(InvalidInput):
    """Submission refused: `missing` names every field of the minimum dataset still empty."""

    def __init__(self, missing: list[str]):
        super().__init__(missing[0], NEEDED_FOR_SUBMISSION)
        self.missing = missing

    @property
    def message(self) -> str:
        return in_readers_language(INCOMPLETE, {"fields": ", ".join(self.missing)})

    @property
    def errors(self) -> list[dict]:
        required = in_readers_language(NEEDED_FOR_SUBMISSION)
        return [{"field": name, "message": required} for name in self.missing]


# --- the table, read --------------------------------------------------------------------------


def targets_from(state: str) -> list[str]:
    """Every state reachable from `state` in one move (by anyone, the system included)."""
    return [m.target for m in MOVES if m.source == state]


def human_targets_from(state: str) -> list[str]:
    """The states a person may move a case to from `state` (what the transitions endpoint offers)."""
    return [m.target for m in MOVES if m.source == state and m.by - {SYSTEM}]


def targets_for(state: str, capacities) -> list[str]:
    """The states someone holding `capacities` may move a case to from `state`."""
    return [m.target for m in MOVES if m.source == state and m.by & set(capacities)]


def is_system_only(source: str, target: str) -> bool:
    move = MOVE_BY_STATES.get((source, target))
    return move is not None and move.by == {SYSTEM}


def missing_for_submission(case: Case, *, discipline_codes: list[str] | None = None) -> list[str]:
    """The fields of the minimum dataset that are still empty, in pro-forma order (the disciplines
    read from `discipline_codes` when given, else from the case)."""
    missing = [name for name, value in zip(_REQUIRED_COLUMNS, _read_required_columns(case))
               if value is None or value == ""]
    if not (case.disciplines if discipline_codes is None else discipline_codes):
        missing.append("disciplines")
        missing.sort(key=REQUIRED_FOR_SUBMISSION.index)
    return missing


# --- who is asking ----------------------------------------------------------------------------


def capacities(session: Session, case: Case, actor, viewer: Viewer | None = None) -> frozenset[str]:
    """The capacities in which `actor` may act on `case` (REFERRER, COORDINATOR; never SYSTEM); `viewer`,
    the actor's facts if the caller has them (`visibility.viewer_of_case` will do)."""
    held = set()
    if actor is None:
        return frozenset()
    if actor.has_role("referrer") and actor.organization_id == case.organization_id:
        held.add(REFERRER)
    viewer = viewer if viewer is not None else viewer_facts(session, actor)
    if case.board_id is not None and case.board_id in viewer.coordinated_board_ids:
        held.add(COORDINATOR)
    return frozenset(held)


def _who(move: Move) -> str:
    names = {REFERRER: "a referrer of the referring site",
             COORDINATOR: "a coordinator of the case's board"}
    return " or ".join(names[c] for c in sorted(move.by) if c in names)


# --- the one way to change state ----------------------------------------------------------------


def transition(session: Session, case: Case, to_state: str, actor, *, at: datetime,
               reason: str | None = None, reason_code: str | None = None, reason_params: dict | None = None,
               targets: SubmissionTargets | None = None, source_address: str | None = None) -> CaseTransition:
    """Move `case` to `to_state` on behalf of `actor`, or raise. `reason` is a person's words;
    `reason_code` (app.vocabulary.TRANSITION_REASONS) and `reason_params` say why Meridian moved it.

    Conflict (with `allowed`: every state reachable from the current one) for a move not in the
    table; PermissionDenied when `actor` does not hold a capacity the move needs (SYSTEM moves are
    not checked here: their callers authorise, and `actor` may be None when the scheduler makes
    them); InvalidInput("reason") when a reason is required and missing; IncompleteCase when
    submitting with fields of the minimum dataset empty. Submitting needs `targets` (how soon the
    case should be discussed).
    """
    at = ensure_utc(at)
    if reason_code is not None and reason_code not in TRANSITION_REASONS:
        raise ValueError(f"unknown transition reason code {reason_code!r}")
    if to_state not in CASE_STATES:
        raise InvalidInput("to", N_('%(to_state)s is not a case state; known: %(case_states)s'),
                                 params={'to_state': repr(to_state), 'case_states': ', '.join(CASE_STATES)})
    if case.id is not None:
        # Lock the row (PostgreSQL; SQLite serialises writers) so two people cannot both move the
        # case from the same state; refuse if it moved since it was loaded.
        current = session.scalar(select(Case.state).where(Case.id == case.id).with_for_update())
        if current is not None and current != case.state:
            raise Conflict(N_('The case changed meanwhile: it is now %(current)s.'),
                           params={'current': current},
                           allowed=targets_from(current), state=current)
    source = case.state
    move = MOVE_BY_STATES.get((source, to_state))
    if move is None:
        allowed = targets_from(source)
        if not allowed:
            raise Conflict(N_("A %(source)s case cannot become %(to_state)s: %(source)s is a final state."),
                           params={"source": source, "to_state": to_state}, allowed=allowed, state=source)
        raise Conflict(N_("A %(source)s case cannot become %(to_state)s. From %(source)s it may become: %(targets)s."),
                       params={"source": source, "to_state": to_state, "targets": ", ".join(allowed)},
                       allowed=allowed, state=source)
    if SYSTEM not in move.by and not (capacities(session, case, actor) & move.by):
        raise PermissionDenied(N_('Only %(move)s may move a %(source)s case to %(to_state)s.'),
                               params={'move': _who(move), 'source': source, 'to_state': to_state})
    reason = (reason or "").strip() or None
    if move.reason_required and reason is None and reason_code is None:
        raise InvalidInput("reason", N_('is required to move a case to %(to_state)s'),
                                     params={'to_state': to_state})
    if to_state == "submitted":
        missing = missing_for_submission(case)
        if missing:
            raise IncompleteCase(missing)
        if targets is None:
            raise ValueError("submitting a case needs SubmissionTargets (how soon to discuss it)")
        # The clock starts (again) when a complete referral reaches the board.
        case.submitted_at = at
        case.target_at = targets.target_for(case.urgency, at)
    if to_state in TRIAGE_DECISIONS:
        case.triage_decision = TRIAGE_DECISIONS[to_state]
    elif to_state == "returned":
        case.triage_decision = None
    if to_state == "withdrawn" and source == "scheduled":
        # A withdrawn case leaves every agenda it was on (the seat for it is no longer needed).
        for item in session.scalars(select(AgendaItem).where(AgendaItem.case_id == case.id,
                                                             AgendaItem.status == "listed")):
            item.status = "removed"

    record = CaseTransition(case=case, from_state=source, to_state=to_state,
                            actor_id=getattr(actor, "id", None), reason=reason, reason_code=reason_code,
                            reason_params=reason_params if reason_code is not None else None, at=at)
    session.add(record)
    case.state = to_state
    case.updated_at = at
    session.flush()
    audit(session, "case.transitioned", actor=actor, target_type="case", target_id=case.id,
          source_address=source_address, detail={"from": source, "to": to_state})
    summary = {"case_id": case.id, "from": source, "to": to_state}
    publish(session, f"case:{case.id}", "case.state_changed",
            {**summary, "reason": reason, "reason_code": reason_code, "actor_id": getattr(actor, "id", None)},
            summary_data=summary)
    if case.board_id is not None:
        publish(session, f"board:{case.board_id}", "case.state_changed", summary, summary_data=summary)
    from app.cases import referrer_updates

    referrer_updates.case_moved(session, case, source, to_state, reason=reason, reason_code=reason_code,
                                transition_id=record.id, at=at)
    return record


def record_creation(session: Session, case: Case, actor, *, at: datetime) -> CaseTransition:
    """The first line of a case's history: created as a draft (no previous state)."""
    record = CaseTransition(case=case, from_state=None, to_state=case.state, actor_id=actor.id,
                            reason=None, at=ensure_utc(at))
    session.add(record)
    return record
