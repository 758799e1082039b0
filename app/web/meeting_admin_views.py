"""Running a meeting from the coordinator's workspace: create one ad hoc, see every invitation with its
answer and note, invite, withdraw, give a declined seat to the next eligible person in one click, move
the meeting (everyone asked again) or cancel it with a reason. Rules are `app.meetings.booking`'s;
who may do it is `may_manage_meeting` (a board's coordinators or an admin)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.audit.operations import record as audit
from app.boards import operations as boards
from app.boards.models import Board
from app.errors import Conflict, DomainError, InvalidInput
from app.extensions import db
from app.meetings import booking
from app.meetings.invitees import invitations_with_people
from app.meetings.models import BOOKING_STATES, Invitation, Meeting
from app.security import current_actor, page
from app.specialists.operations import list_disciplines
from app.timekeeping import ensure_utc, from_local, now_utc, to_local
from app.web import web
from app.web.people_picker import person_named
from app.web.filters import local_time
from app.web.forms import PlainForm, choice
from app.web.layout import COORDINATING
from app.web.vocabulary import discipline as discipline_label
from app.web.workspace_forms import CancelMeetingForm, InviteForm, MeetingTimeForm, NewMeetingForm


def managed_meeting(meeting_id: int) -> Meeting:
    """The meeting if the viewer may run it; 404 if they may not see it, 403 if they only see it."""
    user = current_actor()
    meeting = boards.get_visible_meeting(db.session, user, meeting_id)
    if not boards.may_manage_meeting(db.session, user, meeting):
        abort(403)
    return meeting


def instant_of(form: MeetingTimeForm, zone: str) -> tuple[datetime, datetime]:
    hours, minutes = (int(part) for part in form.start_time.data.split(":"))
    starts_at = from_local(datetime.combine(form.date.data, datetime.min.time()).replace(hour=hours, minute=minutes),
                           zone)
    return starts_at, starts_at + timedelta(minutes=form.duration_minutes.data)


def place_time_error(form, error: DomainError) -> None:
    target = form._fields.get({"date": "date", "duration_minutes": "duration_minutes",
                               "title": "title"}.get(getattr(error, "field", None) or "", ""))
    if target is not None:
        target.errors = list(target.errors or []) + [error.message]
    else:
        form.form_errors.append(error.message)


# --- a new meeting ------------------------------------------------------------------------------------


def _runnable_boards(user) -> list[Board]:
    return [board for board in boards.list_boards(db.session, active=True) if boards.may_manage_members(user, board)]


@web.route("/coordinator/meetings/new", methods=["GET", "POST"])
@page(COORDINATING)
def new_meeting():
    user, at = current_actor(), now_utc()
    form = NewMeetingForm()
    form.board_id.choices = [choice("", gettext("None (a stand-alone meeting)"))] + [
        choice(str(board.id), board.name) for board in _runnable_boards(user)]
    if request.method == "GET":
        tomorrow = to_local(at, user.timezone).date() + timedelta(days=1)
        form.date.data, form.start_time.data = tomorrow, "14:00"
        return render_template("coordinator/meeting_new.html", user=user, zone=user.timezone, form=form)
    if form.validate_on_submit():
        board = db.session.get(Board, int(form.board_id.data)) if form.board_id.data else None
        try:
            starts_at, ends_at = instant_of(form, user.timezone)
            meeting = booking.create_meeting(db.session, title=form.title.data, starts_at=starts_at, ends_at=ends_at,
                                             host_timezone=board.timezone if board else user.timezone, at=at,
                                             created_by=user, board_id=board.id if board else None)
        except InvalidInput as error:
            db.session.rollback()
            place_time_error(form, error)
        else:
            audit(db.session, "meeting.created", actor=user, target_type="meeting", target_id=meeting.id,
                  source_address=request.remote_addr, detail={"board_id": meeting.board_id, "kind": "adhoc"})
            db.session.commit()
            flash(gettext("Meeting %(title)s created for %(when)s. Invite people below.", title=meeting.title,
                          when=local_time(meeting.starts_at, user.timezone)))
            return redirect(url_for("web.meeting_invitations", meeting_id=meeting.id))
    return render_template("coordinator/meeting_new.html", user=user, zone=user.timezone, form=form), 422


# --- invitations --------------------------------------------------------------------------------------


def _invite_form(meeting: Meeting) -> InviteForm:
    form = InviteForm()
    form.discipline.choices = [choice("", gettext("— (not a seat)"))] + [
        choice(d.code, discipline_label(d.code, d.name)) for d in list_disciplines(db.session)]
    return form


def _open(meeting: Meeting, at) -> bool:
    return meeting.status == "scheduled" and ensure_utc(meeting.starts_at) > at


def render_invitations(meeting: Meeting, *, invite_form=None, move_form=None, cancel_form=None, status=200,
                       outside_hours=False):
    user, at = current_actor(), now_utc()
    if move_form is None:
        move_form = MeetingTimeForm(formdata=None)
        local = to_local(meeting.starts_at, user.timezone)
        move_form.date.data, move_form.start_time.data = local.date(), local.strftime("%H:%M")
        move_form.duration_minutes.data = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    rows = [{"invitation": i,
             "replaceable": (_open(meeting, at) and i.role == "seat" and i.status in ("declined", "withdrawn")),
             "withdrawable": _open(meeting, at) and i.status in BOOKING_STATES}
            for i in sorted(invitations_with_people(db.session, [meeting])[meeting.id],
                            key=lambda i: (i.status not in ("declined",), i.id))]
    board = db.session.get(Board, meeting.board_id) if meeting.board_id else None
    return render_template("coordinator/meeting_invitations.html", user=user, zone=user.timezone, meeting=meeting,
                           board=board, rows=rows, open=_open(meeting, at),
                           automatic=booking.replaces_declines_automatically(db.session, meeting),
                           invite_form=invite_form or _invite_form(meeting), move_form=move_form,
                           cancel_form=cancel_form or CancelMeetingForm(formdata=None),
                           plain_form=PlainForm(), outside_hours=outside_hours), status


@web.get("/coordinator/meetings/<int:meeting_id>/invitations")
@page(COORDINATING)
def meeting_invitations(meeting_id: int):
    return render_invitations(managed_meeting(meeting_id))


@web.post("/coordinator/meetings/<int:meeting_id>/invitations")
@page(COORDINATING)
def invite_someone(meeting_id: int):
    user, meeting = current_actor(), managed_meeting(meeting_id)
    form = _invite_form(meeting)
    override = bool(form.override_working_hours.data)
    if not form.validate_on_submit():
        if form.override_reason.errors:
            form.override_reason.errors = [_reason_length_message()]
        # The outside-hours box stays, with what was typed in it, while it is in use.
        return render_invitations(meeting, invite_form=form, status=422,
                                  outside_hours=override or bool(form.override_reason.errors))
    if form.role.data == "seat" and not form.discipline.data:
        form.discipline.errors = [gettext("A seat needs a discipline.")]
        return render_invitations(meeting, invite_form=form, status=422, outside_hours=override)
    person = person_named(form.user_id.data, role="specialist")
    if person is None:
        form.user_id.errors = [gettext("No active specialist has the e-mail %(email)s.", email=form.user_id.data.strip())]
        return render_invitations(meeting, invite_form=form, status=422, outside_hours=override)
    if override and not (form.override_reason.data or "").strip():
        form.override_reason.errors = [gettext("Say why they are invited outside their working hours.")]
        return render_invitations(meeting, invite_form=form, status=422, outside_hours=True)
    try:
        # The domain's rule of who may be invited (as the API's): a specialist; a seat licensed where the
        # agenda's cases come from.
        invitation = booking.invite_person(db.session, meeting, person.id, role=form.role.data,
                                           discipline_code=form.discipline.data or None, at=now_utc(),
                                           override_working_hours=override,
                                           override_reason=form.override_reason.data if override else None,
                                           actor=user)
    except (Conflict, InvalidInput) as error:
        db.session.rollback()
        if isinstance(error, Conflict) and error.extra.get("outside_working_hours"):
            # Not an error to retype: a warning beside the form, and the way to invite them anyway; the domain's
            # words say when that is for them (their own time and zone, in the reader's language).
            flash(error.message, "warning")
            return render_invitations(managed_meeting(meeting_id), invite_form=form, status=409, outside_hours=True)
        if isinstance(error, InvalidInput) and error.field == "override_reason":
            form.override_reason.errors = [_reason_length_message()]
            return render_invitations(managed_meeting(meeting_id), invite_form=form, status=422, outside_hours=True)
        target = {"discipline": form.discipline, "role": form.role}.get(
            getattr(error, "field", None) or "", form.user_id)
        target.errors = [_sentence(error)]
        return render_invitations(managed_meeting(meeting_id), invite_form=form,
                                  status=409 if isinstance(error, Conflict) else 422, outside_hours=override)
    audit(db.session, "meeting.invited", actor=user, target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr, detail={"user_id": person.id, "role": invitation.role,
                                                      "outside_working_hours": override})
    db.session.commit()
    flash(gettext("%(name)s invited.", name=person.name))
    return redirect(url_for("web.meeting_invitations", meeting_id=meeting.id))


def _reason_length_message() -> str:
    return gettext("Say why they are invited outside their working hours, in 3 to 500 characters.")


def _sentence(error: DomainError) -> str:
    """A domain message as a sentence beside a field (the API's are fragments: "holds no valid licence…")."""
    message = error.message
    if isinstance(error, InvalidInput):
        message = message[:1].upper() + message[1:]
        if not message.endswith((".", "?", "!")):
            message += "."
    return message


def _invitation_of(meeting: Meeting, invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.meeting_id != meeting.id:
        abort(404)
    return invitation


@web.post("/coordinator/meetings/<int:meeting_id>/invitations/<int:invitation_id>/<action>")
@page(COORDINATING)
def change_invitation(meeting_id: int, invitation_id: int, action: str):
    if action not in ("withdraw", "replace") or not PlainForm().validate_on_submit():
        abort(400 if action in ("withdraw", "replace") else 404)
    user, meeting = current_actor(), managed_meeting(meeting_id)
    invitation = _invitation_of(meeting, invitation_id)
    try:
        if action == "withdraw":
            booking.withdraw_invitation(db.session, invitation, at=now_utc())
            audit(db.session, "meeting.invitation_withdrawn", actor=user, target_type="meeting",
                  target_id=meeting.id, source_address=request.remote_addr,
                  detail={"user_id": invitation.user_id, "invitation_id": invitation.id})
            message = gettext("Invitation of %(name)s withdrawn; they have been told.", name=invitation.user.name)
        else:
            added = booking.invite_next_eligible(db.session, invitation, at=now_utc())
            audit(db.session, "meeting.invited", actor=user, target_type="meeting", target_id=meeting.id,
                  source_address=request.remote_addr,
                  detail={"user_id": added.user_id, "role": added.role, "replacing_invitation_id": invitation.id})
            message = gettext("%(name)s invited to the %(discipline)s seat in place of %(previous)s.",
                              name=added.user.name, discipline=added.discipline_code, previous=invitation.user.name)
    except Conflict as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(message)
    return redirect(url_for("web.meeting_invitations", meeting_id=meeting_id))


# --- moving and cancelling ----------------------------------------------------------------------------


@web.post("/coordinator/meetings/<int:meeting_id>/reschedule")
@page(COORDINATING)
def reschedule_meeting(meeting_id: int):
    user, meeting = current_actor(), managed_meeting(meeting_id)
    form = MeetingTimeForm()
    if not form.validate_on_submit():
        return render_invitations(meeting, move_form=form, status=422)
    previous = meeting.starts_at
    try:
        starts_at, ends_at = instant_of(form, user.timezone)
        moved = booking.reschedule_meeting(db.session, meeting, starts_at=starts_at, ends_at=ends_at, at=now_utc(),
                                           by=user)
    except (Conflict, InvalidInput) as error:
        db.session.rollback()
        place_time_error(form, error)
        return render_invitations(managed_meeting(meeting_id), move_form=form,
                                  status=409 if isinstance(error, Conflict) else 422)
    audit(db.session, "meeting.rescheduled", actor=user, target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr,
          detail={"from": previous.isoformat(), "to": meeting.starts_at.isoformat(), "sequence": meeting.sequence})
    db.session.commit()
    flash(gettext("Moved to %(when)s; %(count)s people asked again.", when=local_time(meeting.starts_at, user.timezone),
                  count=len(moved)))
    return redirect(url_for("web.meeting_invitations", meeting_id=meeting.id))


@web.post("/coordinator/meetings/<int:meeting_id>/cancel")
@page(COORDINATING)
def cancel_meeting(meeting_id: int):
    user, meeting = current_actor(), managed_meeting(meeting_id)
    form = CancelMeetingForm()
    if not form.validate_on_submit():
        return render_invitations(meeting, cancel_form=form, status=422)
    try:
        booking.cancel_meeting(db.session, meeting, at=now_utc(), reason=form.reason.data.strip())
    except Conflict as error:
        db.session.rollback()
        form.reason.errors = [error.message]
        return render_invitations(managed_meeting(meeting_id), cancel_form=form, status=409)
    audit(db.session, "meeting.cancelled", actor=user, target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr, detail={"reason": form.reason.data.strip()})
    db.session.commit()
    flash(gettext("Meeting cancelled; everyone invited has been told why."))
    return redirect(url_for("web.meeting_invitations", meeting_id=meeting.id))
