"""CarePlan (a signed MDT outcome; an amendment `replaces` the version before it) and Provenance
(one per signature of a signed outcome: who signed, when, for which discipline).

An outcome is clinical content: only a viewer who sees its case in full reads it, as in the API,
and every read is audited as `outcome.viewed`. Unsigned drafts are not shown.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.provenance import Provenance
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.cases.models import Case
from app.cases.visibility import FULL, access_level, case_facts, full_access_condition, visible_cases_query
from app.errors import NotFound
from app.fhir.codes import (OUTCOME_CATEGORY_SYSTEM, PRACTITIONER_ID_SYSTEM, PROVENANCE_AGENT_TYPE_SYSTEM,
                            patient_reference_system)
from app.fhir.common import (build, code_text, discipline_concept, instant, reader_language, reference,
                             unidentified_patient)
from app.fhir.context import Context
from app.fhir.search import Page, Query, SearchParam, id_conditions, page_rows, parse_id
from app.i18n import current_locale_code
from app.outcomes import operations as outcomes
from app.outcomes.models import Outcome, OutcomeSignature
from app.outcomes.presentation import action_owner_names
from app.timekeeping import format_day_for_reader
from app.vocabulary import N_

CARE_PLAN_PARAMS = (
    SearchParam("_id", "token", "Logical id (the outcome version id)"),
    SearchParam("based-on", "reference", "ServiceRequest/{id}: the case", ("ServiceRequest",)),
    SearchParam("status", "token", "active (the current signed version) or revoked (amended since)"),
)
PROVENANCE_PARAMS = (
    SearchParam("_id", "token", "Logical id (the signature id)"),
    SearchParam("target", "reference", "CarePlan/{id}: the outcome signed", ("CarePlan",)),
)


def _subject(case: Case) -> dict:
    if not case.patient_reference:
        return unidentified_patient()
    return {"identifier": {"system": patient_reference_system(case.organization_id), "value": case.patient_reference}}


def _owner(owner_id, names: dict[int, str]) -> dict:
    """A logical reference: the API names an action's owner, which does not make them readable."""
    return {"type": "Practitioner", "identifier": {"system": PRACTITIONER_ID_SYSTEM, "value": str(owner_id)},
            "display": names.get(owner_id)}


def _due(day: str) -> str:
    """'Due 14 Apr 2026' in the reader's language; a due date kept in another form is shown as it is."""
    try:
        day = format_day_for_reader(date.fromisoformat(str(day)), current_locale_code())
    except ValueError:
        pass
    return gettext("Due %(day)s", day=day)


def care_plan(outcome: Outcome, case: Case, superseded: bool, names: dict[int, str]) -> CarePlan:
    activities = [{"detail": {
        "status": "not-started",
        "description": action.get("action"),
        "performer": [_owner(action["owner_id"], names)] if action.get("owner_id") else [],
        "scheduledString": _due(action["due"]) if action.get("due") else None,
    }} for action in (outcome.actions or [])]
    # The labels are Meridian's words (the reader's language); what follows is as the clinician wrote it.
    notes = []
    if outcome.amendment_reason:
        notes.append({"text": gettext("Amendment reason: %(reason)s", reason=outcome.amendment_reason)})
    if outcome.rationale:
        notes.append({"text": gettext("Rationale: %(rationale)s", rationale=outcome.rationale)})
    if outcome.dissent:
        notes.append({"text": gettext("Dissent: %(dissent)s", dissent=outcome.dissent)})
    return build(CarePlan, {
        "id": str(outcome.id),
        "language": reader_language(),
        "status": "revoked" if superseded else "active",
        "intent": "plan",
        "category": [{"coding": [{"system": OUTCOME_CATEGORY_SYSTEM, "code": outcome.category}],
                      "text": code_text(outcome.category)}],
        "title": gettext("MDT recommendation, version %(version)s", version=outcome.version),
        "description": outcome.recommendation,
        "subject": _subject(case),
        "basedOn": [reference("ServiceRequest", case.id)],
        "replaces": [reference("CarePlan", outcome.supersedes_id)] if outcome.supersedes_id else [],
        "created": instant(outcome.signed_at),
        "author": reference("Practitioner", outcome.drafted_by_id),
        "activity": activities,
        "note": notes,
    })


def provenance(signature: OutcomeSignature) -> Provenance:
    return build(Provenance, {
        "id": str(signature.id),
        "language": reader_language(),
        "target": [reference("CarePlan", signature.outcome_id)],
        "recorded": instant(signature.signed_at),
        "activity": {"text": gettext("Signed the MDT outcome")},
        "agent": [{
            "type": {"coding": [{"system": PROVENANCE_AGENT_TYPE_SYSTEM, "code": "attester"}]},
            "role": [discipline_concept(signature.discipline_code)],
            "who": reference("Practitioner", signature.user_id, signature.user.name),
        }],
    })


def _full_case(ctx: Context, case_id: int | None) -> Case | None:
    case = ctx.session.get(Case, case_id) if case_id is not None else None
    if case is None or access_level(ctx.viewer, case_facts(case)) != FULL:
        return None
    return case


def _superseded_ids(ctx: Context, case_ids) -> set[int]:
    """Signed versions that a later signed version replaces."""
    versions = defaultdict(list)
    for outcome in ctx.session.scalars(select(Outcome).where(Outcome.case_id.in_(sorted(set(case_ids))))):
        versions[outcome.case_id].append(outcome)
    return {outcome.id for group in versions.values() for outcome in group
            if outcomes.status_of(outcome, group) == outcomes.SUPERSEDED}


def _audit(ctx: Context, case_id: int, outcome_ids: list[int], resource: str) -> None:
    ctx.audit("outcome.viewed", target_type="case", target_id=case_id,
              detail={"access": FULL, "versions": outcome_ids, "resource": resource})


def read_care_plan(ctx: Context, resource_id: str) -> CarePlan:
    outcome_id = parse_id(resource_id)
    outcome = ctx.session.get(Outcome, outcome_id) if outcome_id is not None else None
    case = _full_case(ctx, outcome.case_id) if outcome is not None and outcome.signed_at else None
    if case is None:
        raise NotFound(N_('No CarePlan with id %(resource_id)s.'),
                       params={'resource_id': resource_id})
    _audit(ctx, case.id, [outcome.id], "CarePlan")
    return care_plan(outcome, case, outcome.id in _superseded_ids(ctx, [case.id]),
                     action_owner_names(ctx.session, [outcome]))


def _visible_case_ids(ctx: Context):
    viewer = ctx.viewer
    return visible_cases_query(viewer).where(full_access_condition(viewer)).with_only_columns(Case.id)


def search_care_plans(ctx: Context, query: Query) -> Page:
    statement = select(Outcome).where(Outcome.signed_at.is_not(None), Outcome.case_id.in_(_visible_case_ids(ctx)))
    for condition in id_conditions(query, "_id", Outcome.id):
        statement = statement.where(condition)
    for condition in id_conditions(query, "based-on", Outcome.case_id):
        statement = statement.where(condition)
    status_groups = query.tokens("status")

    def convert(rows):
        cases = {c.id: c for c in ctx.session.scalars(select(Case).where(Case.id.in_({r.case_id for r in rows})))}
        superseded = _superseded_ids(ctx, cases)
        for case_id in sorted(cases):
            _audit(ctx, case_id, [r.id for r in rows if r.case_id == case_id], "CarePlan")
        names = action_owner_names(ctx.session, rows)
        return [care_plan(row, cases[row.case_id], row.id in superseded, names) for row in rows]

    if status_groups:
        # Whether a version is superseded depends on its siblings: decided over the case's versions.
        later = select(Outcome.supersedes_id).where(Outcome.signed_at.is_not(None),
                                                    Outcome.supersedes_id.is_not(None))
        for group in status_groups:
            wanted = []
            if "active" in group:
                wanted.append(Outcome.id.not_in(later))
            if "revoked" in group:
                wanted.append(Outcome.id.in_(later))
            statement = statement.where(wanted[0] | wanted[1] if len(wanted) == 2
                                        else wanted[0] if wanted else Outcome.id.in_([]))
    return page_rows(ctx.session, statement, Outcome.id, query, convert)


def read_provenance(ctx: Context, resource_id: str) -> Provenance:
    signature_id = parse_id(resource_id)
    signature = ctx.session.get(OutcomeSignature, signature_id) if signature_id is not None else None
    outcome = ctx.session.get(Outcome, signature.outcome_id) if signature is not None else None
    case = _full_case(ctx, outcome.case_id) if outcome is not None and outcome.signed_at else None
    if case is None:
        raise NotFound(N_('No Provenance with id %(resource_id)s.'),
                       params={'resource_id': resource_id})
    _audit(ctx, case.id, [outcome.id], "Provenance")
    return provenance(signature)


def search_provenance(ctx: Context, query: Query) -> Page:
    statement = (select(OutcomeSignature).join(Outcome, Outcome.id == OutcomeSignature.outcome_id)
                 .where(Outcome.signed_at.is_not(None), Outcome.case_id.in_(_visible_case_ids(ctx))))
    for condition in id_conditions(query, "_id", OutcomeSignature.id):
        statement = statement.where(condition)
    for condition in id_conditions(query, "target", OutcomeSignature.outcome_id):
        statement = statement.where(condition)

    def convert(rows):
        ids = [row.id for row in rows]
        loaded = {s.id: s for s in ctx.session.scalars(
            select(OutcomeSignature).where(OutcomeSignature.id.in_(ids))
            .options(selectinload(OutcomeSignature.user), selectinload(OutcomeSignature.outcome)))}
        by_case = defaultdict(set)
        for signature in loaded.values():
            by_case[signature.outcome.case_id].add(signature.outcome_id)
        for case_id, outcome_ids in sorted(by_case.items()):
            _audit(ctx, case_id, sorted(outcome_ids), "Provenance")
        return [provenance(loaded[i]) for i in ids]

    return page_rows(ctx.session, statement, OutcomeSignature.id, query, convert)
