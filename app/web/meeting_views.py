"""A meeting's pages (anyone who may see the meeting, else 404): the meeting itself (times in every
participant's zone, quorum, agenda) and the live meeting (`/meetings/<id>/live`: the agenda with the
case under discussion, who is present in their local time, the shared notes, the outcome and, for the
chair, the controls). The live page is rendered from `app.meetings.live.live_state` and kept current by
`js/pages/meeting_live.js`, which subscribes to `meeting:<id>` and calls the live and outcomes APIs."""
from __future__ import annotations

from flask import render_template, request

from sqlalchemy import select

from app.audit.operations import record as audit
from app.boards.presentation import meeting_out
from app.boards.operations import get_visible_meeting, may_manage_meeting
from app.cases import api as cases_api
from app.cases.models import Case
from app.cases.visibility import FULL, HIDDEN_CASE_LABEL, SUMMARY, case_access
from app.conferencing.operations import join_details
from app.extensions import db
from app.meetings import live
from app.live.api import readable_state
from app.meetings import agenda
from app.outcomes.models import OUTCOME_CATEGORIES, TNM_EDITIONS
from app.outcomes import operations as outcomes
from app.outcomes.operations import seat_invitation
from app.preparation import operations as preparation
from app.security import SIGNED_IN, current_actor, page
from app.timekeeping import now_utc
from app.web import web
from app.web.forms import AnswerForm


def agenda_rows(meeting, actor) -> list[dict]:
    """The agenda in order; what each case shows depends on the viewer's access."""
    rows = []
    for item in sorted(agenda.items_on(meeting), key=lambda item: item.position):
        case = db.session.get(Case, item.case_id)
        access = case_access(db.session, actor, case)
        if access is None:
            rows.append({"position": item.position + 1, "hidden": True, "label": HIDDEN_CASE_LABEL,
                         "status": item.status, "case_id": None, "disciplines": [], "access": None})
            continue
        rows.append({"position": item.position + 1, "case_id": case.id, "status": item.status,
                     "urgency": case.urgency, "disciplines": [d.code for d in case.disciplines],
                     "access": access, "rolled": item.rolled_from_meeting_id is not None,
                     "diagnosis": case.diagnosis if access == "full" else None,
                     "amendable": _amendable_outcome(case, actor) if access == FULL else None})
    if rows:
        audit(db.session, "meeting.agenda_viewed", actor=actor, target_type="meeting", target_id=meeting.id,
              source_address=request.remote_addr, detail={"case_ids": [row["case_id"] for row in rows if row["case_id"]]})
        db.session.commit()
    return rows


def _amendable_outcome(case, actor):
    """The case's signed outcome in force if the viewer may amend it now (the domain's rule), else None."""
    if case.state != "outcome_signed":
        return None
    signed = outcomes.current_signed(outcomes.versions_of(db.session, case))
    return signed if outcomes.may_amend(db.session, signed, actor) else None


@web.get("/meetings/<int:meeting_id>")
@page(SIGNED_IN)
def meeting_page(meeting_id: int):
    user = current_actor()
    meeting = get_visible_meeting(db.session, user, meeting_id)  # NotFound -> 404 page
    detail = meeting_out(db.session, meeting)
    mine = next((i for i in meeting.invitations if i.user_id == user.id), None)
    return render_template("meeting.html", user=user, zone=user.timezone, meeting=meeting, detail=detail,
                           invitation=mine, answer_form=AnswerForm(formdata=None),
                           rows=agenda_rows(meeting, user),
                           manages=may_manage_meeting(db.session, user, meeting),
                           call=join_details(db.session, meeting, user, at=now_utc()),
                           # the chair and coordinators see who has prepared each case, as on the pack
                           prepared=(preparation.review_counts(db.session, meeting)
                                     if preparation.sees_preparation(db.session, meeting, user) else None))


# --- the live meeting -----------------------------------------------------------------------------


def live_agenda_rows(meeting, actor, state: dict) -> list[dict]:
    """The live agenda (in the order `live_state` gives) with each case at the viewer's access level:
    full: ICD-10, diagnosis and question; summary: ICD-10, urgency and disciplines only; none: the id.
    Every case shown is audited as a case read (`case.viewed`, via "live meeting")."""
    rows = []
    for item in state["agenda"]:
        level = item["access"]
        case = db.session.get(Case, item["case_id"]) if level is not None else None
        row = {**item, "number": item["position"] + 1, "current": item["position"] == state["current_position"]}
        if level in (FULL, SUMMARY):
            row.update(urgency=case.urgency, icd10_code=case.icd10_code,
                       disciplines=[d.code for d in case.disciplines])
        if level == FULL:
            row.update(diagnosis=case.diagnosis, question=case.question)
        rows.append(row)
    cases_api.audit_cases_shown([(db.session.get(Case, row["case_id"]), row["access"]) for row in rows
                                 if row["access"] in (FULL, SUMMARY)], via="live meeting")
    db.session.commit()
    return rows


def _focus_case_id(state: dict) -> int | None:
    """Whose notes and outcome the page opens on: the case under discussion, else the last discussed."""
    if state["current_case_id"] is not None:
        return state["current_case_id"]
    discussed = [item["case_id"] for item in state["agenda"] if item["status"] == "discussed"]
    return discussed[-1] if discussed else None


@web.get("/meetings/<int:meeting_id>/live")
@page(SIGNED_IN)
def meeting_live_page(meeting_id: int):
    user = current_actor()
    meeting = get_visible_meeting(db.session, user, meeting_id)  # NotFound -> 404 page
    at = now_utc()
    state = readable_state(live.live_state(db.session, meeting, user, at=at))
    seated = seat_invitation(db.session, meeting, user) is not None
    return render_template(
        "meeting_live.html", user=user, zone=user.timezone, meeting=meeting, state=state,
        call=join_details(db.session, meeting, user, at=at),
        rows=live_agenda_rows(meeting, user, state), focus_case_id=_focus_case_id(state),
        may_draft=state["may_run"] or seated, may_sign=seated and user.has_role("specialist"),
        categories=OUTCOME_CATEGORIES, tnm_editions=TNM_EDITIONS, **action_owner_choices(meeting, state))


def action_owner_choices(meeting, state: dict) -> dict:
    """Who an outcome's action may be given to, as the draft form offers: the meeting's invitees and,
    per case the viewer reads in full, its referrer (the domain checks each owner can read the case)."""
    from app.accounts.models import User
    from app.meetings.models import Invitation

    invited = db.session.execute(select(User.id, User.name).join(Invitation, Invitation.user_id == User.id).where(
        Invitation.meeting_id == meeting.id, Invitation.status != "withdrawn").distinct().order_by(User.name)).all()
    full_cases = [item["case_id"] for item in state["agenda"] if item["access"] == FULL]
    referrers = {}
    if full_cases:
        for case_id, user_id, name in db.session.execute(
                select(Case.id, User.id, User.name).join(User, User.id == Case.referrer_id)
                .where(Case.id.in_(full_cases))):
            referrers[case_id] = [user_id, name]
    return {"action_owners": [{"id": user_id, "name": name} for user_id, name in invited],
            "case_referrers": referrers}
