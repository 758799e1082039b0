"""Pages for referrers: the pro-forma (new / edit, save draft or submit), my site's cases, a case's page
(with the moves a coordinator of the case's board may make now: triage, return, schedule, ...).

Views stay thin: parse the form, call `app.cases.operations`, render. Domain errors that name a field
(`InvalidInput`, `IncompleteCase`) are shown beside that field. Reads go through `case_access` (via
the cases API's `visible_case`) and are audited with the API's own audit helpers, so a page view and
an API read leave the same trail.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.boards import operations as boards
from app.cases import api as cases_api
from app.cases import operations, workflow
from app.cases.models import Case
from app.cases.operations import PROFORMA_FIELDS, SEXES, URGENCIES
from app.cases.visibility import FULL, visible_cases
from app.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from app.extensions import db
from app.inputs import parse_id, parse_integer
from app.meetings import agenda
from app.meetings.models import AgendaItem, Meeting
from app.paging import after, decode_cursor, encode_cursor
from app.outcomes import operations as outcomes
from app.outcomes.letter import letter_filename_prefix
from app.outcomes.presentation import versions_out
from app.security import SIGNED_IN, current_actor, page
from app.specialists.operations import list_disciplines
from app.timekeeping import now_utc
from app.vocabulary import N_
from app.web import web
from app.web.coordinator_views import describe_left
from app.web.filters import local_time
from app.web.forms import PlainForm
from app.web.vocabulary import label

REFERRER = ("referrer",)
CASE_LIST_PAGE = 50
COMMENTS_SHOWN = 50      # the newest comments on a case page; earlier ones a page back
ATTACHMENTS_SHOWN = 50   # the same for a case's attachments (case page and edit page)

LABELS = {
    "patient_reference": _l("Patient reference (the site's pseudonym, never a name)"),
    "year_of_birth": _l("Year of birth"),
    "sex": _l("Sex"),
    "country_of_residence": _l("Country of residence (ISO code, e.g. CN)"),
    "icd10_code": _l("ICD-10 code"),
    "diagnosis": _l("Diagnosis"),
    "performance_status": _l("WHO performance status (0-4)"),
    "frailty_score": _l("Clinical Frailty Scale (1-9, optional)"),
    "clinical_summary": _l("Clinical summary"),
    "question": _l("Question for the MDT"),
    "urgency": _l("Urgency"),
    "disciplines": _l("Disciplines needed"),
    "language": _l("Language of the referring team (ISO 639-1, e.g. en)"),
    "board_id": _l("Board"),
    "cross_border_consent": _l("Consent to discussion outside the residency region"),
}
INTEGER_FIELDS = ("year_of_birth", "performance_status", "frailty_score")
CONSENT_CHOICES = (("", _l("Not asked")), ("yes", _l("Given")), ("no", _l("Refused")))


# --- the pro-forma ------------------------------------------------------------------------------


def read_proforma(form) -> tuple[dict, dict, dict]:
    """(values for the domain, raw text to show again, errors the page itself finds) from a POST."""
    values, raw, errors = {}, {}, {}
    for name in PROFORMA_FIELDS:
        if name == "disciplines":
            codes = [code for code in form.getlist("disciplines") if code]
            raw[name], values[name] = codes, codes
            continue
        text = (form.get(name) or "").strip()
        raw[name] = text
        if name in INTEGER_FIELDS or name == "board_id":
            if not text:
                values[name] = None
            elif parse_integer(text) is not None:
                values[name] = parse_integer(text)
            else:
                errors[name] = gettext("must be a whole number")
        elif name == "cross_border_consent":
            values[name] = {"yes": True, "no": False}.get(text)
        elif name == "urgency":
            if text:
                values[name] = text
        else:
            values[name] = text or None
    return values, raw, errors


def raw_of(case: Case | None) -> dict:
    """The case's pro-forma as the form shows it."""
    if case is None:
        return {"urgency": "routine", "disciplines": []}
    raw = {}
    for name in PROFORMA_FIELDS:
        value = [d.code for d in case.disciplines] if name == "disciplines" else getattr(case, name)
        if name == "cross_border_consent":
            value = {True: "yes", False: "no"}.get(value, "")
        raw[name] = value if isinstance(value, list) else ("" if value is None else str(value))
    return raw


def apply_collecting_errors(save, values: dict, errors: dict):
    """Run `save(values)`; on InvalidInput note it beside its field, drop the field and try again, so
    every bad field is reported at once. Returns the saved result, or None (and rolls back) on errors."""
    values = {name: value for name, value in values.items() if name not in errors}
    for _ in range(len(values) + 1):
        try:
            result = save(values)
        except InvalidInput as error:
            db.session.rollback()
            field = error.field if error.field in PROFORMA_FIELDS else "_form"
            errors[field] = error.message
            if field not in values:
                break
            values.pop(field)
            continue
        if errors:
            db.session.rollback()
            return None
        return result
    return None


def attachments_shown(case, page_endpoint: str) -> dict:
    """The template values for a case's newest attachments (in the order added), their total and the
    link to the page before on `page_endpoint` (the page itself, even when a form posted elsewhere
    shows it again); no case (a new draft), none."""
    if case is None:
        return {"attachments": [], "attachment_count": 0, "earlier_attachments_url": None}
    shown = operations.attachments_page(db.session, case, limit=ATTACHMENTS_SHOWN, newest_first=True,
                                        cursor=request.args.get("attachments_before"))
    earlier = None
    if shown.next_cursor is not None:
        earlier = url_for(page_endpoint, case_id=case.id, attachments_before=shown.next_cursor,
                          _anchor="attachments")
    return {"attachments": list(reversed(shown.rows)),
            "attachment_count": operations.attachment_count(db.session, case), "earlier_attachments_url": earlier}


def render_form(case, raw, errors, status=200):
    user = current_actor()
    attachments = attachments_shown(case, "web.edit_case")
    if case is not None:
        cases_api.audit_case("case.attachments_viewed", target_id=case.id,
                             detail={**cases_api.shown_span(attachments["attachments"]), "via": "edit page"})
        db.session.commit()
    return render_template(
        "referrer/case_form.html", user=user, zone=user.timezone, case=case, raw=raw, errors=errors,
        closed=False, max_attachment_bytes=current_app.config["MAX_ATTACHMENT_BYTES"],
        **attachments, **_form_choices(), form=PlainForm(), missing=errors.get("_missing", [])), status


def _form_choices() -> dict:
    return dict(
        labels=LABELS, consent_choices=CONSENT_CHOICES,
        sex_choices=[("", "—")] + [(sex, label(sex).capitalize()) for sex in SEXES],
        urgency_choices=[(urgency, label(urgency).capitalize()) for urgency in URGENCIES],
        board_choices=[("", "— " + gettext("choose a board") + " —")] + [(board.id, board.name) for board in
                                                     boards.list_boards(db.session, active=True)],
        disciplines=list_disciplines(db.session))


def submit(case: Case):
    """Submit the (saved) case; on IncompleteCase every missing field is put beside its field."""
    try:
        operations.submit_case(db.session, case, current_actor(), at=now_utc(),
                               source_address=request.remote_addr, **cases_api.urgency_targets())
    except workflow.IncompleteCase as incomplete:
        db.session.rollback()
        errors = {name: "is required for submission" for name in incomplete.missing}
        errors["_missing"] = incomplete.missing
        return render_form(case, raw_of(case), errors, 422)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("web.case_page", case_id=case.id))
    db.session.commit()
    flash(gettext("Case #%(id)s submitted.", id=case.id))
    return redirect(url_for("web.case_page", case_id=case.id))


@web.route("/cases/new", methods=["GET", "POST"])
@page(REFERRER)
def new_case():
    if request.method == "GET":
        return render_form(None, raw_of(None), {})
    if not PlainForm().validate_on_submit():
        abort(400)
    user = current_actor()
    values, raw, errors = read_proforma(request.form)
    if values.get("cross_border_consent") is None:
        values.pop("cross_border_consent")  # not asked: nothing to record
    case = apply_collecting_errors(
        lambda v: operations.create_case(db.session, user, v, at=now_utc()), values, errors)
    if case is None:
        return render_form(None, raw, errors, 422)
    cases_api.audit_case("case.created", target_id=case.id, detail={"fields": sorted(values), "via": "page"})
    db.session.commit()
    if request.form.get("action") == "submit":
        return submit(case)
    flash(gettext("Draft #%(id)s saved.", id=case.id))
    return redirect(url_for("web.edit_case", case_id=case.id))


@web.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@page(REFERRER)
def edit_case(case_id: int):
    case, _ = cases_api.visible_case(case_id, need_full=True)
    user = current_actor()
    operations.require_referrer(db.session, case, user)
    if case.state not in workflow.EDITABLE_STATES:
        flash(gettext("A case that is %(state)s cannot be edited; only a draft or a returned case can.",
                      state=label(case.state)), "error")
        return redirect(url_for("web.case_page", case_id=case.id))
    if request.method == "GET":
        cases_api.audit_case("case.viewed", target_id=case.id, detail={"access": FULL, "via": "edit page"})
        db.session.commit()
        return render_form(case, raw_of(case), {})
    if not PlainForm().validate_on_submit():
        abort(400)
    values, raw, errors = read_proforma(request.form)
    if values.get("cross_border_consent") == case.cross_border_consent:
        values.pop("cross_border_consent")  # unchanged: do not record it again
    changed = apply_collecting_errors(
        lambda v: operations.update_case(db.session, case, user, v, at=now_utc()), values, errors)
    if changed is None:
        return render_form(case, raw, errors, 422)
    cases_api.audit_case("case.updated", target_id=case.id, detail={"fields": changed, "via": "page"})
    db.session.commit()
    if request.form.get("action") == "submit":
        return submit(case)
    flash(gettext("Draft #%(id)s saved.", id=case.id))
    return redirect(url_for("web.edit_case", case_id=case.id))


# --- my site's cases ----------------------------------------------------------------------------


@web.get("/cases")
@page(REFERRER)
def case_list():
    """Most recently changed first, CASE_LIST_PAGE at a time (`?after=<cursor>` for the next page)."""
    user, at = current_actor(), now_utc()
    order = [Case.updated_at, Case.id]
    filters = [Case.organization_id == user.organization_id]
    if request.args.get("after"):
        try:
            filters.append(after(order, decode_cursor(request.args["after"], 2), descending=True))
        except InvalidInput:
            abort(404)
    rows = visible_cases(db.session, user, filters=filters, order=[c.desc() for c in order],
                         limit=CASE_LIST_PAGE + 1)
    more, rows = len(rows) > CASE_LIST_PAGE, rows[:CASE_LIST_PAGE]
    cases_api.audit_cases_shown(rows, via="list page")
    db.session.commit()
    more_url = (url_for("web.case_list", after=encode_cursor([rows[-1][0].updated_at, rows[-1][0].id]))
                if more else None)
    return render_template("referrer/case_list.html", user=user, zone=user.timezone, now=at, rows=rows,
                           describe_left=describe_left, more_url=more_url)


# --- a case -------------------------------------------------------------------------------------


def render_case(case_id: int, *, action_errors: dict | None = None, action_raw: dict | None = None,
                status: int = 200):
    user, at = current_actor(), now_utc()
    case, level = cases_api.visible_case(case_id)  # NotFound -> 404 page
    cases_api.audit_case("case.viewed", target_id=case.id, detail={"access": level, "via": "page"})
    detail = cases_api.case_detail(case, level, user)
    comments = outcome = earlier_comments_url = None
    comment_count = 0
    attachments = {"attachments": None, "attachment_count": 0, "earlier_attachments_url": None}
    versions = outcomes.versions_of(db.session, case)
    signed = outcomes.current_signed(versions)
    if level == FULL:
        # The newest comments, in the order they were written; earlier ones a page further back.
        shown = operations.comments_page(db.session, case, limit=COMMENTS_SHOWN, newest_first=True,
                                         cursor=request.args.get("comments_before"))
        comments = list(reversed(shown.rows))
        comment_count = operations.comment_count(db.session, case)
        if shown.next_cursor is not None:
            earlier_comments_url = url_for("web.case_page", case_id=case.id, comments_before=shown.next_cursor,
                                           _anchor="comments")
        attachments = attachments_shown(case, "web.case_page")
        cases_api.audit_case("case.comments_viewed", target_id=case.id, detail=cases_api.shown_span(comments))
        cases_api.audit_case("case.attachments_viewed", target_id=case.id,
                             detail=cases_api.shown_span(attachments["attachments"]))
        if signed is not None:
            outcome = versions_out(db.session, case, versions, [signed])[signed.id]
    cases_api.audit_case("outcome.viewed", target_type="case", target_id=case.id,
                         detail={"access": level, "versions": [o.id for o in versions] if level == FULL else []})
    actions = coordinator_actions(case, user, at)
    letter = follow_up = None
    if outcome is not None:
        letter = operations.newest_attachment_named(db.session, case, letter_filename_prefix(case, signed))
        follow_up = outcomes.follow_up_of(db.session, signed)
    may_follow_up = (signed is not None and level == FULL
                     and outcomes.may_record_follow_up(db.session, case, user))
    db.session.commit()
    board = db.session.get(boards.Board, case.board_id) if case.board_id else None
    return render_template(
        "referrer/case_detail.html", user=user, zone=user.timezone, now=at, case=case, level=level,
        detail=detail, comments=comments, comment_count=comment_count, earlier_comments_url=earlier_comments_url,
        **attachments, outcome=outcome,
        outcome_signed=signed is not None, board=board, labels=LABELS, describe_left=describe_left,
        editable=(level == FULL and case.state in workflow.EDITABLE_STATES
                  and workflow.REFERRER in workflow.capacities(db.session, case, user)),
        closed=case.state in operations.CLOSED_STATES, form=PlainForm(), actions=actions,
        discussion=discussion_planned(case), letter=letter, follow_up=follow_up, may_follow_up=may_follow_up,
        follow_up_statuses=FOLLOW_UP_LABELS, max_attachment_bytes=current_app.config["MAX_ATTACHMENT_BYTES"],
        action_errors=action_errors or {}, action_raw=action_raw or {}), status


def discussion_planned(case: Case) -> Meeting | None:
    """The meeting whose agenda lists the case now (upcoming or running), if any."""
    return db.session.scalar(
        select(Meeting).join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .where(AgendaItem.case_id == case.id, AgendaItem.status == "listed",
               Meeting.status.in_(("scheduled", "in_progress")))
        .order_by(Meeting.starts_at).limit(1))


FOLLOW_UP_LABELS = {"carried_out": _l("Carried out as recommended"), "changed": _l("Changed"),
                    "not_carried_out": _l("Not carried out")}


@web.get("/cases/<int:case_id>")
@page(SIGNED_IN)
def case_page(case_id: int):
    return render_case(case_id)


# --- triage and the rest of a coordinator's moves ------------------------------------------------

# What each move a coordinator makes is called on its button.
MOVE_LABELS = {
    "triaged": _l("Accept for discussion (triage)"),
    "returned": _l("Return to the referrer"),
    "listed_not_discussed": _l("List, not discussed: standard of care"),
    "withdrawn": _l("Withdraw the case"),
    "closed": _l("Close the case"),
}
MEETINGS_OFFERED = 8
REASON_MIN, REASON_MAX = 3, 2000


def coordinator_actions(case: Case, user, at) -> dict | None:
    """The moves the viewer may make on the case now, as a coordinator of its board (None: not one)."""
    if workflow.COORDINATOR not in workflow.capacities(db.session, case, user):
        return None
    moves = [workflow.MOVE_BY_STATES[(case.state, target)]
             for target in workflow.targets_for(case.state, {workflow.COORDINATOR})]
    board = db.session.get(boards.Board, case.board_id) if case.board_id else None
    meetings, suggested, listed = [], None, []
    if case.state == "triaged" and board is not None:
        for meeting in db.session.scalars(select(Meeting).where(
                Meeting.board_id == board.id, Meeting.status == "scheduled", Meeting.starts_at > at)
                .order_by(Meeting.starts_at).limit(MEETINGS_OFFERED).options(selectinload(Meeting.agenda))):
            if agenda.agenda_closed(meeting, board, at):
                continue  # a closed agenda takes no new case, so it is not offered
            meetings.append({"meeting": meeting, "room": agenda.room_on(meeting, board), "closed": False})
        found = agenda.next_meeting_with_room(db.session, board, at=at)
        suggested = found.id if found else None
    if case.state == "scheduled":
        listed = list(db.session.scalars(select(AgendaItem).where(AgendaItem.case_id == case.id,
                                                                  AgendaItem.status == "listed")))
    # The signed outcome in force, if the viewer may amend it now (the domain's rule, as the API's).
    amendable = None
    if case.state == "outcome_signed":
        signed = outcomes.current_signed(outcomes.versions_of(db.session, case))
        amendable = signed if outcomes.may_amend(db.session, signed, user) else None
    return {"moves": moves, "labels": MOVE_LABELS, "meetings": meetings, "suggested": suggested,
            "listed": listed, "board": board, "amendable": amendable}


def _coordinating_case(case_id: int) -> Case:
    case, _ = cases_api.visible_case(case_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    if workflow.COORDINATOR not in workflow.capacities(db.session, case, current_actor()):
        raise PermissionDenied(N_("Only a coordinator of the case's board may do this."))
    return case


@web.post("/cases/<int:case_id>/transition")
@page(SIGNED_IN)
def move_case(case_id: int):
    """A coordinator's move (triage, return, list not discussed, withdraw, close), as the API makes it."""
    case = _coordinating_case(case_id)
    target = request.form.get("to", "")
    reason = (request.form.get("reason") or "").strip()
    raw = {f"reason-{target}": reason}
    allowed = workflow.targets_for(case.state, {workflow.COORDINATOR})
    if target not in allowed:
        db.session.rollback()
        current = label(case.state)
        if allowed:
            message = gettext("A %(state)s case cannot become %(target)s now; it may become: %(allowed)s.",
                              state=current, target=label(target) or "—",
                              allowed=gettext("; ").join(label(state) for state in allowed))
        else:
            message = gettext("A %(state)s case cannot be moved now.", state=current)
        return render_case(case.id, action_errors={"_actions": message}, action_raw=raw, status=409)
    if len(reason) > REASON_MAX:
        return render_case(case.id, action_errors={f"reason-{target}": gettext("At most %(max)s characters.", max=REASON_MAX)},
                           action_raw=raw, status=422)
    source = case.state
    try:
        workflow.transition(db.session, case, target, current_actor(), at=now_utc(), reason=reason or None,
                            source_address=request.remote_addr)
    except InvalidInput as error:
        db.session.rollback()
        field = f"reason-{target}" if error.field == "reason" else target
        message = gettext("Say why (the referrer and the case history see it).") if error.field == "reason" else error.message
        return render_case(case.id, action_errors={field: message}, action_raw=raw, status=422)
    except Conflict as error:
        db.session.rollback()
        return render_case(case.id, action_errors={target: error.message}, action_raw=raw, status=409)
    db.session.commit()
    flash(gettext("Case #%(id)s: %(source)s → %(target)s.", id=case.id, source=label(source), target=label(target)))
    return redirect(url_for("web.case_page", case_id=case.id))


@web.post("/cases/<int:case_id>/schedule")
@page(SIGNED_IN)
def schedule_case(case_id: int):
    """Put a triaged case on one of its board's upcoming meetings (the agenda's own operation)."""
    case = _coordinating_case(case_id)
    raw_id = (request.form.get("meeting_id") or "").strip()
    raw = {"meeting_id": raw_id}
    if case.state != "triaged":
        return render_case(case.id, action_errors={"_actions": gettext(
            "Only a triaged case can be scheduled; case #%(id)s is %(state)s.", id=case.id, state=label(case.state))},
                           action_raw=raw, status=409)
    meeting = db.session.get(Meeting, parse_id(raw_id)) if parse_id(raw_id) else None
    if meeting is None or meeting.board_id != case.board_id:
        return render_case(case.id, action_errors={"meeting_id": gettext("Choose one of the board's upcoming meetings.")},
                           action_raw=raw, status=422)
    try:
        agenda.add_case(db.session, meeting, case, current_actor(), at=now_utc(), as_coordinator=True,
                        at_top=bool(request.form.get("at_top")))
    except (InvalidInput, Conflict) as error:
        db.session.rollback()
        return render_case(case.id, action_errors={"meeting_id": error.message}, action_raw=raw,
                           status=422 if isinstance(error, InvalidInput) else 409)
    db.session.commit()
    flash(gettext("Case #%(id)s is on the agenda of %(meeting)s, %(when)s.", id=case.id, meeting=meeting.title,
                  when=local_time(meeting.starts_at, current_actor().timezone)))
    return redirect(url_for("web.case_page", case_id=case.id))


@web.post("/cases/<int:case_id>/unschedule")
@page(SIGNED_IN)
def unschedule_case(case_id: int):
    """Take a scheduled case off its meeting's agenda, with a reason; it is triaged again."""
    case = _coordinating_case(case_id)
    reason = (request.form.get("reason") or "").strip()
    removal_reason = (request.form.get("removal_reason") or "other").strip()
    raw = {"reason-unschedule": reason, "removal-reason-unschedule": removal_reason}
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.case_id == case.id, AgendaItem.status == "listed"))
    if item is None:
        return render_case(case.id, action_errors={"_actions": gettext("The case is on no agenda now.")}, action_raw=raw,
                           status=409)
    try:
        agenda.remove_case(db.session, item, current_actor(), at=now_utc(), reason=reason,
                           removal_reason=removal_reason)
    except (Conflict, InvalidInput) as error:
        db.session.rollback()
        invalid = isinstance(error, InvalidInput)
        target = "removal-reason-unschedule" if invalid and error.field == "removal_reason" else "reason-unschedule"
        return render_case(case.id, action_errors={target: error.message.capitalize() + "."
                                                   if invalid else error.message},
                           action_raw=raw, status=422 if invalid else 409)
    db.session.commit()
    flash(gettext("Case #%(id)s taken off the agenda; it is triaged again.", id=case.id))
    return redirect(url_for("web.case_page", case_id=case.id))


@web.post("/cases/<int:case_id>/comments")
@page(SIGNED_IN)
def comment_on_case(case_id: int):
    case, _ = cases_api.visible_case(case_id, need_full=True)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        comment = operations.add_comment(db.session, case, current_actor(), request.form.get("body", ""),
                                         at=now_utc())
    except InvalidInput as error:
        db.session.rollback()
        flash(gettext("Comment %(problem)s.", problem=error.message), "error")
    else:
        cases_api.audit_case("case.commented", target_id=case.id, detail={"comment_id": comment.id})
        db.session.commit()
        flash(gettext("Comment added."))
    return redirect(url_for("web.case_page", case_id=case.id) + "#comments")


@web.post("/cases/<int:case_id>/follow-up")
@page(SIGNED_IN)
def record_follow_up(case_id: int):
    """What became of the signed outcome (the referrer, or a coordinator of the board)."""
    case, _ = cases_api.visible_case(case_id, need_full=True)
    if not PlainForm().validate_on_submit():
        abort(400)
    signed = outcomes.current_signed(outcomes.versions_of(db.session, case))
    raw = {f"follow-up-{name}": (request.form.get(name) or "").strip() for name in ("status", "occurred_on", "reason")}
    if signed is None:
        return render_case(case.id, action_errors={"follow-up-status": gettext(
            "The outcome is not signed yet; record what became of it once it is.")}, action_raw=raw, status=409)
    try:
        outcomes.record_follow_up(db.session, signed, current_actor(), status=raw["follow-up-status"],
                                  occurred_on=raw["follow-up-occurred_on"], reason=raw["follow-up-reason"] or None,
                                  at=now_utc(), source_address=request.remote_addr)
    except InvalidInput as error:
        db.session.rollback()
        return render_case(case.id, action_errors={f"follow-up-{error.field}": FOLLOW_UP_ERRORS.get(
            error.field, lambda e: e.message)(error)}, action_raw=raw, status=422)
    db.session.commit()
    flash(gettext("The follow-up of the outcome is recorded."))
    return redirect(url_for("web.case_page", case_id=case.id) + "#follow-up")


# What the follow-up form says beside a field the domain refused, as a whole sentence.
FOLLOW_UP_ERRORS = {
    "status": lambda error: gettext("Choose what became of the recommendation."),
    "occurred_on": lambda error: gettext("Give the date as YYYY-MM-DD, not before the meeting and not in the "
                                         "future."),
    "reason": lambda error: gettext("Say why the recommendation was changed or not carried out."),
}
