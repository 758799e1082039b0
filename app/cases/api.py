"""API: cases (referrals) — the pro-forma, submission and the lifecycle, comments, attachments.

Every view looks the case up through `visibility.case_access`: a stranger is told the case does
not exist (404); a viewer with summary access gets the pseudonymised summary and nothing else
(403 on comments and attachments). Every read of case data and every change is audited.
"""
from __future__ import annotations

import io
from datetime import timedelta
from operator import attrgetter
from typing import Annotated, Literal

from flask import current_app, request, send_file
from flask_babel import gettext
from pydantic import Field, RootModel
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.api import api
from app.api.endpoint import ApiResponse, endpoint
from app.api.paging import PageQuery, next_link
from app.api.problems import problem, validation_problem
from app.api.schema import Instant, OutputInstant, RequestBody, ResponseBody
from app.audit.operations import record as audit
from app.audit.operations import record_shown
from app.cases import operations, visibility, workflow
from app.cases.attachments import (AttachmentStore, AttachmentTooLarge, EmptyFile, UnsupportedContent, attachment_store,
                                   clean_filename)
from app.cases.models import CASE_STATES, Attachment, Case, CaseTransition
from app.cases.visibility import FULL, SUMMARY
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.i18n import file_size_for_reader
from app.imaging import dicom
from app.imaging.operations import served_content, uid_salt
from app.paging import Page, cursor_values, encode_cursor
from app.security import current_actor
from app.timekeeping import now_utc
from app.vocabulary import N_, SYSTEM_ACTOR, transition_reason_text

TAGS = ("cases",)
CaseState = Literal[CASE_STATES]


# --- bodies -------------------------------------------------------------------------------------


class CaseIn(RequestBody):
    """The pro-forma. Every field is optional on a draft; submission needs the minimum dataset."""

    patient_reference: str | None = Field(
        default=None, max_length=64,
        description="The site's pseudonym for the patient, never a name: 3-64 letters, digits, "
                    "'-' or '_', with at least one digit")
    year_of_birth: int | None = Field(default=None, description="1900 to the current year")
    sex: Literal["female", "male", "other", "unknown"] | None = None
    country_of_residence: str | None = Field(default=None, max_length=2, description="ISO 3166-1 alpha-2")
    icd10_code: str | None = Field(default=None, max_length=8, description="e.g. C34.1, C18, D05.9")
    diagnosis: str | None = Field(default=None, max_length=2000)
    performance_status: int | None = Field(default=None, description="WHO performance status 0-4")
    frailty_score: int | None = Field(default=None, description="Clinical Frailty Scale 1-9 (optional)")
    clinical_summary: str | None = Field(default=None, max_length=20000)
    question: str | None = Field(default=None, max_length=4000, description="The question for the MDT")
    urgency: Literal["routine", "urgent"] | None = None
    disciplines: list[str] | None = Field(default=None, max_length=20,
                                          description="Discipline codes, e.g. ['radiology', 'pathology']")
    language: str | None = Field(default=None, max_length=2,
                                 description="ISO 639-1 language of the referring team")
    board_id: int | None = None
    cross_border_consent: bool | None = Field(
        default=None, description="Consent to discuss the case outside its residency region: true "
                                  "(given), false (refused), null (not asked). When and by whom is "
                                  "recorded automatically whenever this field is sent.")


class TransitionIn(RequestBody):
    to: CaseState
    reason: str | None = Field(default=None, max_length=2000,
                               description="Required for returned, listed_not_discussed and withdrawn")


class CommentIn(RequestBody):
    body: str = Field(min_length=1, max_length=10000)


class CaseQuery(PageQuery):
    state: CaseState | None = None
    board_id: int | None = None
    urgency: Literal["routine", "urgent"] | None = None
    # What a summary does not show matches only cases you see in full (`visibility.list_filter`).
    organization_id: int | None = Field(default=None,
                                        description="The referring site (matches only cases you see in full)")
    submitted_from: Instant | None = Field(
        default=None, description="Submitted at or after this instant (matches only cases you see in full)")
    submitted_before: Instant | None = Field(
        default=None, description="Submitted before this instant (matches only cases you see in full)")


# --- answers ------------------------------------------------------------------------------------


class CaseSummaryOut(ResponseBody):
    """What a viewer across a residency border sees without the patient's consent."""

    access: Literal["summary"]
    id: int
    state: str
    urgency: str
    icd10_code: str | None
    disciplines: list[str]
    board_id: int | None
    target_at: OutputInstant | None


class CaseOut(ResponseBody):
    access: Literal["full"]
    id: int
    state: str
    organization_id: int
    referrer_id: int
    board_id: int | None
    residency_region: str
    patient_reference: str | None
    year_of_birth: int | None
    sex: str | None
    country_of_residence: str | None
    icd10_code: str | None
    diagnosis: str | None
    performance_status: int | None
    frailty_score: int | None
    clinical_summary: str | None
    question: str | None
    urgency: str
    disciplines: list[str]
    language: str | None
    cross_border_consent: bool | None
    consent_recorded_at: OutputInstant | None
    consent_recorded_by_id: int | None
    triage_decision: str | None
    submitted_at: OutputInstant | None
    target_at: OutputInstant | None
    created_at: OutputInstant
    updated_at: OutputInstant
    missing_for_submission: list[str]


class TransitionOut(ResponseBody):
    from_state: str | None
    to_state: str
    actor_id: int | None = Field(description="None when Meridian itself made the move (the scheduler)")
    actor_name: str = Field(description="Who moved it; for a move Meridian made, its name in your language")
    reason: str | None = Field(description="Why: the person's own words, or for a move Meridian made, the reason "
                                           "in your language (`reason_code` names it)")
    reason_code: str | None = Field(description="For a move Meridian made: agenda.listed, agenda.rolled_back, "
                                                "meeting.discussed or outcome.signed")
    at: OutputInstant


class CaseDetailOut(CaseOut):
    history: list[TransitionOut]
    available_transitions: list[str] = Field(
        description="The states you may move this case to through POST /cases/{id}/transitions")


class CaseRow(RootModel[Annotated[CaseOut | CaseSummaryOut, Field(discriminator="access")]]):
    """A case at the viewer's access level: `access` says which shape this is."""


class CaseDetail(RootModel[Annotated[CaseDetailOut | CaseSummaryOut, Field(discriminator="access")]]):
    """A case at the viewer's access level, with its history when the access is full."""


class CommentOut(ResponseBody):
    id: int
    case_id: int
    author_id: int
    author_name: str
    body: str
    created_at: OutputInstant


class AttachmentOut(ResponseBody):
    id: int
    case_id: int
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    uploaded_by_id: int
    uploaded_at: OutputInstant
    content_url: str


def _summary(case: Case, discipline_codes: list[str]) -> dict:
    return {"access": SUMMARY, "id": case.id, "state": case.state, "urgency": case.urgency,
            "icd10_code": case.icd10_code, "disciplines": discipline_codes,
            "board_id": case.board_id, "target_at": case.target_at}


# A full case's fields read from the case itself, all at once (a list serialises fifty of them).
_CASE_COLUMNS = tuple(name for name in CaseOut.model_fields
                      if name not in ("access", "disciplines", "missing_for_submission"))
_read_case_columns = attrgetter(*_CASE_COLUMNS)


def _full(case: Case, discipline_codes: list[str]) -> dict:
    body = dict(zip(_CASE_COLUMNS, _read_case_columns(case)))
    body.update(access=FULL, disciplines=discipline_codes,
                missing_for_submission=workflow.missing_for_submission(case, discipline_codes=discipline_codes))
    return body


def case_row(case: Case | visibility.CaseColumns, level: str, discipline_codes: list[str] | None = None) -> dict:
    """`case` (a Case, or its columns with the codes given) at `level`; its disciplines are
    read from the case unless their codes are given."""
    codes = [d.code for d in case.disciplines] if discipline_codes is None else discipline_codes
    return _full(case, codes) if level == FULL else _summary(case, codes)


def case_detail(case: Case, level: str, actor, discipline_codes: list[str] | None = None,
                viewer: visibility.Viewer | None = None) -> dict:
    """`case` at `level`, with its history and the moves `actor` may make when the access is full; its
    disciplines are read from the case unless their codes are given, and the actor's facts (`viewer`) are
    read unless given."""
    if level != FULL:
        return case_row(case, level, discipline_codes)
    body = case_row(case, level, discipline_codes)
    body["history"] = [
        {"from_state": t.from_state, "to_state": t.to_state, "actor_id": t.actor_id,
         "actor_name": t.actor.name if t.actor is not None else gettext(SYSTEM_ACTOR),
         "reason": (transition_reason_text(t.reason_code, t.reason_params, gettext) if t.reason_code is not None
                    else t.reason),
         "reason_code": t.reason_code, "at": t.at}
        for t in case.transitions
    ]
    held = workflow.capacities(db.session, case, actor, viewer)
    body["available_transitions"] = workflow.targets_for(case.state, held)
    return body


def attachment_out(attachment: Attachment) -> dict:
    return {"id": attachment.id, "case_id": attachment.case_id, "filename": attachment.filename,
            "media_type": attachment.media_type, "size_bytes": attachment.size_bytes,
            "sha256": attachment.sha256, "uploaded_by_id": attachment.uploaded_by_id,
            "uploaded_at": attachment.uploaded_at,
            "content_url": f"/api/v1/attachments/{attachment.id}/content"}


# --- helpers ------------------------------------------------------------------------------------


def audit_case(action: str, *, target_type: str = "case", target_id=None, detail: dict | None = None):
    audit(db.session, action, actor=current_actor(), target_type=target_type, target_id=target_id,
          source_address=request.remote_addr, detail=detail)


def shown_span(rows) -> dict:
    """What a page of a case's comments or attachments showed, for its audit record: how many, and the
    first and last id (a page is every one of the case's between them, so the two name them all)."""
    ids = [row.id for row in rows]
    return {"count": len(ids), **({"first_id": min(ids), "last_id": max(ids)} if ids else {})}


def audit_cases_shown(rows, *, via: str) -> None:
    """One audit event for the cases a list showed (`rows` of (case, access level)), not one per case."""
    shown: dict[str, list[int]] = {}
    for case, level in rows:
        shown.setdefault(level or "none", []).append(case.id)
    record_shown(db.session, "cases.viewed", actor=current_actor(), target_type="case", shown=shown,
                 source_address=request.remote_addr, detail={"via": via})


# A case with what `case_detail` reads (its discipline codes, its history with who moved it, and how the
# viewer is related to it), in one statement built once: building it again for every detail cost more
# than running it. The codes come in the case's row: loading the disciplines too would repeat each move
# once per discipline.
_CASE_WITH_DETAIL = (select(Case, visibility.discipline_codes, *visibility.relation_columns(bindparam("viewer_id")))
                     .where(Case.id == bindparam("case_id"))
                     .options(joinedload(Case.transitions).joinedload(CaseTransition.actor).load_only(User.name)))


def visible_case_with_detail(case_id: int) -> tuple[Case, str, list[str], visibility.Viewer]:
    """As `visible_case`, the case with what `case_detail` reads, its discipline codes, and the actor's
    facts as far as this case goes."""
    actor = current_actor()
    row = db.session.execute(_CASE_WITH_DETAIL, {"case_id": case_id, "viewer_id": actor.id}).unique().first()
    if row is None:
        return _visible(case_id, None, None)
    case, codes, coordinates, invited = row
    facts = visibility.case_facts(case)
    viewer = visibility.viewer_of_case(actor, facts, coordinates=coordinates, invited=invited)
    case, level = _visible(case_id, case, visibility.access_level(viewer, facts))
    return case, level, visibility.discipline_code_list(codes), viewer


def visible_case(case_id: int, *, need_full: bool = False) -> tuple[Case, str]:
    """The case and the actor's access level; 404 when they may not know it exists."""
    case = db.session.get(Case, case_id)
    return _visible(case_id, case, visibility.case_access(db.session, current_actor(), case), need_full=need_full)


def _visible(case_id: int, case: Case | None, level: str | None, *, need_full: bool = False) -> tuple[Case, str]:
    """`case` at `level`; 404 when there is no level (they may not know it exists), 403 for a summary when
    `need_full`."""
    if level is None:
        raise NotFound(N_('No case with id %(case_id)s.'),
                       params={'case_id': case_id})
    if need_full and level != FULL:
        raise PermissionDenied(
            N_("Only a pseudonymised summary of this case is available to you: cross-border consent "
            "has not been recorded for it.")
        )
    return case, level


def urgency_targets() -> dict:
    config = current_app.config
    return {"urgent_target": timedelta(hours=config["URGENT_TARGET_HOURS"]),
            "routine_target": timedelta(days=config["ROUTINE_TARGET_DAYS"])}


def _store() -> AttachmentStore:
    return attachment_store(current_app)


def _submit(case: Case):
    """Submit, answering 422 with every missing field when the minimum dataset is incomplete."""
    try:
        operations.submit_case(db.session, case, current_actor(), at=now_utc(),
                               source_address=request.remote_addr, **urgency_targets())
    except workflow.IncompleteCase as incomplete:
        db.session.rollback()
        return validation_problem(incomplete.errors, detail=incomplete.message)
    return None


# --- cases --------------------------------------------------------------------------------------


@api.post("/cases")
@endpoint(summary="Start a referral: a draft for your own organisation (it may be incomplete)",
          roles={"referrer"}, body=CaseIn, response=CaseDetail, status=201, tags=TAGS)
def create_case(body: CaseIn):
    actor = current_actor()
    case = operations.create_case(db.session, actor, body.model_dump(exclude_unset=True), at=now_utc())
    audit_case("case.created", target_id=case.id, detail={"fields": sorted(body.model_fields_set)})
    return case_detail(case, FULL, actor)


@api.get("/cases")
@endpoint(summary="Cases you may see, each at your access level, by id, a page at a time "
                  "(`Link: <...>; rel=\"next\"` while more follow)", query=CaseQuery,
          response=CaseRow, many=True, tags=TAGS)
def list_cases(query: CaseQuery):
    actor = current_actor()
    # A filter on what a summary hides (the referring site, the submission time) matches only cases
    # seen in full (`visibility.list_filter`).
    filters = {name: getattr(query, name) for name in visibility.LIST_FILTERS if getattr(query, name) is not None}
    after_id = cursor_values(query.cursor, [Case.id])[0] if query.cursor is not None else None
    rows = visibility.visible_case_rows(db.session, actor, filters=filters, after_id=after_id, limit=query.limit + 1)
    more, rows = len(rows) > query.limit, rows[:query.limit]
    audit_cases_shown([(case, level) for case, level, _codes in rows], via="list")
    page = Page(rows=rows, next_cursor=encode_cursor([rows[-1][0].id]) if more else None)
    return ApiResponse([case_row(case, level, codes) for case, level, codes in rows], headers=next_link(page))


@api.get("/cases/<int:case_id>")
@endpoint(summary="A case at your access level (full, or a pseudonymised summary)",
          response=CaseDetail, tags=TAGS)
def get_case(case_id: int):
    case, level, codes, viewer = visible_case_with_detail(case_id)
    audit_case("case.viewed", target_id=case.id, detail={"access": level, "via": "detail"})
    return case_detail(case, level, current_actor(), discipline_codes=codes, viewer=viewer)


@api.patch("/cases/<int:case_id>")
@endpoint(summary="Edit a draft or returned case (referrers of the referring site)", body=CaseIn,
          response=CaseDetail, tags=TAGS)
def update_case(case_id: int, body: CaseIn):
    case, level = visible_case(case_id)
    actor = current_actor()
    changed = operations.update_case(db.session, case, actor, body.model_dump(exclude_unset=True),
                                     at=now_utc())
    audit_case("case.updated", target_id=case.id, detail={"fields": changed})
    return case_detail(case, level, actor)


@api.post("/cases/<int:case_id>/submit")
@endpoint(summary="Submit (or resubmit) a case; 422 lists every missing field of the minimum dataset",
          response=CaseDetail, tags=TAGS)
def submit_case(case_id: int):
    case, level = visible_case(case_id)
    refusal = _submit(case)
    if refusal is not None:
        return refusal
    return case_detail(case, level, current_actor())


@api.post("/cases/<int:case_id>/transitions")
@endpoint(summary="Move a case through its lifecycle (submit, return, triage, list not discussed, "
                  "withdraw, close); 409 with `allowed` for a move that is not possible",
          body=TransitionIn, response=CaseDetail, tags=TAGS)
def transition_case(case_id: int, body: TransitionIn):
    case, level = visible_case(case_id)
    actor = current_actor()
    source = case.state
    if (source, body.to) not in workflow.MOVE_BY_STATES or workflow.is_system_only(source, body.to):
        allowed = workflow.human_targets_from(source)
        targets = ", ".join(allowed) if allowed else "-"
        if workflow.is_system_only(source, body.to):
            raise Conflict(N_("A case becomes %(to)s through its meeting and outcome, not through this endpoint. "
                              "From %(source)s it may become: %(targets)s."),
                           params={"to": body.to, "source": source, "targets": targets},
                           allowed=allowed, state=source)
        if not allowed:
            raise Conflict(N_("A %(source)s case cannot become %(to_state)s: %(source)s is a final state."),
                           params={"source": source, "to_state": body.to}, allowed=allowed, state=source)
        raise Conflict(N_("A %(source)s case cannot become %(to_state)s. From %(source)s it may become: %(targets)s."),
                       params={"source": source, "to_state": body.to, "targets": targets},
                       allowed=allowed, state=source)
    if body.to == "submitted":
        refusal = _submit(case)
        if refusal is not None:
            return refusal
    else:
        workflow.transition(db.session, case, body.to, actor, at=now_utc(), reason=body.reason,
                            source_address=request.remote_addr)
    return case_detail(case, level, actor)


# --- comments -----------------------------------------------------------------------------------


def _comment_out(comment) -> dict:
    return {"id": comment.id, "case_id": comment.case_id, "author_id": comment.author_id,
            "author_name": comment.author.name, "body": comment.body, "created_at": comment.created_at}


@api.get("/cases/<int:case_id>/comments")
@endpoint(summary="The discussion on a case, oldest first, a page at a time (full access only)", query=PageQuery,
          response=CommentOut, many=True, tags=TAGS)
def list_comments(case_id: int, query: PageQuery):
    case, _ = visible_case(case_id, need_full=True)
    page = operations.comments_page(db.session, case, limit=query.limit, cursor=query.cursor)
    audit_case("case.comments_viewed", target_id=case.id, detail=shown_span(page.rows))
    return ApiResponse([_comment_out(comment) for comment in page.rows], headers=next_link(page))


@api.post("/cases/<int:case_id>/comments")
@endpoint(summary="Comment on a case (full access only)", body=CommentIn, response=CommentOut,
          status=201, tags=TAGS)
def add_comment(case_id: int, body: CommentIn):
    case, _ = visible_case(case_id, need_full=True)
    comment = operations.add_comment(db.session, case, current_actor(), body.body, at=now_utc())
    audit_case("case.commented", target_id=case.id, detail={"comment_id": comment.id})
    return _comment_out(comment)


# --- attachments --------------------------------------------------------------------------------


@api.get("/cases/<int:case_id>/attachments")
@endpoint(summary="A case's attachments in the order they were added, a page at a time (full access only)",
          query=PageQuery, response=AttachmentOut, many=True, tags=TAGS)
def list_attachments(case_id: int, query: PageQuery):
    case, _ = visible_case(case_id, need_full=True)
    page = operations.attachments_page(db.session, case, limit=query.limit, cursor=query.cursor)
    audit_case("case.attachments_viewed", target_id=case.id, detail=shown_span(page.rows))
    return ApiResponse([attachment_out(attachment) for attachment in page.rows], headers=next_link(page))


@api.post("/cases/<int:case_id>/attachments")
@endpoint(summary="Attach a file (multipart/form-data, field `file`): PDF, PNG, JPEG, DICOM or "
                  "UTF-8 text, judged by content; 415 otherwise, 413 over the size limit",
          response=AttachmentOut, status=201, tags=TAGS, raw_body="multipart/form-data")
def upload_attachment(case_id: int):
    case, _ = visible_case(case_id, need_full=True)
    if case.state in operations.CLOSED_STATES:
        raise Conflict(N_('A %(case_state)s case takes no more attachments.'),
                       params={'case_state': case.state}, state=case.state)
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("file", N_("is required: send the file as multipart/form-data in the field 'file'"))
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    name = clean_filename(upload.filename)
    # Whole sentences naming the file, in the reader's language: the page shows them as they are.
    try:
        stored = _store().save(upload.stream, limit=limit)
    except AttachmentTooLarge:
        message = gettext("%(name)s is larger than the limit of %(limit)s, so it was not attached.",
                          name=name, limit=file_size_for_reader(limit))
        return problem(413, message, errors=[{"field": "file", "message": message}])
    except UnsupportedContent:
        message = gettext("%(name)s is not a PDF, PNG, JPEG, DICOM or plain-text file (judged by its content, "
                          "not its name), so it was not attached.", name=name)
        return problem(415, message, errors=[{"field": "file", "message": message}])
    except EmptyFile:
        message = gettext("%(name)s is empty, so it was not attached.", name=name)
        return validation_problem([{"field": "file", "message": message}], detail=message)
    attachment, created = operations.add_attachment(
        db.session, case, current_actor(), filename=name, stored=stored,
        at=now_utc())
    if created:
        audit_case("attachment.uploaded", target_type="attachment", target_id=attachment.id,
               detail={"case_id": case.id, "media_type": stored.media_type, "size_bytes": stored.size_bytes})
    return ApiResponse(attachment_out(attachment), status=201 if created else 200)


@api.get("/attachments/<int:attachment_id>/content")
@endpoint(summary="Download an attachment (full access only; every download is audited). A DICOM image "
                  "downloaded from outside the case's residency region is its de-identified copy "
                  "(DICOM PS3.15 Basic Application Level Confidentiality Profile)", tags=TAGS)
def download_attachment(attachment_id: int):
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(N_('No attachment with id %(attachment_id)s.'),
                       params={'attachment_id': attachment_id})
    try:
        visible_case(attachment.case_id, need_full=True)
    except NotFound:
        raise NotFound(N_('No attachment with id %(attachment_id)s.'),
                       params={'attachment_id': attachment_id}) from None
    return send_attachment(attachment, current_actor(), at=now_utc(), inline=False)


def send_attachment(attachment: Attachment, viewer, *, at, inline: bool):
    """The attachment's content as `viewer` may receive it (a DICOM image crossing a residency border
    is its de-identified copy, never the original), audited; the caller has checked full access."""
    try:
        content = served_content(db.session, _store(), attachment,
                                 viewer_region=viewer.organization.residency_region,
                                 salt=uid_salt(current_app.config["SECRET_KEY"]), at=at)
    except (FileNotFoundError, dicom.NotDicom):
        current_app.logger.error("attachment %s: content %s missing or unreadable from storage",
                                 attachment.id, attachment.sha256)
        raise NotFound(N_('The content of attachment %(attachment_id)s is missing from storage.'),
                       params={'attachment_id': attachment.id}) from None
    audit_case("attachment.downloaded", target_type="attachment", target_id=attachment.id,
               detail={"case_id": attachment.case_id, "sha256": attachment.sha256, "inline": inline,
                       "deidentified": content.deidentified})
    # Flask adds "; charset=utf-8" to text types: only UTF-8 text is accepted as text.
    response = send_file(io.BytesIO(content.data), mimetype=content.media_type,
                         as_attachment=not inline, download_name=attachment.filename, conditional=False,
                         etag=False, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
