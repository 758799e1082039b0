"""Rota pages: coordinators create a rota, choose its members and generate its shifts, and decide cover
requests with a reason; a specialist sees their own on-call shifts and takes a colleague's shift in one
click. Every rule is the rotas domain's (app.rotas.operations); these views parse, call and show."""
from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from app.accounts.models import User
from app.audit.operations import record as audit
from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.inputs import parse_integer
from app.rotas import operations as rotas
from app.rotas.models import CoverRequest, Rota
from app.security import current_actor, page
from app.specialists.models import Discipline
from app.specialists.operations import list_disciplines
from app.timekeeping import is_valid_zone, now_utc, to_local
from app.web import web
from app.web.people_picker import people_named
from app.web.filters import weekday_name, zone_name
from app.web.forms import PlainForm
from app.web.vocabulary import discipline as discipline_label
from app.web.layout import COORDINATING
from app.web.specialist_views import SPECIALIST

MY_SHIFT_WEEKS = 8
SHIFTS_SHOWN = 60
ZONE_CHOICES = ("Asia/Shanghai", "Asia/Almaty", "Asia/Tashkent", "Asia/Kolkata", "Asia/Karachi", "Asia/Dubai",
                "Europe/Moscow", "Europe/Istanbul", "Africa/Nairobi", "Africa/Lagos", "Africa/Cairo", "UTC")


def _zone_options(zones) -> list[tuple[str, str]]:
    """(IANA id, the zone as the reader's language names it, as the `zone_name` filter shows zones everywhere
    else), in order of those names; the id is what the form sends."""
    named = [(zone, zone_name(zone)) for zone in zones if is_valid_zone(zone)]
    return sorted(named, key=lambda option: (option[1].casefold(), option[0]))


def _checked_form() -> None:
    if not PlainForm().validate_on_submit():
        abort(400)


# --- coordinators: a rota, its members, its shifts -------------------------------------------------


@web.route("/coordinator/rotas/new", methods=["GET", "POST"])
@page(COORDINATING)
def new_rota():
    user = current_actor()
    raw = {"name": "", "discipline_code": "", "handoff_weekday": "0", "handoff_time": "08:00",
           "timezone": user.timezone, "period_weeks": "1"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        _checked_form()
        raw.update({key: (request.form.get(key) or "").strip() for key in raw})
        weekday, weeks = parse_integer(raw["handoff_weekday"]), parse_integer(raw["period_weeks"])
        try:
            rota = rotas.create_rota(
                db.session, name=raw["name"], discipline_code=raw["discipline_code"],
                handoff_weekday=int(weekday) if weekday is not None else -1, handoff_time=raw["handoff_time"],
                timezone=raw["timezone"], period_weeks=int(weeks) if weeks is not None else 0, created_by=user,
                at=now_utc())
        except InvalidInput as error:
            db.session.rollback()
            errors[error.field or "name"] = error.message
        except DomainError as error:
            db.session.rollback()
            errors["name"] = error.message
        else:
            return _saved(rota, "rota.created", {"name": rota.name},
                          gettext("Rota %(name)s created. Now choose its members.", name=rota.name))
    return render_template("coordinator/rota_new.html", user=user, zone=user.timezone, raw=raw, errors=errors,
                           discipline_options=[(d.code, discipline_label(d.code, d.name))
                                               for d in list_disciplines(db.session)],
                           weekday_options=[(str(index), weekday_name(index)) for index in range(7)],
                           zone_options=_zone_options(set(ZONE_CHOICES) | {user.timezone, raw["timezone"]}),
                           form=PlainForm()), 422 if errors else 200


ADD_MEMBER_ROWS = 3   # empty "add a specialist" rows under the members


def _members(rota: Rota) -> list[User]:
    """The rota's members in turn order."""
    return [member.user for member in sorted(rota.members, key=lambda member: member.position)]


def render_rota(rota: Rota, *, errors=None, raw=None, added=(), status: int = 200):
    user, at = current_actor(), now_utc()
    zone = user.timezone
    today = to_local(at, zone).date()
    # The shifts from a week ago on, the first SHIFTS_SHOWN of them (however far ahead they were published).
    shifts = rotas.shifts_between(db.session, rota, at - timedelta(days=7),
                                  at + timedelta(weeks=2 * rotas.MAX_WEEKS))[:SHIFTS_SHOWN]
    discipline = db.session.get(Discipline, rota.discipline_code)
    return render_template("coordinator/rota.html", user=user, zone=zone, rota=rota, discipline=discipline,
                           members=_members(rota), add_rows=max(ADD_MEMBER_ROWS, len(added)), added=list(added),
                           shifts=shifts,
                           errors=errors or {}, raw=raw or {"start": (today + timedelta(days=1)).isoformat(),
                                                            "weeks": str(4 * rota.period_weeks)},
                           max_weeks=rotas.MAX_WEEKS, form=PlainForm(),
                           drafts=rotas.draft_count(db.session, rota)), status


@web.get("/coordinator/rotas/<int:rota_id>")
@page(COORDINATING)
def rota_page(rota_id: int):
    return render_rota(rotas.get_rota(db.session, rota_id))


def _saved(rota, action: str, detail: dict, message: str):
    """Audit a change to `rota`, commit it, say so and go back to the rota's page."""
    audit(db.session, action, actor=current_actor(), target_type="rota", target_id=rota.id,
          source_address=request.remote_addr, detail=detail)
    db.session.commit()
    flash(message)
    return redirect(url_for("web.rota_page", rota_id=rota.id))


@web.post("/coordinator/rotas/<int:rota_id>/members")
@page(COORDINATING)
def rota_members(rota_id: int):
    _checked_form()
    rota = rotas.get_rota(db.session, rota_id, for_update=True)
    chosen = [int(value) for value in request.form.getlist("member") if parse_integer(value) is not None]
    added = [value.strip() for value in request.form.getlist("add") if value.strip()]
    found = people_named(added, role="specialist")
    for typed in added:
        person = found.get(typed)
        if person is None:
            return render_rota(rota, status=422, added=added, errors={"add": gettext(
                "No active specialist has the e-mail %(email)s.", email=typed)})
        if person.id not in chosen:
            chosen.append(person.id)
    try:
        rotas.update_rota(db.session, rota, members=chosen)
    except DomainError as error:
        db.session.rollback()
        return render_rota(rotas.get_rota(db.session, rota_id), errors={"members": error.message}, added=added,
                           status=422)
    return _saved(rota, "rota.members_changed", {"members": chosen},
                  gettext("Members of %(name)s saved.", name=rota.name))


@web.post("/coordinator/rotas/<int:rota_id>/generate")
@page(COORDINATING)
def rota_generate(rota_id: int):
    """Generate the shifts of a period: members see them at once on their shifts page and in calendars."""
    _checked_form()
    rota = rotas.get_rota(db.session, rota_id, for_update=True)
    raw = {"start": (request.form.get("start") or "").strip(), "weeks": (request.form.get("weeks") or "").strip()}
    weeks = parse_integer(raw["weeks"])
    try:
        start = date.fromisoformat(raw["start"])
    except ValueError:
        return render_rota(rota, errors={"start": gettext("Enter the first day as YYYY-MM-DD.")}, raw=raw, status=422)
    try:
        rotas.generate(db.session, rota, start=start, weeks=int(weeks) if weeks is not None else 0,
                       at=now_utc(), publish=False)
    except DomainError as error:
        db.session.rollback()
        field = error.field if isinstance(error, InvalidInput) and error.field in ("start", "weeks") else "weeks"
        return render_rota(rotas.get_rota(db.session, rota_id), errors={field: error.message}, raw=raw, status=422)
    return _saved(rota, "rota.generated", {"start": start.isoformat(), "weeks": int(weeks)},
                  gettext("Shifts of %(name)s generated for %(weeks)s weeks as a draft: publish them so members "
                          "see them.", name=rota.name, weeks=int(weeks)))


@web.post("/coordinator/rotas/<int:rota_id>/publish")
@page(COORDINATING)
def rota_publish(rota_id: int):
    """Publish the generated draft shifts: members see them and are told."""
    _checked_form()
    rota = rotas.get_rota(db.session, rota_id, for_update=True)
    published = rotas.publish(db.session, rota, at=now_utc())
    return _saved(rota, "rota.published", {"shifts": published},
                  gettext("Shifts of %(name)s published: members see them now.", name=rota.name))


# --- specialists: my shifts and cover I can take ------------------------------------------------------


@web.get("/my/shifts")
@page(SPECIALIST)
def my_shifts():
    user, at = current_actor(), now_utc()
    shifts = rotas.shifts_of(db.session, user, at, at + timedelta(weeks=MY_SHIFT_WEEKS))
    cover = rotas.open_cover_for(db.session, user, at)
    mine = [request_ for request_ in db.session.scalars(
        select(CoverRequest).where(CoverRequest.requested_by_id == user.id,
                                   CoverRequest.status.in_(rotas.OPEN_COVER_STATES)).limit(50))]
    return render_template("specialist/shifts.html", user=user, zone=user.timezone, shifts=shifts, cover=cover,
                           mine=mine, weeks=MY_SHIFT_WEEKS, form=PlainForm())


@web.post("/my/cover/<int:request_id>/take")
@page(SPECIALIST)
def take_cover(request_id: int):
    _checked_form()
    user = current_actor()
    cover = rotas.get_cover_request(db.session, request_id, for_update=True)
    try:
        rotas.accept_cover(db.session, cover, user, at=now_utc())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("web.my_shifts"))
    audit(db.session, "rota.cover_accepted", actor=user, target_type="cover_request", target_id=cover.id,
          source_address=request.remote_addr, detail={"shift_id": cover.shift_id})
    db.session.commit()
    flash(gettext("You offered to take this shift; a coordinator approves it, then it is yours."))
    return redirect(url_for("web.my_shifts"))
