"""A case's audit trail (`/cases/<id>/audit`): who did what to the case, when and from where, newest first.

For admins (who read the whole trail through `GET /api/v1/audit-events`) and the coordinators of the
case's board. Anyone else who may see the case is refused (403); anyone who may not is told it does not
exist (404), as everywhere else. The trail holds no clinical content (actions, actors, states, field
names), so an admin without access to the patient's data may read it. Reading it is itself audited
(`case.audit_viewed`), before the page is read, so the viewer sees their own visit at the top.
"""
from __future__ import annotations

import re
from datetime import date

from flask import abort, render_template, request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, union_all

from app.accounts.models import User
from app.audit.models import AuditEvent, AuditEventTarget
from app.audit.operations import write_now
from app.cases import api as cases_api
from app.cases import workflow
from app.cases.models import Attachment, Case
from app.errors import NotFound, PermissionDenied
from app.extensions import db
from app.inputs import parse_id
from app.outcomes.models import Outcome
from app.security import current_actor, page
from app.timekeeping import parse_instant
from app.vocabulary import N_, SYSTEM_ACTOR
from app.web import web
from app.web.coordinator_views import COORDINATING
from app.i18n import file_size_for_reader
from app.web.filters import local_day, local_time
from app.web.referrer_views import FOLLOW_UP_LABELS
from app.web.referrer_views import LABELS as CASE_FIELD_LABELS
from app.web.workspace_forms import OUTCOME_FIELD_NAMES
from app.web.vocabulary import discipline, label

ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

PER_PAGE = 50

# What the details recorded on a case's, its attachments' and its outcomes' events are called here.
DETAIL_NAMES = {
    "access": _l("access"), "via": _l("via"), "count": _l("how many"), "first_id": _l("first id"),
    "last_id": _l("last id"), "case_id": _l("case"), "deidentified": _l("de-identified copy"),
    "series": _l("series"), "inline": _l("shown in the browser"), "sha256": _l("SHA-256"),
    "media_type": _l("file type"), "size_bytes": _l("size"), "fields": _l("fields"), "from": _l("from"),
    "to": _l("to"), "version": _l("version"), "versions": _l("versions"), "supersedes_id": _l("replaces outcome"),
    "signers": _l("signed by (user ids)"), "completed": _l("signed by every required discipline"),
    "discipline": _l("discipline"), "missing": _l("disciplines still to sign"), "created": _l("first record"),
    "occurred_on": _l("happened on"), "status": _l("status"), "category": _l("category"), "comment_id": _l("comment"),
    "meeting_id": _l("meeting"), "reason": _l("reason"), "attachments": _l("attachments"),
    "comments": _l("comments"), "outcomes": _l("outcomes"), "live_events": _l("live events"),
    "resource": _l("FHIR resource"), "room": _l("live room"), "search": _l("search"), "before": _l("older than event"),
}
# How a read or change reached Meridian ("via").
VIA_NAMES = {
    "page": _l("the case page"), "detail": _l("the case in the API"), "list": _l("the case list in the API"),
    "list page": _l("the case list"), "api": _l("the API"), "fhir": _l("FHIR"), "cli": _l("the command line"),
    "dashboard": _l("the dashboard"), "case board": _l("the case board"), "agenda editor": _l("the agenda editor"),
    "edit page": _l("the edit page"), "amend page": _l("the amendment page"), "time search": _l("the time search"),
    "live meeting": _l("the live meeting"), "live meeting panel": _l("the live meeting's case panel"),
    "live meeting API": _l("the live meeting in the API"), "preparation pack": _l("the preparation pack"),
    "preparation pack API": _l("the preparation pack in the API"),
    "preparation list": _l("the preparation list in the API"),
}
ACCESS_NAMES = {"full": _l("full"), "summary": _l("pseudonymised summary"), "none": _l("none")}
TARGET_NAMES = {"attachment": _l("attachment #%(id)s"), "outcome": _l("outcome #%(id)s")}
DISCIPLINE_KEYS = {"discipline", "missing"}
STATE_KEYS = {"from", "to", "status", "category"}


def case_with_readable_trail(case_id: int) -> Case:
    """The case, if the actor may read its trail: an admin, or a coordinator of its board."""
    actor = current_actor()
    if actor.has_role("admin"):
        case = db.session.get(Case, case_id)
        if case is None:
            raise NotFound(N_('No case with id %(case_id)s.'),
                           params={'case_id': case_id})
        return case
    case, _ = cases_api.visible_case(case_id)  # 404 for a case one may not know
    if workflow.COORDINATOR not in workflow.capacities(db.session, case, actor):
        raise PermissionDenied(N_("Only the coordinators of the case's board or an admin may read its audit trail."))
    return case


def trail_condition(case: Case):
    """Audit events about the case itself, its attachments and its outcomes."""
    attachment_ids = [str(i) for i in db.session.scalars(select(Attachment.id).where(Attachment.case_id == case.id))]
    outcome_ids = [str(i) for i in db.session.scalars(select(Outcome.id).where(Outcome.case_id == case.id))]
    # A union of index lookups (by target, and lists that showed the case), not an OR over the table,
    # so each part is an index range scan however long the whole trail is.
    parts = [select(AuditEvent.id).where(AuditEvent.target_type == "case", AuditEvent.target_id == str(case.id)),
             select(AuditEventTarget.audit_event_id).where(AuditEventTarget.target_type == "case",
                                                           AuditEventTarget.target_id == str(case.id))]
    if attachment_ids:
        parts.append(select(AuditEvent.id).where(AuditEvent.target_type == "attachment",
                                                 AuditEvent.target_id.in_(attachment_ids)))
    if outcome_ids:
        parts.append(select(AuditEvent.id).where(AuditEvent.target_type == "outcome",
                                                 AuditEvent.target_id.in_(outcome_ids)))
    return AuditEvent.id.in_(union_all(*parts))


def describe(event: AuditEvent, zone: str = "UTC", case: Case | None = None) -> str:
    """The event's detail in a line a person can read (no clinical content is ever in it); instants
    recorded in it are shown in the reader's zone and language, never as ISO text."""
    detail = {key: _shown_instant(value, zone) for key, value in (event.detail or {}).items()}
    if case is not None and event.target_id is None and event.target_type == "case":
        # a list that showed this case among others: say how, not every other id
        level = next((key for key, ids in detail.items() if isinstance(ids, list) and case.id in ids), None)
        others = sum(len(ids) for ids in detail.values() if isinstance(ids, list)) - 1
        parts = [gettext("access: %(level)s", level=_value("access", level)) if level else "",
                 gettext("via: %(via)s", via=_value("via", detail.get("via", ""))),
                 ngettext("shown with %(num)s other case", "shown with %(num)s other cases", others) if others > 0 else ""]
        return "; ".join(part for part in parts if part)
    if event.action == "case.transitioned":
        return f"{label(detail.get('from')) or '—'} → {label(detail.get('to'))}"
    parts = [gettext("%(name)s: %(value)s", name=_name(key), value=_value(key, value))
             for key, value in sorted(detail.items())]
    if event.target_type in TARGET_NAMES:
        parts.insert(0, TARGET_NAMES[event.target_type] % {"id": event.target_id})
    elif event.target_type not in (None, "case"):
        parts.insert(0, f"{event.target_type} #{event.target_id}")
    return "; ".join(parts)


def _name(key: str) -> str:
    """A detail's name in the reader's language (a detail a later version adds: its key, spelled out)."""
    return str(DETAIL_NAMES[key]) if key in DETAIL_NAMES else key.replace("_", " ")


def _field_name(name: str) -> str:
    """A case's or an outcome's field by the label its form gives it."""
    known = CASE_FIELD_LABELS.get(name) or OUTCOME_FIELD_NAMES.get(name)
    return name if known is None else str(known)


def _value(key: str, value) -> str:
    """A detail's value as the reader's language says it: yes/no, codes by their names, lists joined."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return gettext(", ").join(_value(key, item) for item in value) if value else gettext("none")
    if isinstance(value, dict):
        return gettext(", ").join(gettext("%(name)s: %(value)s", name=_name(k), value=_value(k, v))
                                  for k, v in sorted(value.items()))
    if key == "via":
        return str(VIA_NAMES.get(value, value))
    if key == "access":
        return str(ACCESS_NAMES.get(value, value))
    if key in DISCIPLINE_KEYS:
        return discipline(value)
    if key == "status" and value in FOLLOW_UP_LABELS:
        return str(FOLLOW_UP_LABELS[value])
    if key in STATE_KEYS:
        return label(value)
    if key == "fields":
        return _field_name(value)
    if key.endswith("_on"):
        try:
            return local_day(date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    if key == "size_bytes" and isinstance(value, int):
        return file_size_for_reader(value)
    return str(value)


def _shown_instant(value, zone: str):
    if isinstance(value, list):
        return [_shown_instant(item, zone) for item in value]
    if isinstance(value, str) and ISO_INSTANT.match(value):
        try:
            return local_time(parse_instant(value), zone)
        except ValueError:
            return value
    return value


def _cursor() -> int | None:
    """`?before=<event id>`: the page of events older than that one (None: the newest page)."""
    raw = request.args.get("before")
    if raw is None:
        return None
    before = parse_id(raw)
    if before is None:
        abort(404)
    return before


@web.get("/cases/<int:case_id>/audit")
@page(COORDINATING)
def case_audit_trail(case_id: int):
    """Newest first, PER_PAGE at a time. Pages are cut by event id (`?before=`), not by offset, so the
    events written while someone pages (their own visits, to begin with) never shift a page."""
    user = current_actor()
    case = case_with_readable_trail(case_id)
    before = _cursor()
    cases_api.audit_case("case.audit_viewed", target_id=case.id, detail={"before": before} if before else {})
    write_now(db.session)
    condition = trail_condition(case)
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(condition))
    statement = select(AuditEvent).where(condition)
    if before is not None:
        statement = statement.where(AuditEvent.id < before)
    events = list(db.session.scalars(statement.order_by(AuditEvent.id.desc()).limit(PER_PAGE + 1)))
    older = events[PER_PAGE - 1].id if len(events) > PER_PAGE else None
    events = events[:PER_PAGE]
    if before is not None and not events:
        db.session.rollback()
        abort(404)
    newer = None
    skipped = 0
    if before is not None:
        skipped = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            condition, AuditEvent.id >= before))
        newer_ids = list(db.session.scalars(select(AuditEvent.id).where(condition, AuditEvent.id >= before)
                                            .order_by(AuditEvent.id).limit(PER_PAGE)))
        newer = {"before": newer_ids[-1] + 1} if skipped > PER_PAGE else {}
    actor_ids = {event.actor_id for event in events if event.actor_id is not None}
    names = ({u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
             if actor_ids else {})
    rows = [{"event": event, "actor": names.get(event.actor_id) or gettext("user #%(id)s", id=event.actor_id)
             if event.actor_id is not None else gettext(SYSTEM_ACTOR), "detail": describe(event, user.timezone, case)}
            for event in events]
    db.session.commit()
    return render_template("coordinator/case_audit.html", user=user, zone=user.timezone, case=case, rows=rows,
                           total=total, first=skipped + 1, last=skipped + len(rows), older=older, newer=newer)
