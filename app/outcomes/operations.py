"""MDT outcomes: drafting the recommendation for a discussed case, signing it, amending it.

The rules, in short (docs/outcomes.md says them in full):
* A case discussed at a meeting gets one outcome, drafted by the meeting's chair, a coordinator of
  the board, or a specialist holding a seat invitation to that meeting. One unsigned draft per
  case at a time.
* The specialists who were present at the meeting (Attendance) and held a seat there for a
  discipline the case requires (its own disciplines and the board's quorum disciplines) sign it.
  Observers never sign. Once at least one present specialist of every required discipline has
  signed, the outcome is complete: `signed_at` is set, the case moves to outcome_signed and the
  referrer is told.
* A signed outcome never changes (the ORM refuses it too). An amendment is a new version that
  points at the one it replaces, and needs signing again.

Plain Python over a SQLAlchemy session; callers commit. The current instant is passed in (`at`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.operations import record as audit
from app.boards.models import BoardMember, QuorumRequirement
from app.cases import visibility, workflow
from app.cases.models import Case
from app.db import get_or_not_found
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.live.publish import publish
from app.meetings import attendance
from app.meetings.models import AgendaItem, Invitation, Meeting
from app.outcomes.models import (FOLLOW_UP_STATUSES, OUTCOME_CATEGORIES, STAGING_FIELDS, TNM_EDITIONS, Outcome,
                                 OutcomeFollowUp, OutcomeSignature)
from app.vocabulary import N_, CodeList
from app.timekeeping import ensure_utc, format_instant, to_local

FIELDS = ("recommendation", "category", "rationale", "dissent", "actions", "tnm_edition", *STAGING_FIELDS)
TEXT_LIMIT = 20000
ACTION_LIMIT = 2000
MAX_ACTIONS = 50
AMENDMENT_REASON_MINIMUM = 3
AMENDMENT_REASON_LIMIT = 2000
# Invitation states that no longer hold a place at the meeting.
GONE = ("withdrawn",)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# TNM categories as written after the c/p prefix (UICC 8th edition, with the subdivisions tumours use).
STAGING_PATTERNS = {
    "T": re.compile(r"^T(X|0|is|[1-4][a-e]?(\(mi\))?)$"),
    "N": re.compile(r"^N(X|0|[1-3][a-c]?(mi)?)$"),
    "M": re.compile(r"^M(0|1[a-d]?)$"),
    "stage_group": re.compile(r"^(0|0is|I{1,3}|IV)([A-D][1-3]?)?$"),
}
EMPTY_RECOMMENDATION = N_("Write the board's recommendation: it must not be empty.")

DRAFT, SIGNED, SUPERSEDED = "draft", "signed", "superseded"


# --- reading --------------------------------------------------------------------------------------


def versions_of(session: Session, case: Case) -> list[Outcome]:
    """Every version of the case's outcome, oldest first."""
    return list(session.scalars(select(Outcome).where(Outcome.case_id == case.id)
                                .order_by(Outcome.version)
                                .execution_options(populate_existing=True)))


def current_signed(versions: list[Outcome]) -> Outcome | None:
    signed = [outcome for outcome in versions if outcome.signed_at is not None]
    return signed[-1] if signed else None


def unsigned_draft(versions: list[Outcome]) -> Outcome | None:
    drafts = [outcome for outcome in versions if outcome.signed_at is None]
    return drafts[-1] if drafts else None


def status_of(outcome: Outcome, versions: list[Outcome]) -> str:
    if outcome.signed_at is None:
        return DRAFT
    later_signed = any(other.supersedes_id == outcome.id and other.signed_at is not None
                       for other in versions)
    return SUPERSEDED if later_signed else SIGNED


def get_outcome(session: Session, outcome_id: int) -> Outcome:
    return get_or_not_found(session, Outcome, outcome_id, "outcome")


def signers_at_meeting_query(meeting_id: int):
    """Ids of the people who signed an outcome of this meeting (their presence is on record)."""
    return (select(OutcomeSignature.user_id).join(Outcome, Outcome.id == OutcomeSignature.outcome_id)
            .where(Outcome.meeting_id == meeting_id).distinct())


def discussion_meeting(session: Session, case: Case) -> Meeting | None:
    """The (latest) meeting at which the case's agenda item was marked discussed."""
    return session.scalar(
        select(Meeting).join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .where(AgendaItem.case_id == case.id, AgendaItem.status == "discussed")
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(1))


def meeting_discussing(session: Session, case: Case) -> Meeting | None:
    """The running meeting whose agenda still lists the case, if any: the outcome may be drafted
    there while the case is being discussed (it is signed once the chair marks it discussed)."""
    return session.scalar(
        select(Meeting).join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .where(AgendaItem.case_id == case.id, AgendaItem.status == "listed", Meeting.status == "in_progress")
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(1))


def required_disciplines(session: Session, case: Case, meeting: Meeting | None) -> list[str]:
    """The case's disciplines and the quorum disciplines of the board that discussed it."""
    codes = {discipline.code for discipline in case.disciplines}
    board_id = (meeting.board_id if meeting is not None else None) or case.board_id
    if board_id is not None:
        codes.update(session.scalars(select(QuorumRequirement.discipline_code)
                                     .where(QuorumRequirement.board_id == board_id)))
    return sorted(codes)


def missing_disciplines(session: Session, outcome: Outcome, case: Case, meeting: Meeting | None) -> list[str]:
    signed = {signature.discipline_code for signature in outcome.signatures}
    return [code for code in required_disciplines(session, case, meeting) if code not in signed]


# --- who may draft and sign -----------------------------------------------------------------------


def seat_invitation(session: Session, meeting: Meeting, user: User) -> Invitation | None:
    return session.scalar(select(Invitation).where(
        Invitation.meeting_id == meeting.id, Invitation.user_id == user.id, Invitation.role == "seat",
        Invitation.status.not_in(GONE)))


def _coordinates(session: Session, user: User, *board_ids) -> bool:
    board_ids = [board_id for board_id in board_ids if board_id is not None]
    return bool(board_ids) and session.scalar(select(BoardMember.id).where(
        BoardMember.board_id.in_(board_ids), BoardMember.user_id == user.id,
        BoardMember.role == "coordinator").limit(1)) is not None


def may_draft(session: Session, case: Case, meeting: Meeting, user: User) -> bool:
    """The meeting's chair, a coordinator of the board, or a seat invitee of that meeting."""
    return (attendance.is_chair(session, meeting, user)
            or _coordinates(session, user, meeting.board_id, case.board_id)
            or seat_invitation(session, meeting, user) is not None)


def visible_outcome(session: Session, user: User, outcome_id: int) -> Outcome:
    """The outcome, if `user` may know its case exists; NotFound otherwise (pages and API alike)."""
    outcome = session.get(Outcome, outcome_id)
    case = session.get(Case, outcome.case_id) if outcome is not None else None
    if case is None or visibility.case_access(session, user, case) is None:
        raise NotFound(N_('No outcome with id %(outcome_id)s.'),
                       params={'outcome_id': outcome_id})
    return outcome


def require_full_access(session: Session, case: Case, user: User, what: str = "case") -> None:
    """NotFound for someone who may not know the case exists; PermissionDenied for a summary viewer."""
    level = visibility.case_access(session, user, case)
    if level is None:
        raise NotFound(N_('No %(what)s with that id.'),
                       params={'what': what})
    if level != visibility.FULL:
        raise PermissionDenied(
            N_("Only a pseudonymised summary of this case is available to you (cross-border consent has "
            "not been recorded), so you cannot read or write its outcome."))


def _require_drafter(session: Session, case: Case, meeting: Meeting, user: User) -> None:
    if not may_draft(session, case, meeting, user):
        raise PermissionDenied(
            N_('Only the chair of the meeting where case %(case_id)s was discussed '
               '(%(meeting_title)s), a coordinator of its board, or a specialist seated at that '
               'meeting may draft its outcome.'),
            params={'case_id': case.id, 'meeting_title': meeting.title})


def _board_role(session: Session, board_id: int | None, user: User) -> set[str]:
    if board_id is None:
        return set()
    return set(session.scalars(select(BoardMember.role).where(BoardMember.board_id == board_id,
                                                              BoardMember.user_id == user.id)))


def signing_seat(session: Session, outcome: Outcome, case: Case, meeting: Meeting | None,
                 user: User) -> Invitation:
    """The seat invitation `user` signs with, or PermissionDenied saying why they may not sign."""
    if meeting is None:
        raise Conflict(N_("This outcome is not linked to a meeting, so nobody can sign it."))
    invitation = session.scalar(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                         Invitation.user_id == user.id))
    roles_on_board = _board_role(session, meeting.board_id or case.board_id, user)
    if (invitation is not None and invitation.role == "observer") or (
            (invitation is None or invitation.role != "seat") and "observer" in roles_on_board):
        raise PermissionDenied(N_("Observers do not sign outcomes: only specialists who held a seat at the "
                               "meeting for a discipline the case requires may sign."))
    if invitation is None or invitation.role != "seat" or invitation.status in GONE \
            or not user.has_role("specialist"):
        raise PermissionDenied(
            N_('Only specialists who held a seat at %(meeting_title)s may sign its outcomes; you '
               'did not hold a seat there.'),
            params={'meeting_title': meeting.title})
    required = required_disciplines(session, case, meeting)
    if invitation.discipline_code not in required:
        raise PermissionDenied(
            N_('Your seat at %(meeting_title)s was for %(discipline)s, which this case does not '
               'require; it needs %(disciplines)s.'),
            params={'meeting_title': meeting.title, 'discipline': invitation.discipline_code or '—',
                    'disciplines': CodeList(required)})
    if not attendance.was_present(session, meeting, user.id):
        raise PermissionDenied(
            N_('Only specialists who were present at %(meeting_title)s may sign its outcomes; no '
               "attendance is recorded for you. Ask the board's coordinator to mark you present "
               'if you were there.'),
            params={'meeting_title': meeting.title})
    return invitation


# --- validating the content -----------------------------------------------------------------------


def _text(field: str, value, *, required: bool, limit: int = TEXT_LIMIT) -> str | None:
    if value is None:
        if required:
            raise InvalidInput(field, N_("is required"))
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, N_("must be text"))
    text = value.strip()
    if not text:
        if required:
            raise InvalidInput(field, N_("must not be empty"))
        return None
    if len(text) > limit:
        raise InvalidInput(field, N_('must be at most %(limit)s characters'),
                                  params={'limit': limit})
    return text


def _category(value) -> str:
    if value not in OUTCOME_CATEGORIES:
        raise InvalidInput("category", N_("%(value)s is not an outcome category; known: %(known)s"),
                           params={"value": repr(value), "known": ", ".join(OUTCOME_CATEGORIES)})
    return value


def _due(field: str, value, meeting: Meeting | None) -> str:
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        raise InvalidInput(field, N_("must be a date written YYYY-MM-DD"))
    try:
        due = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(field, N_('%(value)s is not a real date'),
                                  params={'value': repr(value)}) from None
    from app.errors import InvalidValue
    from app.timekeeping import check_supported_year

    try:  # only the years Meridian handles: a due date at the end of the calendar overflows later sums
        check_supported_year(due)
    except InvalidValue as error:
        raise InvalidInput(field, error.template, error.params) from None
    if meeting is not None:
        meeting_day = to_local(meeting.starts_at, meeting.host_timezone).date()
        if due < meeting_day:
            raise InvalidInput(field, N_('must not be before the meeting (%(meeting_day)s)'),
                                      params={'meeting_day': meeting_day.isoformat()})
    return due.isoformat()


def _actions(session: Session, case: Case, meeting: Meeting | None, value) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput("actions", N_("must be a list of {action, owner_id, due}"))
    if len(value) > MAX_ACTIONS:
        raise InvalidInput("actions", N_('at most %(max_actions)s actions'),
                                      params={'max_actions': MAX_ACTIONS})
    cleaned = []
    for index, item in enumerate(value):
        where = f"actions[{index}]"
        if hasattr(item, "model_dump"):
            item = item.model_dump()
        if not isinstance(item, dict):
            raise InvalidInput(where, N_("must be an object with action, owner_id and due"))
        unknown = sorted(set(item) - {"action", "owner_id", "due"})
        if unknown:
            raise InvalidInput(f"{where}.{unknown[0]}", N_("is not a known field"))
        text = _text(f"{where}.action", item.get("action"), required=True, limit=ACTION_LIMIT)
        owner_id = item.get("owner_id")
        if isinstance(owner_id, bool) or not isinstance(owner_id, int):
            raise InvalidInput(f"{where}.owner_id", N_("must be a user id"))
        owner = session.get(User, owner_id)
        if owner is None or not owner.is_active:
            raise InvalidInput(f"{where}.owner_id", N_('no active user has id %(owner_id)s'),
                                                    params={'owner_id': owner_id})
        if visibility.case_access(session, owner, case) != visibility.FULL:
            raise InvalidInput(f"{where}.owner_id", N_("%(owner_name)s cannot read this case's "
                                                       "outcome; an action's owner must be "
                                                       'someone who can'),
                                                    params={'owner_name': owner.name})
        cleaned.append({"action": text, "owner_id": owner.id,
                        "due": _due(f"{where}.due", item.get("due"), meeting)})
    return cleaned


def clean_fields(session: Session, case: Case, meeting: Meeting | None, values: dict, *,
                 partial: bool = False) -> dict:
    """Validate outcome fields; with `partial`, only those given (an amendment's changes)."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise InvalidInput(unknown[0], N_("is not a field of an outcome"))
    cleaned = {}
    for name in FIELDS:
        if partial and name not in values:
            continue
        value = values.get(name)
        if name == "recommendation":
            if value is None or (isinstance(value, str) and not value.strip()):
                raise InvalidInput(name, EMPTY_RECOMMENDATION)
            cleaned[name] = _text(name, value, required=True)
        elif name == "category":
            cleaned[name] = _category(value)
        elif name in ("rationale", "dissent"):
            cleaned[name] = _text(name, value, required=False)
        elif name == "actions":
            cleaned[name] = _actions(session, case, meeting, value)
        elif name == "tnm_edition":
            cleaned[name] = _edition(value)
        else:
            cleaned[name] = _staging(name, value)
    staged = [name for name in STAGING_FIELDS if cleaned.get(name)]
    edition = cleaned.get("tnm_edition", None)
    if partial and "tnm_edition" not in values:
        edition = "kept"  # an amendment keeps the edition of the version it amends
    if staged and edition is None:
        raise InvalidInput("tnm_edition", N_("say which TNM edition the staging follows"))
    return cleaned


def _edition(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or value not in TNM_EDITIONS:
        raise InvalidInput("tnm_edition", N_("must be one of the TNM editions %(choices)s"),
                           params={"choices": ", ".join(str(edition) for edition in TNM_EDITIONS)})
    return value


def _staging(field: str, value) -> str | None:
    """A TNM category (the c/p prefix may be typed or not) or a stage group, written canonically."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, N_("must be text"))
    text = value.strip().replace(" ", "")
    if not text:
        return None
    if field == "stage_group":
        text = text.upper()
        if text.startswith("STAGE"):
            text = text[5:]
        text = text.replace("0IS", "0is")
        if not STAGING_PATTERNS["stage_group"].match(text):
            raise InvalidInput(field, N_("%(value)s is not a stage group (0, I, IA, IIB, IIIC, IVA, ...)"),
                                   params={"value": repr(value)})
        return text
    letter = field.rsplit("_", 1)[-1].upper()
    prefix = "c" if field.startswith("clinical") else "p"
    body = re.sub(r"^(y|r|a)?[cpCP]?(?=[" + letter + letter.lower() + "])", "", text)
    rest = body[1:].lower()
    body = body[:1].upper() + ("X" if rest == "x" else rest)
    if not STAGING_PATTERNS[letter].match(body):
        raise InvalidInput(field, N_("%(value)s is not a %(category)s category (e.g. %(example)s)"),
                           params={"value": repr(value), "category": prefix + letter,
                                   "example": prefix + letter + {"T": "2a", "N": "1", "M": "0"}[letter]})
    return body


# --- drafting and amending ------------------------------------------------------------------------


def _lock_case(session: Session, case: Case) -> None:
    """Serialise writers of one case's outcome (PostgreSQL row lock; SQLite serialises anyway)."""
    session.execute(select(Case.id).where(Case.id == case.id).with_for_update())


def _flush_new_version(session: Session, outcome: Outcome) -> None:
    session.add(outcome)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(N_("Someone else saved a version of this outcome at the same moment; reload and "
                       "try again.")) from None


def save_draft(session: Session, case: Case, drafter: User, values: dict, *,
               at: datetime) -> tuple[Outcome, bool]:
    """Create the case's draft outcome, or replace the content of its unsigned draft.

    Returns (draft, created). A first draft needs the case `discussed` at a meeting; an unsigned
    amendment may be edited the same way. Once the latest version is signed: Conflict (amend it).
    """
    at = ensure_utc(at)
    require_full_access(session, case, drafter)
    _lock_case(session, case)
    versions = versions_of(session, case)
    draft = unsigned_draft(versions)
    latest = versions[-1] if versions else None
    if draft is not None:
        meeting = session.get(Meeting, draft.meeting_id) if draft.meeting_id else discussion_meeting(session, case)
    else:
        meeting = (session.get(Meeting, latest.meeting_id) if latest is not None and latest.meeting_id
                   else discussion_meeting(session, case))
    if meeting is None and case.state == "scheduled":
        meeting = meeting_discussing(session, case)
    if meeting is None:
        raise Conflict(N_('Case %(case_id)s has not been discussed at a meeting (no agenda item is marked '
                          'discussed and no running meeting lists it), so it has no outcome to draft.'),
                       params={'case_id': case.id}, state=case.state)
    _require_drafter(session, case, meeting, drafter)
    if draft is None and latest is not None:
        raise Conflict(N_('Version %(latest_version)s of this outcome is signed and cannot be '
                          'changed; amend it with POST /api/v1/outcomes/%(latest_id)s/amend.'),
                       params={'latest_version': latest.version, 'latest_id': latest.id},
                       outcome_id=latest.id, version=latest.version)
    expected_state = "discussed" if draft is None or draft.version == 1 else "outcome_signed"
    during_discussion = (expected_state == "discussed" and case.state == "scheduled"
                         and meeting_discussing(session, case) is not None)
    if case.state != expected_state and not during_discussion:
        raise Conflict(N_("A %(case_state)s case's outcome cannot be drafted; the case must be "
                          '%(expected_state)s.'),
                       params={'case_state': case.state, 'expected_state': expected_state},
                       state=case.state)
    cleaned = clean_fields(session, case, meeting, values)
    if draft is not None:
        for name, value in cleaned.items():
            setattr(draft, name, value)
        draft.drafted_by_id = drafter.id
        session.flush()
        _publish_drafted(session, case, draft, created=False)
        return draft, False
    outcome = Outcome(case_id=case.id, meeting_id=meeting.id, version=1, supersedes_id=None,
                      drafted_by_id=drafter.id, created_at=at, signed_at=None, **cleaned)
    _flush_new_version(session, outcome)
    _publish_drafted(session, case, outcome, created=True)
    return outcome, True


def _publish_drafted(session: Session, case: Case, outcome: Outcome, *, created: bool) -> None:
    publish(session, f"case:{case.id}", "outcome.drafted",
            {"case_id": case.id, "outcome_id": outcome.id, "version": outcome.version, "created": created,
             "drafted_by_id": outcome.drafted_by_id})


def require_amendable(session: Session, outcome: Outcome, drafter: User) -> tuple[Case, Meeting, list[Outcome]]:
    """(case, meeting, versions) if `drafter` may amend `outcome` now; else the error saying why:
    NotFound (may not know the case), PermissionDenied (summary access, or not the meeting's chair, a
    coordinator of the board or a seat invitee), Conflict (not the signed version in force, an
    amendment already waiting, the case not outcome_signed). The API and the pages ask this alike."""
    case = session.get(Case, outcome.case_id)
    require_full_access(session, case, drafter, "outcome")
    versions = versions_of(session, case)
    meeting = session.get(Meeting, outcome.meeting_id) if outcome.meeting_id else None
    if meeting is None:
        raise Conflict(N_("This outcome is not linked to a meeting, so it cannot be amended."))
    _require_drafter(session, case, meeting, drafter)
    if outcome.signed_at is None:
        raise Conflict(N_('Version %(outcome_version)s is an unsigned draft; change it with PUT '
                          '/api/v1/cases/%(case_id)s/outcome instead of amending it.'),
                       params={'outcome_version': outcome.version, 'case_id': case.id}, outcome_id=outcome.id)
    draft = unsigned_draft(versions)
    if draft is not None:
        raise Conflict(N_('An amendment of this outcome (version %(draft_version)s) is already '
                          'waiting for signatures; change that draft instead.'),
                       params={'draft_version': draft.version}, draft_id=draft.id)
    latest = current_signed(versions)
    if latest.id != outcome.id:
        raise Conflict(N_('Version %(outcome_version)s has been superseded by version '
                          '%(latest_version)s; amend the current version.'),
                       params={'outcome_version': outcome.version, 'latest_version': latest.version}, current_id=latest.id)
    if case.state != "outcome_signed":
        raise Conflict(N_("A %(case_state)s case's outcome cannot be amended."),
                       params={'case_state': case.state}, state=case.state)
    return case, meeting, versions


def may_amend(session: Session, outcome: Outcome | None, user: User) -> bool:
    """Whether `user` may amend `outcome` now (what `amend` would allow), for showing the action."""
    if outcome is None:
        return False
    try:
        require_amendable(session, outcome, user)
    except (NotFound, PermissionDenied, Conflict):
        return False
    return True


def amend(session: Session, outcome: Outcome, drafter: User, changes: dict, *, reason: str,
          at: datetime) -> Outcome:
    """A new unsigned version replacing the signed `outcome`, with `changes` applied to a copy of it and
    `reason` (why it is amended) kept on the version, for its readers and its letter."""
    at = ensure_utc(at)
    reason = _text("reason", reason, required=True, limit=AMENDMENT_REASON_LIMIT)
    if len(reason) < AMENDMENT_REASON_MINIMUM:
        raise InvalidInput("reason", N_("must be at least %(minimum)s characters"),
                           params={"minimum": AMENDMENT_REASON_MINIMUM})
    case = session.get(Case, outcome.case_id)
    require_full_access(session, case, drafter, "outcome")
    _lock_case(session, case)
    case, meeting, versions = require_amendable(session, outcome, drafter)
    cleaned = clean_fields(session, case, meeting, changes, partial=True)
    values = {name: getattr(outcome, name) for name in FIELDS}
    values["actions"] = [dict(action) for action in (outcome.actions or [])]
    if all(values[name] == value for name, value in cleaned.items()):
        raise InvalidInput(None, N_("An amendment must change at least one field of the outcome."))
    values.update(cleaned)
    new = Outcome(case_id=case.id, meeting_id=meeting.id, version=versions[-1].version + 1,
                  supersedes_id=outcome.id, drafted_by_id=drafter.id, amendment_reason=reason, created_at=at,
                  signed_at=None, **values)
    _flush_new_version(session, new)
    _publish_drafted(session, case, new, created=True)   # pages showing the outcome fetch the new version
    return new


def amendment_audit_detail(before: Outcome, after: Outcome) -> dict:
    """What an amendment's audit event says of it, from the page or the API alike: the new version,
    the one it supersedes and the names of the content fields that changed. Never why: the reason is
    clinical free text, kept on the version itself (`amendment_reason`) for those who may read the
    outcome, while the audit trail is read by admins without access to the case."""
    return {"case_id": after.case_id, "version": after.version, "supersedes_id": before.id,
            "fields": sorted(name for name in FIELDS if getattr(after, name) != getattr(before, name))}


# --- signing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    outcome: Outcome
    signature: OutcomeSignature
    completed: bool
    missing: list[str]


def sign(session: Session, outcome: Outcome, signer: User, *, at: datetime,
         source_address: str | None = None, letter_store=None) -> Signed:
    """Record `signer`'s signature; complete the outcome once every required discipline has signed.

    On completion: `signed_at` is set, a first outcome moves the case to outcome_signed (a SYSTEM
    move authorised here), the version it amends (if any) becomes superseded, and the referrer is
    notified, with the outcome letter attached to the case when `letter_store` (an AttachmentStore) is
    given. Each signature is audited.
    """
    at = ensure_utc(at)
    case = session.get(Case, outcome.case_id)
    require_full_access(session, case, signer, "outcome")
    _lock_case(session, case)
    session.expire(outcome)  # read the signatures as they stand now that we hold the lock
    meeting = session.get(Meeting, outcome.meeting_id) if outcome.meeting_id else None
    if outcome.signed_at is not None:
        raise Conflict(N_('Version %(outcome_version)s of this outcome is already signed and '
                          'cannot change.'),
                       params={'outcome_version': outcome.version},
                       outcome_id=outcome.id, signed_at=format_instant(outcome.signed_at))
    seat = signing_seat(session, outcome, case, meeting, signer)
    if any(signature.user_id == signer.id for signature in outcome.signatures):
        raise Conflict(N_("You have already signed this version of the outcome."), outcome_id=outcome.id)
    expected_state = "discussed" if outcome.supersedes_id is None else "outcome_signed"
    if case.state != expected_state:
        raise Conflict(N_("A %(case_state)s case's outcome cannot be signed."),
                       params={'case_state': case.state}, state=case.state)
    signature = OutcomeSignature(outcome=outcome, user_id=signer.id, discipline_code=seat.discipline_code,
                                 signed_at=at)
    session.add(signature)
    session.flush()  # the signature is stored before the outcome is sealed
    missing = missing_disciplines(session, outcome, case, meeting)
    completed = not missing
    audit(session, "outcome.signed", actor=signer, target_type="outcome", target_id=outcome.id,
          source_address=source_address,
          detail={"case_id": case.id, "version": outcome.version, "discipline": seat.discipline_code,
                  "completed": completed, "missing": missing})
    if completed:
        outcome.signed_at = at
        session.flush()
        if case.state == "discussed":
            workflow.transition(session, case, "outcome_signed", signer, at=at, reason_code="outcome.signed",
                                reason_params={"version": outcome.version}, source_address=source_address)
        audit(session, "outcome.completed", actor=signer, target_type="outcome", target_id=outcome.id,
              source_address=source_address,
              detail={"case_id": case.id, "version": outcome.version, "supersedes_id": outcome.supersedes_id,
                      "signers": [s.user_id for s in outcome.signatures]})
        _issue_letter_and_tell(session, case, outcome, signer, letter_store=letter_store, at=at)
    publish(session, f"case:{case.id}", "outcome.signed",
            {"case_id": case.id, "outcome_id": outcome.id, "version": outcome.version, "signer_id": signer.id,
             "discipline": seat.discipline_code, "completed": completed, "missing": missing},
            summary_data={"case_id": case.id, "version": outcome.version, "completed": completed})
    return Signed(outcome=outcome, signature=signature, completed=completed, missing=missing)




# --- issuing the letter and telling the referrer --------------------------------------------------


def _issue_letter_and_tell(session: Session, case: Case, outcome: Outcome, signer: User, *, letter_store,
                           at: datetime) -> None:
    """The outcome letter (PDF, in the referrer's language) is attached to the case, and the referrer
    is told, with a link to it. Without a store (a caller with no attachment storage) only the
    notification goes, linking to the case page."""
    from app.cases import referrer_updates

    letter_url = None
    if letter_store is not None:
        from app.outcomes.letter import attach_letter

        attachment = attach_letter(session, case, outcome, signer, store=letter_store, at=at)
        letter_url = f"/api/v1/attachments/{attachment.id}/content"
    referrer_updates.outcome_signed(session, case, outcome, letter_url=letter_url, at=at)


# --- the follow-up record -------------------------------------------------------------------------

REASON_NEEDED = ("changed", "not_carried_out")
FOLLOW_UP_REASON_LIMIT = 4000


def follow_up_of(session: Session, outcome: Outcome) -> OutcomeFollowUp | None:
    return session.scalar(select(OutcomeFollowUp).where(OutcomeFollowUp.outcome_id == outcome.id))


def may_record_follow_up(session: Session, case: Case, user: User) -> bool:
    """The case's referrer, or a coordinator of its board."""
    return case.referrer_id == user.id or _coordinates(session, user, case.board_id)


def record_follow_up(session: Session, outcome: Outcome, recorder: User, *, status, occurred_on, reason=None,
                     at: datetime, source_address: str | None = None) -> tuple[OutcomeFollowUp, bool]:
    """Record (or correct) what became of the signed outcome in force: carried out, changed or not
    carried out, on which date, and why (a reason is needed unless it was carried out). Returns
    (record, created)."""
    at = ensure_utc(at)
    case = session.get(Case, outcome.case_id)
    require_full_access(session, case, recorder, "outcome")
    if not may_record_follow_up(session, case, recorder):
        raise PermissionDenied(N_("Only the case's referrer or a coordinator of its board may record what became "
                                  "of its outcome."))
    versions = versions_of(session, case)
    if outcome.signed_at is None:
        raise Conflict(N_("This outcome is not signed yet; its follow-up can be recorded once it is."),
                       outcome_id=outcome.id)
    current = current_signed(versions)
    if current.id != outcome.id:
        raise Conflict(N_("Version %(version)s has been superseded by version %(current_version)s; record "
                          "the follow-up of the version in force."),
                       params={"version": outcome.version, "current_version": current.version}, current_id=current.id)
    if status not in FOLLOW_UP_STATUSES:
        raise InvalidInput("status", N_("must be carried_out, changed or not_carried_out"))
    if isinstance(occurred_on, str):
        if not _ISO_DATE.match(occurred_on.strip()):
            raise InvalidInput("occurred_on", N_("must be a date written YYYY-MM-DD"))
        try:
            occurred_on = date.fromisoformat(occurred_on.strip())
        except ValueError:
            raise InvalidInput("occurred_on", N_("%(value)s is not a real date"),
                               params={"value": repr(occurred_on)}) from None
    if not isinstance(occurred_on, date):
        raise InvalidInput("occurred_on", N_("must be a date written YYYY-MM-DD"))
    meeting = session.get(Meeting, outcome.meeting_id) if outcome.meeting_id else None
    if meeting is not None and occurred_on < to_local(meeting.starts_at, meeting.host_timezone).date():
        raise InvalidInput("occurred_on", N_("must not be before the meeting that made the recommendation"))
    if occurred_on > to_local(at, recorder.timezone).date():
        raise InvalidInput("occurred_on", N_("must not be in the future"))
    reason = _text("reason", reason, required=False, limit=FOLLOW_UP_REASON_LIMIT)
    if status in REASON_NEEDED and reason is None:
        raise InvalidInput("reason", N_("say why the recommendation was changed or not carried out"))
    record = follow_up_of(session, outcome)
    created = record is None
    if created:
        record = OutcomeFollowUp(outcome_id=outcome.id, case_id=case.id)
        session.add(record)
    record.status, record.occurred_on, record.reason = status, occurred_on, reason
    record.recorded_by_id, record.recorded_at = recorder.id, at
    session.flush()
    audit(session, "outcome.follow_up_recorded", actor=recorder, target_type="outcome", target_id=outcome.id,
          source_address=source_address,
          detail={"case_id": case.id, "status": status, "occurred_on": occurred_on.isoformat(),
                  "created": created})
    return record, created
