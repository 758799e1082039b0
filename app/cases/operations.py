"""Case operations: the referral pro-forma, drafts and submission, comments and attachments.

Plain Python over a SQLAlchemy session; callers commit. Times are passed in (`at`), and so are the
discussion targets, so the rules can be tested without waiting or reading configuration.
State changes go through `app.cases.workflow.transition`; who may see a case is decided in
`app.cases.visibility`.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytz
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.boards.models import Board
from app.cases import workflow
from app.cases.attachments import StoredContent
from app.cases.models import Attachment, Case, CaseComment
from app.errors import Conflict, InvalidInput, PermissionDenied
from app.live.publish import publish
from app.paging import Page, keyset_page
from app.specialists.models import Discipline
from app.timekeeping import ensure_utc
from app.vocabulary import N_

SEXES = ("female", "male", "other", "unknown")
URGENCIES = ("routine", "urgent")
# Everything the pro-forma holds; any subset may be set on a draft.
PROFORMA_FIELDS = (
    "patient_reference", "year_of_birth", "sex", "country_of_residence", "icd10_code", "diagnosis",
    "performance_status", "frailty_score", "clinical_summary", "question", "urgency", "disciplines",
    "language", "board_id", "cross_border_consent",
)
TEXT_LIMITS = {"diagnosis": 2000, "clinical_summary": 20000, "question": 4000}
# The site's pseudonym for the patient: never a name. Letters, digits, '-' and '_', with a digit.
_PATIENT_REFERENCE = re.compile(r"^[A-Za-z0-9_-]{3,64}$")
# ICD-10: a letter, two digits, then optionally a dot and one or two characters (C34.1, C18, D05.9).
_ICD10 = re.compile(r"^[A-Z][0-9]{2}(?:\.?[0-9A-Z]{1,2})?$")
_ISO_639_1 = re.compile(r"^[a-z]{2}$")
CLOSED_STATES = ("closed", "withdrawn")


# --- the pro-forma, field by field --------------------------------------------------------------


def _text(field: str, value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, N_("must be text"))
    value = value.strip()
    limit = TEXT_LIMITS.get(field)
    if limit is not None and len(value) > limit:
        raise InvalidInput(field, N_('must be at most %(limit)s characters'),
                                  params={'limit': limit})
    return value or None


def _integer(field: str, value, low: int, high: int, hint: str = "") -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, N_("must be a whole number"))
    if not low <= value <= high:
        raise InvalidInput(field, N_('must be between %(low)s and %(high)s%(hint)s'),
                                  params={'low': low, 'high': high, 'hint': hint})
    return value


def validate_patient_reference(value) -> str | None:
    value = _text("patient_reference", value)
    if value is None:
        return None
    if not _PATIENT_REFERENCE.match(value) or not any(ch.isdigit() for ch in value):
        raise InvalidInput(
            "patient_reference",
            N_("must be the site's pseudonymous reference, never a name: 3-64 letters, digits, '-' or "
            "'_', including at least one digit (e.g. FCG-2026-0142)"),
        )
    return value


def validate_icd10(value) -> str | None:
    value = _text("icd10_code", value)
    if value is None:
        return None
    value = value.upper()
    if not _ICD10.match(value):
        raise InvalidInput("icd10_code", N_("must be an ICD-10 code such as C34.1, C18 or D05.9"))
    return value


def validate_country(value) -> str | None:
    value = _text("country_of_residence", value)
    if value is None:
        return None
    value = value.upper()
    if value not in pytz.country_names:
        raise InvalidInput("country_of_residence", N_('%(value)s is not an ISO 3166-1 alpha-2 '
                                                      'country code'),
                                                   params={'value': repr(value)})
    return value


def validate_language(value) -> str | None:
    value = _text("language", value)
    if value is None:
        return None
    value = value.lower()
    if not _ISO_639_1.match(value):
        raise InvalidInput("language", N_('%(value)s is not an ISO 639-1 language code (e.g. '
                                          "'en', 'zh')"),
                                       params={'value': repr(value)})
    return value


def _choice(field: str, value, choices) -> str | None:
    if value is None:
        return None
    if value not in choices:
        raise InvalidInput(field, N_('must be one of: %(choices)s'),
                                  params={'choices': ', '.join(choices)})
    return value


def _disciplines(session: Session, codes) -> list[Discipline]:
    if codes is None:
        return []
    if not isinstance(codes, list | tuple):
        raise InvalidInput("disciplines", N_("must be a list of discipline codes"))
    codes = list(dict.fromkeys(str(code).strip() for code in codes))
    found = {d.code: d for d in session.scalars(select(Discipline).where(Discipline.code.in_(codes)))}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise InvalidInput("disciplines", N_('unknown discipline code(s): %(unknown)s'),
                                          params={'unknown': ', '.join(unknown)})
    return [found[code] for code in codes]


def _board(session: Session, board_id) -> int | None:
    if board_id is None:
        return None
    board = session.get(Board, board_id) if isinstance(board_id, int) else None
    if board is None:
        raise InvalidInput("board_id", N_('no board has id %(board_id)s'),
                                       params={'board_id': board_id})
    if not board.is_active:
        raise InvalidInput("board_id", N_('the board %(board_name)s is not taking referrals'),
                                       params={'board_name': repr(board.name)})
    return board.id


def apply_proforma(session: Session, case: Case, values: dict, actor, *, at: datetime) -> list[str]:
    """Validate and set the given pro-forma fields; return the names of those that changed.

    Setting `cross_border_consent` (to given, refused or unknown) records when and by whom.
    """
    at = ensure_utc(at)
    unknown = sorted(set(values) - set(PROFORMA_FIELDS))
    if unknown:
        raise InvalidInput(unknown[0], N_("is not a field of the case pro-forma"))
    cleaned: dict = {}
    for name, value in values.items():
        if name == "patient_reference":
            cleaned[name] = validate_patient_reference(value)
        elif name == "year_of_birth":
            cleaned[name] = _integer(name, value, 1900, at.year)
        elif name == "sex":
            cleaned[name] = _choice(name, value, SEXES)
        elif name == "country_of_residence":
            cleaned[name] = validate_country(value)
        elif name == "icd10_code":
            cleaned[name] = validate_icd10(value)
        elif name in TEXT_LIMITS:
            cleaned[name] = _text(name, value)
        elif name == "performance_status":
            cleaned[name] = _integer(name, value, 0, 4, " (WHO performance status)")
        elif name == "frailty_score":
            cleaned[name] = _integer(name, value, 1, 9, " (Clinical Frailty Scale)")
        elif name == "urgency":
            if value is None:
                raise InvalidInput(name, N_("must be routine or urgent"))
            cleaned[name] = _choice(name, value, URGENCIES)
        elif name == "language":
            cleaned[name] = validate_language(value)
        elif name == "disciplines":
            cleaned[name] = _disciplines(session, value)
        elif name == "board_id":
            cleaned[name] = _board(session, value)
        elif name == "cross_border_consent":
            if value is not None and not isinstance(value, bool):
                raise InvalidInput(name, N_("must be true (given), false (refused) or null (not asked)"))
            cleaned[name] = value

    changed = []
    for name, value in cleaned.items():
        if name == "disciplines":
            if [d.code for d in case.disciplines] != [d.code for d in value]:
                case.disciplines = value
                changed.append(name)
            continue
        if name == "cross_border_consent":
            # Recorded every time it is set, even to the same answer: someone asked again.
            case.cross_border_consent = value
            case.consent_recorded_at = at if value is not None else None
            case.consent_recorded_by_id = actor.id if value is not None else None
            changed.append(name)
            continue
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed.append(name)
    if changed:
        case.updated_at = at
    return changed


# --- drafts, edits, submission ------------------------------------------------------------------


def create_case(session: Session, referrer, values: dict, *, at: datetime) -> Case:
    """A draft referral from `referrer`'s own organisation (it may be incomplete)."""
    at = ensure_utc(at)
    if not referrer.has_role("referrer"):
        raise PermissionDenied(N_("Only a referrer may create a case."))
    organization = referrer.organization
    case = Case(organization_id=organization.id, referrer_id=referrer.id,
                residency_region=organization.residency_region, state="draft", urgency="routine",
                created_at=at, updated_at=at)
    session.add(case)
    apply_proforma(session, case, values, referrer, at=at)
    session.flush()
    workflow.record_creation(session, case, referrer, at=at)
    session.flush()
    publish(session, f"case:{case.id}", "case.created", {"case_id": case.id, "state": case.state},
            summary_data={"case_id": case.id, "state": case.state})
    return case


def require_referrer(session: Session, case: Case, actor) -> None:
    if workflow.REFERRER not in workflow.capacities(session, case, actor):
        raise PermissionDenied(N_("Only a referrer of the referring site may change the pro-forma."))


def update_case(session: Session, case: Case, actor, values: dict, *, at: datetime) -> list[str]:
    """Edit a draft or a returned case (referrers of the referring site only)."""
    require_referrer(session, case, actor)
    if case.state not in workflow.EDITABLE_STATES:
        raise Conflict(N_('A %(case_state)s case cannot be edited; only a draft or a returned '
                          'case can.'),
                       params={'case_state': case.state},
                       state=case.state)
    changed = apply_proforma(session, case, values, actor, at=at)
    session.flush()
    if changed:
        publish(session, f"case:{case.id}", "case.updated", {"case_id": case.id, "fields": changed},
                summary_data={"case_id": case.id})
    return changed


def submit_case(session: Session, case: Case, actor, *, at: datetime, urgent_target: timedelta,
                routine_target: timedelta, source_address: str | None = None):
    """Submit (or resubmit) a case; sets submitted_at and target_at. Raises IncompleteCase."""
    return workflow.transition(
        session, case, "submitted", actor, at=at, source_address=source_address,
        targets=workflow.SubmissionTargets(urgent=urgent_target, routine=routine_target),
    )


# --- comments and attachments -------------------------------------------------------------------


def add_comment(session: Session, case: Case, author, body: str, *, at: datetime) -> CaseComment:
    text = (body or "").strip()
    if not text:
        raise InvalidInput("body", N_("must not be empty"))
    if len(text) > 10000:
        raise InvalidInput("body", N_("must be at most 10000 characters"))
    comment = CaseComment(case=case, author_id=author.id, body=text, created_at=ensure_utc(at))
    session.add(comment)
    session.flush()
    publish(session, f"case:{case.id}", "case.comment_added",
            {"case_id": case.id, "comment_id": comment.id, "author_id": author.id, "body": text})
    return comment


def comments_page(session: Session, case: Case, *, limit: int, cursor: str | None = None,
                  newest_first: bool = False) -> Page:
    """A case's discussion in the order it was written (or newest first), a page at a time, each with its author."""
    statement = select(CaseComment).where(CaseComment.case_id == case.id).options(joinedload(CaseComment.author))
    return keyset_page(session, statement, columns=[CaseComment.id], limit=limit, cursor=cursor,
                       descending=newest_first)


def comment_count(session: Session, case: Case) -> int:
    return session.scalar(select(func.count()).select_from(CaseComment).where(CaseComment.case_id == case.id))


def attachments_page(session: Session, case: Case, *, limit: int, cursor: str | None = None,
                     newest_first: bool = False) -> Page:
    """A case's attachments in the order they were added (or newest first), a page at a time."""
    statement = select(Attachment).where(Attachment.case_id == case.id)
    return keyset_page(session, statement, columns=[Attachment.id], limit=limit, cursor=cursor,
                       descending=newest_first)


def attachment_count(session: Session, case: Case) -> int:
    return session.scalar(select(func.count()).select_from(Attachment).where(Attachment.case_id == case.id))


def newest_attachment_named(session: Session, case: Case, prefix: str) -> Attachment | None:
    """The case's latest attachment whose file name starts with `prefix` (a generated document's)."""
    return session.scalar(select(Attachment).where(Attachment.case_id == case.id,
                                                   Attachment.filename.startswith(prefix, autoescape=True))
                          .order_by(Attachment.id.desc()).limit(1))


def add_attachment(session: Session, case: Case, uploader, *, filename: str, stored: StoredContent,
                   at: datetime) -> tuple[Attachment, bool]:
    """Record stored content on a case; return (attachment, created).

    The same content attached to the same case again returns the existing attachment.
    """
    if case.state in CLOSED_STATES:
        raise Conflict(N_('A %(case_state)s case takes no more attachments.'),
                       params={'case_state': case.state}, state=case.state)
    existing = session.scalar(select(Attachment).where(Attachment.case_id == case.id,
                                                       Attachment.sha256 == stored.sha256))
    if existing is not None:
        return existing, False
    attachment = Attachment(case=case, filename=filename, media_type=stored.media_type,
                            size_bytes=stored.size_bytes, sha256=stored.sha256,
                            uploaded_by_id=uploader.id, uploaded_at=ensure_utc(at))
    session.add(attachment)
    session.flush()
    publish(session, f"case:{case.id}", "case.attachment_added",
            {"case_id": case.id, "attachment_id": attachment.id, "filename": filename,
             "media_type": stored.media_type, "size_bytes": stored.size_bytes})
    return attachment, True
