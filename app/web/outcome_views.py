"""Amending a signed outcome from the pages (`/outcomes/<id>/amend`): the form shows the version in
force with every field the API's amend body takes (recommendation, category, rationale, dissent,
staging with its TNM edition, actions) and asks why it is amended. Saving calls
`outcomes.operations.amend`, as `POST /api/v1/outcomes/<id>/amend` does: a new unsigned version
superseding the signed one, to be signed again; once signed the referrer is told and the letter is
reissued (`operations.sign`). Who may is the domain's `require_amendable`: the meeting's chair, a
coordinator of its board, or a specialist seated at that meeting, with full access to the case."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from app.accounts.models import User
from app.audit.operations import record as audit
from app.boards.models import BoardMember
from app.cases.models import Case
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.inputs import parse_id
from app.meetings.models import Invitation, Meeting
from app.outcomes import operations
from app.outcomes.models import OUTCOME_CATEGORIES, STAGING_FIELDS, TNM_EDITIONS, Outcome
from app.security import SIGNED_IN, current_actor, page
from app.timekeeping import now_utc
from app.web import web
from app.web.forms import choice
from app.web.vocabulary import label
from app.web.workspace_forms import OutcomeAmendForm

BLANK_ACTION_ROWS = 2
# The domain's name of an action's part -> the form's control for it (`action-<n>-<control>`).
ACTION_PARTS = {"action": "text", "owner_id": "owner", "due": "due"}
CONTENT_FIELDS = ("recommendation", "category", "rationale", "dissent", "tnm_edition", *STAGING_FIELDS)


def _outcome(outcome_id: int) -> Outcome:
    """The outcome if the viewer may know its case exists (else 404), as the API finds it."""
    return operations.visible_outcome(db.session, current_actor(), outcome_id)


def _audit(action: str, target_type: str, target_id, detail: dict) -> None:
    audit(db.session, action, actor=current_actor(), target_type=target_type, target_id=target_id,
          source_address=request.remote_addr, detail=detail)


def _owner_choices(case: Case, meeting: Meeting, outcome: Outcome) -> list[tuple[int, str]]:
    """Who an action may be given to: the meeting's chair and invitees, the board's coordinators, the
    case's referrer and anyone already owning one (the domain checks each can read the case)."""
    ids = {meeting.chair_id, case.referrer_id, *(action["owner_id"] for action in outcome.actions or [])}
    ids.update(db.session.scalars(select(Invitation.user_id).where(Invitation.meeting_id == meeting.id,
                                                                   Invitation.status != "withdrawn")))
    board_ids = [board_id for board_id in (meeting.board_id, case.board_id) if board_id is not None]
    if board_ids:
        ids.update(db.session.scalars(select(BoardMember.user_id).where(BoardMember.board_id.in_(board_ids),
                                                                        BoardMember.role == "coordinator")))
    ids.discard(None)
    return [(user.id, user.name) for user in db.session.scalars(
        select(User).where(User.id.in_(ids), User.is_active.is_(True)).order_by(User.name))]


def _action_rows(outcome: Outcome) -> list[dict]:
    rows = [{"text": action["action"], "owner": str(action["owner_id"]), "due": action["due"]}
            for action in outcome.actions or []]
    return rows + [{"text": "", "owner": "", "due": ""} for _ in range(BLANK_ACTION_ROWS)]


def _posted_action_rows() -> list[dict]:
    rows, index = [], 0
    while f"action-{index}-text" in request.form or f"action-{index}-owner" in request.form:
        rows.append({part: (request.form.get(f"action-{index}-{part}") or "").strip()
                     for part in ("text", "owner", "due")})
        index += 1
    return rows


def _sentence(message: str) -> str:
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "。", "!", "?")) else ".")


def _render(form, case, meeting, outcome, rows, row_errors, status=200):
    user = current_actor()
    return render_template(
        "outcome_amend.html", user=user, zone=user.timezone, form=form, case=case, meeting=meeting,
        outcome=outcome, rows=rows, row_errors=row_errors, owners=_owner_choices(case, meeting, outcome)), status


@web.route("/outcomes/<int:outcome_id>/amend", methods=["GET", "POST"])
@page(SIGNED_IN)
def amend_outcome_page(outcome_id: int):
    user = current_actor()
    outcome = _outcome(outcome_id)
    # 404 / 403 / 409 exactly as the API answers (the error page says why).
    case, meeting, _ = operations.require_amendable(db.session, outcome, user)
    form = OutcomeAmendForm(formdata=request.form if request.method == "POST" else None,
                            data=None if request.method == "POST" else {
                                **{name: getattr(outcome, name) or "" for name in CONTENT_FIELDS},
                                "tnm_edition": str(outcome.tnm_edition or "")})
    form.category.choices = [choice(code, label(code).capitalize()) for code in OUTCOME_CATEGORIES]
    form.tnm_edition.choices = [choice("", "—")] + [choice(str(edition), str(edition)) for edition in TNM_EDITIONS]
    if request.method == "GET":
        _audit("outcome.viewed", "case", case.id, {"access": "full", "versions": [outcome.id], "via": "amend page"})
        db.session.commit()
        return _render(form, case, meeting, outcome, _action_rows(outcome), {})

    rows = _posted_action_rows()
    row_errors: dict[str, str] = {}
    if not form.validate_on_submit():  # a bad CSRF token is refused before the view (CSRFProtect)
        db.session.rollback()
        return _render(form, case, meeting, outcome, rows, row_errors, 422)

    actions, row_of = [], []  # the domain numbers the filled rows; row_of maps them back to the form's
    for index, row in enumerate(rows):
        if not any(row.values()):
            continue
        owner_id = parse_id(row["owner"])
        if owner_id is None:
            row_errors[f"action-{index}-owner"] = gettext("Choose who does it.")
            continue
        actions.append({"action": row["text"], "owner_id": owner_id, "due": row["due"]})
        row_of.append(index)
    if row_errors:
        db.session.rollback()
        return _render(form, case, meeting, outcome, rows, row_errors, 422)

    changes = {name: form[name].data or None for name in CONTENT_FIELDS}
    changes["recommendation"] = form.recommendation.data or ""
    changes["actions"] = actions
    try:
        new = operations.amend(db.session, outcome, user, changes, reason=form.reason.data, at=now_utc())
    except (InvalidInput, Conflict) as error:
        db.session.rollback()
        _place_error(form, row_errors, row_of, error)
        return _render(form, case, meeting, outcome, rows, row_errors,
                       422 if isinstance(error, InvalidInput) else 409)
    _audit("outcome.amended", "outcome", new.id,
           {**operations.amendment_audit_detail(outcome, new), "via": "page"})
    db.session.commit()
    flash(gettext("Version %(version)s of the outcome of case #%(case_id)s is saved; it is signed again by the "
                  "specialists present at the meeting, and version %(signed)s stays in force until then.",
                  version=new.version, case_id=case.id, signed=outcome.version))
    return redirect(url_for("web.case_page", case_id=case.id) + "#outcome")


def _place_error(form, row_errors: dict, row_of: list[int], error) -> None:
    """The domain's error beside the field it names (an action's part beside that row's control)."""
    field = getattr(error, "field", None) or ""
    message = _sentence(error.message)
    if field.startswith("actions["):
        index_text, _, part = field[len("actions["):].partition("].")
        index = int(index_text) if index_text.isdigit() else -1
        if 0 <= index < len(row_of):
            control = ACTION_PARTS.get(part, "text")
            row_errors[f"action-{row_of[index]}-{control}"] = message
            return
        field = "actions"
    if field == "actions":
        row_errors["actions"] = message
    elif field in form._fields and field != "csrf_token":
        form[field].errors = list(form[field].errors or []) + [message]
    else:
        form.form_errors.append(message)
