"""Data protection: export everything held about one patient, erase it on request, and purge what a
site's retention period has run out on. Plain Python over a session; the caller commits.

A patient is known by the reference their site gave them (`Case.patient_reference`) at that site.
Erasing a case removes it with everything derived from it (transitions, comments, outcomes and their
signatures, agenda entries and notes, attachments and their files, live events that repeated its
comments and notes, notifications linking to it) and leaves one audit tombstone with counts only.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.accounts.models import Organization
from app.audit.operations import record as audit
from app.cases.models import Attachment, Case, CaseComment, CaseTransition
from app.errors import InvalidInput, NotFound, PermissionDenied
from app.imaging.operations import copies_of
from app.live.models import LiveEvent
from app.meetings.models import AgendaItem, Meeting
from app.notifications.models import Notification
from app.outcomes.models import Outcome, OutcomeSignature
from app.timekeeping import ensure_utc, format_instant
from app.vocabulary import N_

# Only cases that are over are purged by retention.
FINISHED_STATES = ("closed", "withdrawn")
MAX_RETENTION_YEARS = 100


DATA_PROTECTION_ROLES = ("admin", "data-protection-officer")


def require_data_protection_access(actor, organization_id: int) -> None:
    """Admins act for every site; a data-protection officer for their own site only."""
    if actor.has_role("admin"):
        return
    if not (actor.has_role("data-protection-officer") and actor.organization_id == organization_id):
        raise PermissionDenied(N_("Only an admin or this site's data-protection officer may do this."))


def patient_cases(session: Session, organization_id: int, reference: str) -> list[Case]:
    """The cases of `reference` at the site, or NotFound."""
    cases = list(session.scalars(select(Case).where(Case.organization_id == organization_id,
                                                    Case.patient_reference == reference).order_by(Case.id)))
    if not cases:
        raise NotFound(N_('No patient with reference %(reference)s at site %(organization_id)s.'),
                       params={'reference': repr(reference), 'organization_id': organization_id})
    return cases


def _instant(value):
    return format_instant(value) if isinstance(value, datetime) else value


def _row(item, *names) -> dict:
    return {name: _instant(getattr(item, name)) for name in names}


def case_record(session: Session, case: Case) -> dict:
    """Everything held about one case, as JSON-ready data."""
    record = _row(case, *(column.key for column in Case.__table__.columns))
    record["disciplines"] = [d.code for d in case.disciplines]
    record["transitions"] = [_row(t, "from_state", "to_state", "actor_id", "reason", "at") for t in case.transitions]
    record["comments"] = [_row(c, "id", "author_id", "body", "created_at") for c in case.comments]
    record["attachments"] = [_row(a, "id", "filename", "media_type", "size_bytes", "sha256", "uploaded_by_id",
                                  "uploaded_at") for a in case.attachments]
    outcomes = session.scalars(select(Outcome).where(Outcome.case_id == case.id).order_by(Outcome.version))
    record["outcomes"] = [{**_row(o, "id", "version", "meeting_id", "recommendation", "category", "rationale",
                                  "dissent", "actions", "drafted_by_id", "amendment_reason", "created_at",
                                  "signed_at"),
                           "signatures": [_row(s, "user_id", "discipline_code") for s in o.signatures]}
                          for o in outcomes]
    record["agenda"] = [_row(item, "meeting_id", "position", "status", "notes")
                        for item in session.scalars(select(AgendaItem).where(AgendaItem.case_id == case.id))]
    return record


def export_patient(session: Session, store, organization_id: int, reference: str, *, actor, at: datetime,
                   source_address: str | None = None) -> bytes:
    """A zip: `patient.json` (every case with its history) and `attachments/<id>-<filename>`."""
    cases = patient_cases(session, organization_id, reference)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        document = {"patient_reference": reference, "organization_id": organization_id,
                    "exported_at": format_instant(at), "cases": [case_record(session, c) for c in cases]}
        archive.writestr("patient.json", json.dumps(document, ensure_ascii=False, indent=2, default=str))
        for case in cases:
            for attachment in case.attachments:
                if store.exists(attachment.sha256):
                    archive.writestr(f"attachments/{attachment.id}-{attachment.filename}",
                                     store.read(attachment.sha256))
            audit(session, "patient.exported", actor=actor, target_type="case", target_id=case.id,
                  source_address=source_address, detail={"attachments": len(case.attachments)})
    return buffer.getvalue()


@dataclass
class Erased:
    cases: int = 0
    attachments: int = 0
    files: int = 0
    comments: int = 0
    outcomes: int = 0
    live_events: int = 0


def _mentions_case(live_event: LiveEvent, case_id: int) -> bool:
    for data in (live_event.data or {}, live_event.summary_data or {}):
        if data.get("case_id") == case_id or case_id in (data.get("case_ids") or []):
            return True
    return False


def erase_case(session: Session, store, case: Case, *, actor, reason: str, at: datetime,
               source_address: str | None = None, erased: Erased | None = None) -> Erased:
    """Remove `case` and everything derived from it; one audit tombstone (counts, no content)."""
    erased = erased or Erased()
    case_id, at = case.id, ensure_utc(at)
    meeting_ids = list(session.scalars(select(AgendaItem.meeting_id).where(AgendaItem.case_id == case_id)))
    rooms = [f"meeting:{m}" for m in meeting_ids] + [f"meeting:{m}:summary" for m in meeting_ids]
    live = [e for e in session.scalars(select(LiveEvent).where(LiveEvent.room.in_(rooms))) if _mentions_case(e, case_id)]
    live_seqs = [e.seq for e in live] + list(session.scalars(select(LiveEvent.seq).where(
        LiveEvent.room.in_([f"case:{case_id}", f"case:{case_id}:summary"]))))
    digests = set(session.scalars(select(Attachment.sha256).where(Attachment.case_id == case_id)))
    digests |= copies_of(session, case_id)  # de-identified copies of its images
    counts = {
        "attachments": session.scalar(select(func.count()).where(Attachment.case_id == case_id)),
        "comments": session.scalar(select(func.count()).where(CaseComment.case_id == case_id)),
        "outcomes": session.scalar(select(func.count()).where(Outcome.case_id == case_id)),
    }
    session.flush()
    # Core statements: the ORM's guards against changing a signed outcome do not apply to erasure.
    outcome_ids = select(Outcome.id).where(Outcome.case_id == case_id).scalar_subquery()
    session.execute(delete(OutcomeSignature).where(OutcomeSignature.outcome_id.in_(outcome_ids)))
    session.execute(update(Outcome).where(Outcome.case_id == case_id).values(supersedes_id=None))
    session.execute(delete(Outcome).where(Outcome.case_id == case_id))
    session.execute(delete(CaseComment).where(CaseComment.case_id == case_id))
    session.execute(delete(CaseTransition).where(CaseTransition.case_id == case_id))
    session.execute(delete(Attachment).where(Attachment.case_id == case_id))
    session.execute(delete(AgendaItem).where(AgendaItem.case_id == case_id))
    session.execute(update(Meeting).where(Meeting.current_case_id == case_id).values(current_case_id=None))
    if live_seqs:
        session.execute(delete(LiveEvent).where(LiveEvent.seq.in_(live_seqs)))
    session.execute(delete(Notification).where(or_(Notification.link.like(f"%/cases/{case_id}"),
                                                   Notification.link.like(f"%/cases/{case_id}/%"),
                                                   Notification.link.like(f"%/cases/{case_id}#%"))))
    session.execute(delete(Case).where(Case.id == case_id))
    session.expunge(case)
    still_used = set(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(digests))))
    for digest in digests - still_used:
        if store.exists(digest):
            store.path_for(digest).unlink()
            erased.files += 1
    audit(session, "case.erased", actor=actor, target_type="case", target_id=case_id,
          source_address=source_address,
          detail={"reason": reason, **counts, "live_events": len(live_seqs)})
    erased.cases += 1
    erased.attachments += counts["attachments"]
    erased.comments += counts["comments"]
    erased.outcomes += counts["outcomes"]
    erased.live_events += len(live_seqs)
    return erased


def erase_patient(session: Session, store, organization_id: int, reference: str, *, actor, reason: str,
                  at: datetime, source_address: str | None = None) -> Erased:
    if not (reason or "").strip():
        raise InvalidInput("reason", N_("say why the data is erased (e.g. the patient's request of 2026-11-20)"))
    erased = Erased()
    for case in patient_cases(session, organization_id, reference):
        erase_case(session, store, case, actor=actor, reason=reason.strip(), at=at,
                   source_address=source_address, erased=erased)
    return erased


def set_retention(organization: Organization, years: int | None) -> None:
    if years is not None and not 1 <= years <= MAX_RETENTION_YEARS:
        raise InvalidInput("years", N_('must be from 1 to %(max_retention_years)s, or null to '
                                       'keep cases'),
                                    params={'max_retention_years': MAX_RETENTION_YEARS})
    organization.retention_years = years


def purge_expired(session: Session, store, *, at: datetime, live_event_days: int = 30) -> Erased:
    """Erase the finished cases of each site whose retention period has passed since they finished,
    and live events older than `live_event_days` (they exist for replay to reconnecting clients;
    the notes and comments they repeat stay with their case)."""
    at = ensure_utc(at)
    erased = Erased()
    stale = session.execute(delete(LiveEvent).where(LiveEvent.at < at - timedelta(days=live_event_days)))
    erased.live_events += stale.rowcount or 0
    for organization in session.scalars(select(Organization).where(Organization.retention_years.is_not(None))):
        cutoff = at.replace(year=at.year - organization.retention_years)
        expired = session.scalars(select(Case).where(Case.organization_id == organization.id,
                                                     Case.state.in_(FINISHED_STATES), Case.updated_at < cutoff))
        for case in list(expired):
            erase_case(session, store, case, actor=None, at=at, erased=erased,
                       reason=f"retention: finished more than {organization.retention_years} years ago")
    return erased
