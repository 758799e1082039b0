"""The specialists directory for coordinators: a paged list filtered by discipline, country of their
site, language, licence and on-call now; and one specialist's profile with their working hours in
their own zone and in the viewer's."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, render_template, request, url_for
from flask_babel import gettext

from app.errors import InvalidInput
from app.extensions import db
from app.scheduling import WEEKDAY_KEYS, working_intervals
from app.security import current_actor, page
from app.specialists import operations as specialists
from app.specialists.operations import list_disciplines
from app.timekeeping import local_midnight, now_utc, to_local
from app.web import web
from app.web.forms import choice
from app.web.layout import COORDINATING
from app.web.vocabulary import discipline as discipline_label
from app.web.workspace_forms import DirectoryForm

DIRECTORY_PAGE = 25
HOURS_AHEAD_DAYS = 7


def _filters(form: DirectoryForm) -> dict:
    return {"discipline": form.discipline.data or None, "country": (form.country.data or "").upper() or None,
            "language": (form.language.data or "").lower() or None,
            "licensed_in": (form.licensed_in.data or "").upper() or None}


@web.get("/coordinator/specialists")
@page(COORDINATING)
def specialists_directory():
    user, at = current_actor(), now_utc()
    form = DirectoryForm(request.args)
    form.discipline.choices = [choice("", gettext("Any"))] + [
        choice(d.code, discipline_label(d.code, d.name)) for d in list_disciplines(db.session)]
    found, status = None, 200
    if form.validate():
        try:
            found = specialists.find_specialists(db.session, at=at, **_filters(form),
                                                 on_call_at=at if form.on_call.data else None,
                                                 limit=DIRECTORY_PAGE, cursor=request.args.get("after") or None)
        except InvalidInput as error:
            target = form._fields.get(error.field or "")
            if target is not None:
                target.errors = list(target.errors or []) + [error.message]
            else:
                abort(404)  # a cursor this list never gave
            status = 422
    else:
        status = 422
    next_url = None
    if found is not None and found.next_cursor:
        args = {key: value for key, value in request.args.items() if key != "after"}
        next_url = url_for("web.specialists_directory", **args, after=found.next_cursor)
    return render_template("coordinator/specialists.html", user=user, zone=user.timezone, form=form,
                           profiles=found.rows if found else [], next_url=next_url, at=at,
                           licence_status=specialists.licence_status), status


def week_of_hours(profile, viewer_zone: str, at) -> list[dict]:
    """Each working stretch of the next week (overrides and leave applied) in the specialist's zone and in
    the viewer's."""
    start = local_midnight(to_local(at, viewer_zone).date(), viewer_zone)
    stretches = working_intervals(specialists.engine_spec(profile), start, start + timedelta(days=HOURS_AHEAD_DAYS))
    return [{"start": begin, "end": end} for begin, end in stretches]


@web.get("/coordinator/specialists/<int:user_id>")
@page(COORDINATING)
def specialist_profile_page(user_id: int):
    user, at = current_actor(), now_utc()
    profile = specialists.find_profile(db.session, user_id)
    if profile is None or not profile.user.has_role("specialist"):
        abort(404)
    weekly = [(day, profile.weekly_hours.get(day, [])) for day in WEEKDAY_KEYS]
    return render_template("coordinator/specialist_profile.html", user=user, zone=user.timezone, profile=profile,
                           person=profile.user, weekly=weekly, stretches=week_of_hours(profile, user.timezone, at),
                           at=at, licence_status=specialists.licence_status, days=HOURS_AHEAD_DAYS)
