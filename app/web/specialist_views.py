"""Pages for specialists: schedule, invitations, working hours, leave, overrides, licences, calendar feed.

Views stay thin: parse the form, call the domain operation, render. Domain errors that name a
field (`InvalidInput`) are shown beside that field.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.audit.operations import record as audit
from app.boards.presentation import meetings_out
from app.calendar.models import CalendarFeed
from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.meetings import booking
from app.meetings.models import Invitation, Meeting
from app.scheduling import WEEKDAY_KEYS
from app.security import SIGNED_IN, current_actor, page
from app.specialists import operations as specialists
from app.timekeeping import check_supported_year, local_midnight, now_utc, to_local
from app.web import web
from app.web.filters import local_day
from app.web.forms import (RANGES_HINT, AnswerForm, LeaveForm, LicenceForm, OverrideForm, PlainForm,
                           WeeklyHoursForm, format_ranges)

SPECIALIST = ("specialist",)
AGENDA_AHEAD = timedelta(weeks=8)
PREVIEW_DAYS = 7


def field_for(error: InvalidInput, form, mapping: dict[str, str] | None = None):
    """The form field a domain error names (`weekly_hours.fri[0]` -> `fri`), or None."""
    name = error.field or ""
    for prefix, target in (mapping or {}).items():
        if name == prefix or name.startswith(prefix + ".") or name.startswith(prefix + "["):
            name = target
            break
    return form._fields.get(name) if form is not None else None


def show_error(error: DomainError, form, mapping=None) -> None:
    """Put a domain error beside its field, or in the form's general errors."""
    target = field_for(error, form, mapping) if isinstance(error, InvalidInput) else None
    if target is not None:
        target.errors = list(target.errors or []) + [error.message]
    else:
        form.form_errors.append(error.message)


def parse_week(text: str | None, zone: str, at: datetime) -> date:
    """The Monday (a local date in `zone`) of the week asked for (?week=YYYY-MM-DD), else this week."""
    try:
        day = date.fromisoformat(text) if text else to_local(at, zone).date()
    except ValueError:
        day = to_local(at, zone).date()
    try:
        check_supported_year(day)
    except ValueError:
        abort(404)
    return day - timedelta(days=day.weekday())


# --- schedule and invitations ------------------------------------------------------------------


def my_invitations(user, start: datetime, end: datetime) -> list[Invitation]:
    return list(db.session.scalars(
        select(Invitation).join(Meeting).options(contains_eager(Invitation.meeting))
        .where(Invitation.user_id == user.id, Invitation.status != "withdrawn",
               Meeting.ends_at > start, Meeting.starts_at < end)
        .order_by(Meeting.starts_at, Meeting.id)))


@web.get("/schedule")
@page(SPECIALIST)
def schedule():
    user, at = current_actor(), now_utc()
    zone = user.timezone
    monday = parse_week(request.args.get("week"), zone, at)
    week_start, week_end = local_midnight(monday, zone), local_midnight(monday + timedelta(days=7), zone)
    upcoming = my_invitations(user, at, at + AGENDA_AHEAD)
    in_week = my_invitations(user, week_start, week_end)
    shown = sorted({invitation.meeting for invitation in (*upcoming, *in_week)}, key=lambda meeting: meeting.id)
    details = {detail["id"]: detail for detail in meetings_out(db.session, shown)}
    days = [{"date": monday + timedelta(days=n), "items": []} for n in range(7)]
    for invitation in in_week:
        local_day = to_local(invitation.meeting.starts_at, zone).date()
        if monday <= local_day < monday + timedelta(days=7):
            days[(local_day - monday).days]["items"].append(invitation)
    return render_template(
        "specialist/schedule.html", user=user, zone=zone, now=at, upcoming=upcoming, days=days,
        details=details, pending=[i for i in upcoming if i.status == "pending"], answer_form=AnswerForm(),
        today=to_local(at, zone).date(),
        prev_week=(monday - timedelta(days=7)).isoformat(), next_week=(monday + timedelta(days=7)).isoformat())


@web.post("/invitations/<int:invitation_id>/answer")
@page(SIGNED_IN)
def answer_invitation(invitation_id: int):
    """Accept, answer tentative or decline one of my invitations (booking.respond does the rest)."""
    user = current_actor()
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.user_id != user.id:
        abort(404)
    form = AnswerForm()
    htmx = request.headers.get("HX-Request") == "true"
    if not form.validate_on_submit():
        message = " ".join(str(error) for error in sum(form.errors.values(), [])) or gettext("Choose accept, tentative or decline.")
        if htmx:
            return render_template("specialist/_invitation.html", invitation=invitation, zone=user.timezone,
                                   answer_form=form, message=message, failed=True), 422
        flash(message, "error")
        return redirect(_back_to_schedule())
    try:
        booking.respond(db.session, invitation, user, form.answer.data, at=now_utc(), note=form.note.data or None)
    except DomainError as error:
        db.session.rollback()
        if htmx:
            return render_template("specialist/_invitation.html", invitation=invitation, zone=user.timezone,
                                   answer_form=AnswerForm(formdata=None), message=error.message, failed=True), 409
        flash(error.message, "error")
        return redirect(_back_to_schedule())
    audit(db.session, "meeting.invitation_answered", actor=user, target_type="meeting",
          target_id=invitation.meeting_id, source_address=request.remote_addr,
          detail={"invitation_id": invitation.id, "answer": invitation.status})
    db.session.commit()
    message = gettext("You answered “%(answer)s” to %(title)s.", answer=ANSWER_WORDS[invitation.status],
                      title=invitation.meeting.title)
    if htmx:
        return render_template("specialist/_invitation.html", invitation=invitation, zone=user.timezone,
                               answer_form=AnswerForm(formdata=None), message=message, failed=False)
    flash(message)
    return redirect(_back_to_schedule())


ANSWER_WORDS = {"accepted": _l("accept"), "tentative": _l("tentative"), "declined": _l("decline")}


def _back_to_schedule() -> str:
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("web.schedule")


# --- working hours, leave and date overrides --------------------------------------------------


def _own_profile():
    user = current_actor()
    return user, specialists.find_profile(db.session, user.id)


def _render_availability(user, profile, *, hours_form=None, leave_form=None, override_form=None,
                         status: int = 200):
    at = now_utc()
    if hours_form is None:
        hours_form = WeeklyHoursForm(prefix="hours", formdata=None)
        for day in WEEKDAY_KEYS:
            getattr(hours_form, day).data = format_ranges((profile.weekly_hours or {}).get(day) if profile else [])
    preview_from = at.replace(second=0, microsecond=0)
    return render_template(
        "specialist/availability.html", user=user, profile=profile, zone=user.timezone,
        home_zone=profile.home_timezone if profile else user.timezone,
        hours_form=hours_form, leave_form=leave_form or LeaveForm(prefix="leave", formdata=None),
        override_form=override_form or OverrideForm(prefix="override", formdata=None),
        plain_form=PlainForm(), ranges_hint=RANGES_HINT, format_ranges=format_ranges,
        preview_url=url_for("api.availability", user_id=user.id) if profile else None,
        preview_from=preview_from, preview_to=preview_from + timedelta(days=PREVIEW_DAYS),
        upcoming_leave=[leave for leave in (profile.leave if profile else []) if leave.ends_at > at],
        leave_days=specialists.leave_days,
    ), status


@web.get("/me/availability")
@page(SPECIALIST)
def availability():
    user, profile = _own_profile()
    return _render_availability(user, profile)


@web.post("/me/availability/hours")
@page(SPECIALIST)
def save_hours():
    user, profile = _own_profile()
    form = WeeklyHoursForm(prefix="hours")
    if form.validate_on_submit():
        weekly = {day: getattr(form, day).ranges for day in WEEKDAY_KEYS if getattr(form, day).ranges}
        try:
            profile, changes = specialists.save_profile(db.session, user, {"weekly_hours": weekly})
        except DomainError as error:
            db.session.rollback()
            show_error(error, form, {"weekly_hours": "weekly_hours"})
            _map_weekday_error(error, form)
        else:
            audit(db.session, "specialist.profile_updated", actor=user, target_type="user", target_id=user.id,
                  source_address=request.remote_addr, detail={"fields": sorted(changes)})
            db.session.commit()
            flash(gettext("Your working hours are saved. The preview below shows what the matcher sees now."))
            return redirect(url_for("web.availability"))
    return _render_availability(user, profile, hours_form=form, status=422)


def _map_weekday_error(error: DomainError, form) -> None:
    """`weekly_hours.fri[0]` names Friday: move the message from the form to that day's field."""
    if not isinstance(error, InvalidInput) or not (error.field or "").startswith("weekly_hours."):
        return
    day = error.field[len("weekly_hours."):][:3]
    if day in WEEKDAY_KEYS and error.message in form.form_errors:
        form.form_errors.remove(error.message)
        getattr(form, day).errors = list(getattr(form, day).errors or []) + [error.message]


@web.post("/me/availability/leave")
@page(SPECIALIST)
def add_leave():
    user, profile = _own_profile()
    form = LeaveForm(prefix="leave")
    if profile is not None and form.validate_on_submit():
        try:
            leave = specialists.add_leave(db.session, profile, from_date=form.from_date.data,
                                          to_date=form.to_date.data, reason=form.reason.data)
        except DomainError as error:
            db.session.rollback()
            show_error(error, form, {"from": "from_date", "to": "to_date"})
        else:
            audit(db.session, "specialist.leave_added", actor=user, target_type="leave", target_id=leave.id,
                  source_address=request.remote_addr, detail={"user_id": user.id})
            db.session.commit()
            flash(gettext("Leave from %(first)s to %(last)s is recorded.", first=local_day(form.from_date.data),
                          last=local_day(form.to_date.data)))
            return redirect(url_for("web.availability"))
    return _render_availability(user, profile, leave_form=form, status=422)


@web.post("/me/availability/leave/<int:leave_id>/delete")
@page(SPECIALIST)
def delete_leave(leave_id: int):
    user, profile = _own_profile()
    if profile is None or not PlainForm().validate_on_submit():
        abort(400)
    specialists.delete_leave(db.session, specialists.get_leave(db.session, profile, leave_id))
    audit(db.session, "specialist.leave_removed", actor=user, target_type="leave", target_id=leave_id,
          source_address=request.remote_addr, detail={"user_id": user.id})
    db.session.commit()
    flash(gettext("The leave is removed."))
    return redirect(url_for("web.availability"))


@web.post("/me/availability/overrides")
@page(SPECIALIST)
def set_override():
    user, profile = _own_profile()
    form = OverrideForm(prefix="override")
    if profile is not None and form.validate_on_submit():
        try:
            override = specialists.set_override(db.session, profile, form.date.data, form.hours.ranges,
                                                form.note.data)
        except DomainError as error:
            db.session.rollback()
            show_error(error, form, {"ranges": "hours", "date": "date"})
        else:
            audit(db.session, "specialist.override_set", actor=user, target_type="user", target_id=user.id,
                  source_address=request.remote_addr,
                  detail={"date": override.local_date.isoformat(), "ranges": override.ranges})
            db.session.commit()
            flash(gettext("Hours for %(day)s are set.", day=local_day(override.local_date, "weekday_date")))
            return redirect(url_for("web.availability"))
    return _render_availability(user, profile, override_form=form, status=422)


@web.post("/me/availability/overrides/<day>/delete")
@page(SPECIALIST)
def delete_override(day: str):
    user, profile = _own_profile()
    if profile is None or not PlainForm().validate_on_submit():
        abort(400)
    local_date = specialists.clean_local_date(day)
    specialists.delete_override(db.session, profile, local_date)
    audit(db.session, "specialist.override_removed", actor=user, target_type="user", target_id=user.id,
          source_address=request.remote_addr, detail={"date": local_date.isoformat()})
    db.session.commit()
    flash(gettext("The override on %(day)s is removed; your weekly hours apply again.", day=local_day(local_date)))
    return redirect(url_for("web.availability"))


# --- licences ------------------------------------------------------------------------------------


def _render_licences(user, profile, form, status=200):
    at = now_utc()
    rows = [(licence, specialists.licence_status(licence, at)) for licence in (profile.licences if profile else [])]
    return render_template("specialist/licences.html", user=user, profile=profile, rows=rows, form=form,
                           zone=user.timezone), status


@web.get("/me/licences")
@page(SPECIALIST)
def licences():
    user, profile = _own_profile()
    return _render_licences(user, profile, LicenceForm(formdata=None))


@web.post("/me/licences")
@page(SPECIALIST)
def add_licence():
    user, profile = _own_profile()
    form = LicenceForm()
    if profile is not None and form.validate_on_submit():
        try:
            licence = specialists.add_licence(db.session, profile, jurisdiction=form.jurisdiction.data.upper(),
                                              registration_number=form.registration_number.data,
                                              expires_on=form.expires_on.data, at=now_utc())
        except DomainError as error:
            db.session.rollback()
            show_error(error, form)
        else:
            audit(db.session, "licence.added", actor=user, target_type="licence", target_id=licence.id,
                  source_address=request.remote_addr, detail={"user_id": user.id,
                                                              "jurisdiction": licence.jurisdiction})
            db.session.commit()
            flash(gettext("Licence %(number)s (%(country)s) is recorded; it counts once a coordinator verifies it.",
                          number=licence.registration_number, country=licence.jurisdiction))
            return redirect(url_for("web.licences"))
    return _render_licences(user, profile, form, 422)


# --- calendar feed -------------------------------------------------------------------------------


@web.get("/me/calendar")
@page(SPECIALIST)
def calendar_feed_page():
    user = current_actor()
    has_feed = db.session.scalar(select(CalendarFeed.id).where(CalendarFeed.user_id == user.id)) is not None
    return render_template("specialist/calendar.html", user=user, has_feed=has_feed,
                           feed_api=url_for("api.issue_feed"))
