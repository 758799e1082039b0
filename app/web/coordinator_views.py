"""Pages for coordinators (and admins): dashboard, time search with its explanation, rota grid."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.accounts.models import User
from app.audit.operations import record as audit
from app.boards import operations as boards
from app.boards.quorum import meeting_quorum
from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.meetings.models import Meeting
from app.meetings.search import SearchCriteria, SeatRequirement, search_meeting_times
from app.rotas import operations as rotas
from app.security import current_actor, page
from app.specialists.operations import list_disciplines
from app.timekeeping import local_midnight, now_utc, to_local
from app.web import web
from app.web.forms import CoverDecisionForm, TimeSearchForm
from app.web.specialist_views import parse_week

COORDINATING = ("coordinator", "admin")
ROTA_WEEKS = 6
MAX_SEATS = 10
OPEN_CASE_STATES = ("submitted", "triaged", "scheduled", "listed_not_discussed", "returned")


# --- dashboard -------------------------------------------------------------------------------------


def urgent_cases(user, at):
    """Urgent cases not yet discussed, soonest target first, with the time left (None: cases area absent)."""
    try:
        from app.cases.models import Case
        from app.cases.visibility import visible_cases
    except ImportError:  # the cases area is still being built
        return None
    rows = []
    for case, access in visible_cases(db.session, user, filters=[Case.urgency == "urgent",
                                                                 Case.state.in_(OPEN_CASE_STATES)]):
        left = (case.target_at - at) if case.target_at else None
        rows.append({"case": case, "access": access, "left": left})
    return sorted(rows, key=lambda row: (row["case"].target_at is None, row["case"].target_at or at))


def describe_left(left: timedelta | None) -> str:
    if left is None:
        return "no target set"
    minutes = int(abs(left).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    text = (f"{days} d " if days else "") + f"{hours} h {minutes:02d} min"
    return f"{text} left" if left.total_seconds() >= 0 else f"overdue by {text}"


@web.get("/coordinator")
@page(COORDINATING)
def coordinator_dashboard():
    user, at = current_actor(), now_utc()
    board_rows = []
    for board in boards.list_boards(db.session, active=True):
        meeting = db.session.scalar(select(Meeting).where(Meeting.board_id == board.id, Meeting.status == "scheduled",
                                                          Meeting.starts_at > at)
                                    .order_by(Meeting.starts_at).limit(1))
        board_rows.append({"board": board, "meeting": meeting,
                           "quorum": meeting_quorum(db.session, meeting) if meeting else None})
    open_cover = [(rota, request_) for rota in rotas.list_rotas(db.session)
                  for request_ in rotas.cover_requests_of(db.session, rota)
                  if request_.status in rotas.OPEN_COVER_STATES]
    return render_template("coordinator/dashboard.html", user=user, zone=user.timezone, now=at,
                           board_rows=board_rows, cases=urgent_cases(user, at), describe_left=describe_left,
                           open_cover=open_cover)


# --- time search -----------------------------------------------------------------------------------


def _seat_counts(disciplines) -> tuple[dict[str, int], dict[str, str]]:
    """Seats asked per discipline from the `seats-<code>` inputs, and errors by discipline code."""
    counts, errors = {}, {}
    for discipline in disciplines:
        raw = request.form.get(f"seats-{discipline.code}", "").strip() or "0"
        if not raw.isdigit() or not 0 <= int(raw) <= MAX_SEATS:
            errors[discipline.code] = f"Enter a whole number from 0 to {MAX_SEATS}."
        elif int(raw):
            counts[discipline.code] = int(raw)
    return counts, errors


FIELD_OF_ERROR = {"window_end": "to_date", "window_start": "from_date", "duration_minutes": "duration_minutes"}


@web.route("/coordinator/search", methods=["GET", "POST"])
@page(COORDINATING)
def time_search():
    user, at = current_actor(), now_utc()
    zone = user.timezone
    disciplines = list_disciplines(db.session)
    form = TimeSearchForm()
    if request.method == "GET":
        today = to_local(at, zone).date()
        form.from_date.data = form.from_date.data or today + timedelta(days=1)
        form.to_date.data = form.to_date.data or today + timedelta(days=7)
    seats, seat_errors, seats_error, result, status = {}, {}, None, None, 200
    if request.method == "POST":
        seats, seat_errors = _seat_counts(disciplines)
        valid = form.validate_on_submit()
        if not seats and not seat_errors:
            seats_error = "Ask for at least one seat in one discipline."
        if valid and not seats_error and not seat_errors:
            criteria = SearchCriteria(
                requirements=tuple(SeatRequirement(code, count) for code, count in sorted(seats.items())),
                duration_minutes=form.duration_minutes.data,
                window_start=local_midnight(form.from_date.data, zone),
                window_end=local_midnight(form.to_date.data + timedelta(days=1), zone),
                at=at, licensed_in=(form.licensed_in.data or "").upper() or None,
                language=(form.language.data or "").lower() or None, urgent=form.urgent.data)
            try:
                result = search_meeting_times(db.session, criteria)
            except InvalidInput as error:
                target = form._fields.get(FIELD_OF_ERROR.get(error.field or ""))
                if target is not None:
                    target.errors = list(target.errors or []) + [error.message]
                else:
                    seats_error = error.message
        if result is None:
            status = 422
    else:
        seats = {"radiology": 1, "pathology": 1}
    names = {user_.id: user_.name for user_ in db.session.scalars(select(User))} if result else {}
    return render_template("coordinator/search.html", user=user, zone=zone, form=form, disciplines=disciplines,
                           seats=seats, seat_errors=seat_errors, seats_error=seats_error, result=result,
                           names=names, raw_seats=request.form), status


# --- rota grid and cover requests --------------------------------------------------------------------


@web.get("/coordinator/rotas")
@page(COORDINATING)
def rota_grid():
    user, at = current_actor(), now_utc()
    zone = user.timezone
    monday = parse_week(request.args.get("week"), zone, at)
    weeks = [monday + timedelta(weeks=n) for n in range(ROTA_WEEKS)]
    bounds = [(local_midnight(week, zone), local_midnight(week + timedelta(days=7), zone)) for week in weeks]
    grid = []
    for rota in rotas.list_rotas(db.session):
        shifts = rotas.shifts_between(db.session, rota, bounds[0][0], bounds[-1][1])
        cells = [[shift for shift in shifts if shift.starts_at < end and shift.ends_at > start]
                 for start, end in bounds]
        cover = [request_ for request_ in rotas.cover_requests_of(db.session, rota)
                 if request_.status in rotas.OPEN_COVER_STATES]
        grid.append({"rota": rota, "cells": cells, "cover": cover})
    return render_template("coordinator/rotas.html", user=user, zone=zone, weeks=weeks, grid=grid,
                           form=CoverDecisionForm(), allowed=rotas.allowed_actions,
                           prev_week=(monday - timedelta(weeks=ROTA_WEEKS)).isoformat(),
                           next_week=(monday + timedelta(weeks=ROTA_WEEKS)).isoformat())


@web.post("/coordinator/cover-requests/<int:request_id>/<action>")
@page(COORDINATING)
def decide_cover(request_id: int, action: str):
    operation = {"approve": rotas.approve_cover, "reject": rotas.reject_cover}.get(action)
    if operation is None or not CoverDecisionForm().validate_on_submit():
        abort(400)
    user = current_actor()
    cover = rotas.get_cover_request(db.session, request_id, for_update=True)
    rotas.get_shift(db.session, cover.shift_id, for_update=True)
    try:
        operation(db.session, cover, user, at=now_utc())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        audit(db.session, f"rota.cover_{action}", actor=user, target_type="cover_request", target_id=cover.id,
              source_address=request.remote_addr, detail={"shift_id": cover.shift_id})
        db.session.commit()
        flash(f"Cover request #{cover.id} {'approved' if action == 'approve' else 'rejected'}.")
    return redirect(url_for("web.rota_grid"))
