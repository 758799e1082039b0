"""Pages for coordinators (and admins): dashboard, meetings, time search with its explanation and booking a
slot it found, rota grid."""
from __future__ import annotations

from datetime import timedelta
from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from app.audit.operations import record as audit
from app.boards import operations as boards
from app.boards.models import Board
from app.boards.quorum import meetings_quorum
from app.cases.api import audit_cases_shown
from app.cases.models import Case
from app.cases.visibility import FULL, visible_case_count, visible_cases
from app.cases import api as cases_api
from app.cases import workflow
from app.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from app.extensions import db
from app.i18n import current_locale_code
from app.inputs import parse_id, parse_integer
from app.meetings import agenda as agendas
from app.meetings import booking
from app.meetings.models import Meeting
from app.meetings.search import (SearchCriteria, SeatRequirement, licence_country_for_case, reason_text,
                                 reason_wording, search_for_case, search_meeting_times)
from app.paging import keyset_page
from app.rotas import operations as rotas
from app.security import current_actor, page
from app.specialists.operations import active_holders_per_discipline, list_disciplines
from app.timekeeping import country_name_for_reader, format_instant, local_midnight, now_utc, parse_instant, to_local
from app.vocabulary import N_
from app.web import web
from app.web.filters import local_time
from app.web.forms import PlainForm, TimeSearchForm, choice
from app.web.layout import COORDINATING
from app.web.specialist_views import parse_week

ROTA_WEEKS = 6
ROTAS_PER_PAGE = 20
MAX_SEATS = 10
DASHBOARD_CASES = 25   # rows per case list on the dashboard; the case board has them all
OPEN_CASE_STATES = ("submitted", "triaged", "scheduled", "listed_not_discussed", "returned")


# --- dashboard -------------------------------------------------------------------------------------


def urgent_cases(user, at, *, limit=DASHBOARD_CASES):
    """Urgent cases not yet discussed, soonest target first (the first `limit`), with the time left; a case
    no longer awaiting discussion (e.g. listed as standard of care) has no time left to count down."""
    rows = []
    for case, access in visible_cases(db.session, user, filters=[Case.urgency == "urgent",
                                                                 Case.state.in_(OPEN_CASE_STATES)],
                                      order=[Case.target_at.is_(None), Case.target_at, Case.id], limit=limit):
        awaiting = case.state in workflow.AWAITING_DISCUSSION
        left = (case.target_at - at) if case.target_at and awaiting else None
        rows.append({"case": case, "access": access, "left": left, "awaiting": awaiting})
    return rows


def cases_waiting_for_triage(user, at, *, limit=DASHBOARD_CASES):
    """Submitted cases the coordinator may see, oldest submission first (the first `limit`), with when
    they were submitted and how long they have waited: only for a case seen in full, as a summary
    shows neither (`submitted` and `waited` are then None, and `full` False). The order says no more
    than which came first, as every summary shows its target date."""
    rows = []
    for case, access in visible_cases(db.session, user, filters=[Case.state == "submitted"],
                                      order=[Case.submitted_at.is_(None), Case.submitted_at, Case.id], limit=limit):
        full = access == FULL
        submitted = case.submitted_at if full else None
        rows.append({"case": case, "access": access, "full": full, "submitted": submitted,
                     "waited": at - submitted if submitted else None})
    return rows


def next_meetings(board_ids, at) -> dict[int, Meeting]:
    """Each board's next scheduled meeting after `at`, in one query."""
    if not board_ids:
        return {}
    soonest = (select(Meeting.board_id, func.min(Meeting.starts_at).label("starts_at"))
               .where(Meeting.board_id.in_(board_ids), Meeting.status == "scheduled", Meeting.starts_at > at)
               .group_by(Meeting.board_id).subquery())
    meetings = db.session.scalars(select(Meeting).join(soonest, and_(
        Meeting.board_id == soonest.c.board_id, Meeting.starts_at == soonest.c.starts_at))
        .where(Meeting.status == "scheduled").order_by(Meeting.id))
    found = {}
    for meeting in meetings:
        found.setdefault(meeting.board_id, meeting)
    return found


def describe_waited(waited: timedelta | None) -> str:
    if waited is None:
        return "—"
    hours = int(waited.total_seconds() // 3600)
    if hours >= 24:
        return gettext("%(days)s d %(hours)s h", days=hours // 24, hours=hours % 24)
    return gettext("%(hours)s h", hours=hours)


def describe_left(left: timedelta | None) -> str:
    if left is None:
        return gettext("no target set")
    minutes = int(abs(left).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        text = gettext("%(days)s d %(hours)s h %(minutes)s min", days=days, hours=hours, minutes=f"{minutes:02d}")
    else:
        text = gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=f"{minutes:02d}")
    return gettext("%(span)s left", span=text) if left.total_seconds() >= 0 else gettext("overdue by %(span)s", span=text)


@web.get("/coordinator")
@page(COORDINATING)
def coordinator_dashboard():
    """The same number of queries whatever the number of boards, rotas and cases; case lists show the
    first DASHBOARD_CASES with the total."""
    user, at = current_actor(), now_utc()
    active = db.session.scalars(select(Board).where(Board.is_active.is_(True)).order_by(Board.name)
                                .options(selectinload(Board.members))).all()
    meetings = next_meetings([board.id for board in active], at)
    quorums = meetings_quorum(db.session, meetings.values())
    board_rows = [{"board": board, "meeting": meetings.get(board.id), "runs": boards.may_manage_members(user, board),
                   "quorum": quorums.get(meetings[board.id].id) if board.id in meetings else None}
                  for board in active]
    open_cover = rotas.open_cover_count(db.session)
    urgent, waiting = urgent_cases(user, at), cases_waiting_for_triage(user, at)
    waiting_total = visible_case_count(db.session, user, filters=[Case.state == "submitted"])
    # the dashboard shows case data: one event, found by each case's trail
    audit_cases_shown([(row["case"], row["access"]) for row in urgent + waiting], via="dashboard")
    db.session.commit()
    return render_template("coordinator/dashboard.html", user=user, zone=user.timezone, now=at,
                           board_rows=board_rows, cases=urgent, describe_left=describe_left,
                           waiting=waiting, waiting_total=waiting_total, describe_waited=describe_waited,
                           open_cover=open_cover)


# --- time search -----------------------------------------------------------------------------------


def _seat_counts(disciplines) -> tuple[dict[str, int], dict[str, str]]:
    """Seats asked per discipline, and errors by discipline code. Each ticked `discipline` box asks one
    seat, or its `seats-<code>` count; without boxes (a scripted post), the `seats-<code>` counts."""
    counts, errors = {}, {}
    ticked = set(request.form.getlist("discipline"))
    boxes = bool(request.form.get("disciplines-listed"))
    for discipline in disciplines:
        raw = request.form.get(f"seats-{discipline.code}", "").strip()
        if boxes:
            raw = (raw or "1") if discipline.code in ticked else "0"
        raw = raw or "0"
        if parse_integer(raw) is None or not 0 <= int(raw) <= MAX_SEATS:
            errors[discipline.code] = gettext("Enter a whole number from 0 to %(max)s.", max=MAX_SEATS)
        elif int(raw):
            counts[discipline.code] = int(raw)
    return counts, errors


FIELD_OF_ERROR = {"window_end": "to_date", "window_start": "from_date", "duration_minutes": "duration_minutes"}


def board_choices(user) -> list[tuple[str, str]]:
    """Boards a booked meeting may be for: those the user runs (an admin: every active board)."""
    return [choice("", gettext("None (a stand-alone ad-hoc meeting)"))] + [
        choice(str(board.id), board.name) for board in boards.list_boards(db.session, active=True)
        if boards.may_manage_members(user, board)]


def run_search(form: TimeSearchForm, disciplines, zone: str, at, case: Case | None = None) -> dict:
    """Validate the posted search and run it (as the API does); what the page shows. A search for `case`
    asks for a licence where the case was referred, whatever was posted: booking a seat on its meeting
    needs one there."""
    seats, seat_errors = _seat_counts(disciplines)
    valid = form.validate_on_submit()
    seats_error, result = None, None
    if not seats and not seat_errors:
        seats_error = gettext("Ask for at least one seat in one discipline.")
    if valid and not seats_error and not seat_errors:
        criteria = SearchCriteria(
            requirements=tuple(SeatRequirement(code, count) for code, count in sorted(seats.items())),
            duration_minutes=form.duration_minutes.data,
            window_start=local_midnight(form.from_date.data, zone),
            window_end=local_midnight(form.to_date.data + timedelta(days=1), zone),
            at=at, licensed_in=(licence_country_for_case(case) if case is not None
                                else (form.licensed_in.data or "").upper() or None),
            language=(form.language.data or "").lower() or None, urgent=form.urgent.data,
            board_id=int(form.board_id.data) if form.board_id.data else None)
        try:
            result = search_meeting_times(db.session, criteria)
        except InvalidInput as error:
            target = form._fields.get(FIELD_OF_ERROR.get(error.field or ""))
            if target is not None:
                target.errors = list(target.errors or []) + [error.message]
            else:
                seats_error = error.message
    return {"seats": seats, "seat_errors": seat_errors, "seats_error": seats_error, "result": result}


def render_search(user, form, disciplines, found: dict, status: int = 200, case=None, case_level=None, **extra):
    """The search page; for a case, only what `case_level` shows of it. Commits first: the case's read
    (`case.viewed`, queued by `_case_searched_for`) is recorded whatever the page answers."""
    holders = active_holders_per_discipline(db.session)
    asked = found["seats"]
    case_full = case is not None and case_level == FULL
    licence_country = licence_country_for_case(case) if case_full else None
    # The disciplines asked for come first, so a pre-filled search shows its choice at the top.
    ordered = sorted(disciplines, key=lambda d: (d.code not in asked, d.name))
    db.session.commit()
    return render_template("coordinator/search.html", user=user, zone=user.timezone, form=form,
                           disciplines=ordered, holders=holders, raw_seats=request.form, instant=format_instant,
                           case=case, case_full=case_full,
                           licence_country=licence_country, licence_country_name=licence_country and
                           country_name_for_reader(licence_country, current_locale_code()),
                           reason_text=partial(search_reason_text, country_shown=case is None or case_full),
                           **found, **extra), status


def search_reason_text(reason: str, *, country_shown: bool = True) -> str:
    """Why the search ruled someone out, in the reader's words. For a case seen only as a summary the
    licence's country (its referring site's) is not named."""
    if not country_shown and "country" in reason_wording(reason)[1]:
        return gettext("no valid licence where the case was referred")
    return reason_text(reason, gettext, partial(country_name_for_reader, locale_code=current_locale_code()))


def _search_form(user) -> TimeSearchForm:
    form = TimeSearchForm()
    form.board_id.choices = board_choices(user)
    return form


def _case_searched_for(raw_id) -> tuple[Case | None, str | None]:
    """The case a search is for (the `case` query or the form's `case_id`) and the user's access level
    to it, if the user coordinates it; 404 as for any case they may not see, 403 when they see it but do
    not run its board. The read is audited at that level (the view commits it)."""
    if raw_id in (None, ""):
        return None, None
    case_id = parse_id(str(raw_id))
    if case_id is None:
        abort(404)
    case, level = cases_api.visible_case(case_id)
    if workflow.COORDINATOR not in workflow.capacities(db.session, case, current_actor()):
        raise PermissionDenied(N_("Only a coordinator of the case's board may book a meeting for it."))
    _audit_case_search(case, level)
    return case, level


def _audit_case_search(case: Case, level: str) -> None:
    cases_api.audit_case("case.viewed", target_id=case.id, detail={"access": level, "via": "time search"})


def _prefill_from_case(form: TimeSearchForm, case: Case, level: str, zone: str, at) -> dict[str, int]:
    """The search asked for `case`. What a pseudonymised summary does not show (the referring team's
    language) is left for the coordinator to fill in; the licence follows the case (`run_search`)."""
    asked = search_for_case(db.session, case, zone=zone, at=at)
    form.case_id.data = str(case.id)
    form.duration_minutes.data = asked.duration_minutes
    form.from_date.data, form.to_date.data = asked.first_day, asked.last_day
    form.urgent.data = asked.urgent
    full = level == FULL
    form.language.data = (asked.language or "") if full else ""
    form.board_id.data = str(asked.board_id) if asked.board_id else ""
    return {requirement.discipline: requirement.count for requirement in asked.requirements}


@web.route("/coordinator/search", methods=["GET", "POST"])
@page(COORDINATING)
def time_search():
    user, at = current_actor(), now_utc()
    zone = user.timezone
    disciplines = list_disciplines(db.session)
    form = _search_form(user)
    if request.method == "GET":
        case, level = _case_searched_for(request.args.get("case"))
        today = to_local(at, zone).date()
        form.from_date.data = form.from_date.data or today + timedelta(days=1)
        form.to_date.data = form.to_date.data or today + timedelta(days=7)
        seats = _prefill_from_case(form, case, level, zone, at) if case else {"radiology": 1, "pathology": 1}
        found = {"seats": seats, "seat_errors": {}, "seats_error": None, "result": None}
        return render_search(user, form, disciplines, found, case=case, case_level=level)
    case, level = _case_searched_for(form.case_id.data)
    found = run_search(form, disciplines, zone, at, case)
    return render_search(user, form, disciplines, found, 200 if found["result"] is not None else 422, case=case,
                         case_level=level)


# --- booking a slot the search found -----------------------------------------------------------------


def posted_seats() -> dict[str, list[int]]:
    """The slot's assignment from its `seat` inputs ("discipline:user id"); InvalidInput if unreadable."""
    seats: dict[str, list[int]] = {}
    for value in request.form.getlist("seat"):
        code, _, user_id = value.partition(":")
        if not code or parse_id(user_id) is None:
            raise InvalidInput("seats", N_("the slot's seats could not be read; search again"))
        seats.setdefault(code, []).append(parse_id(user_id))
    if not seats:
        raise InvalidInput("seats", N_("the slot has no seats; search again"))
    return seats


@web.post("/coordinator/search/book")
@page(COORDINATING)
def book_slot():
    """Book the meeting at a slot the search proposed (through `app.meetings.booking`), then show it.

    The search is posted again with the slot, so a refusal shows the same results with the reason
    beside the slot's Book button (409 when the time was taken meanwhile)."""
    user, at = current_actor(), now_utc()
    zone = user.timezone
    disciplines = list_disciplines(db.session)
    form = _search_form(user)
    raw_start = request.form.get("slot_start", "")
    case, level = _case_searched_for(form.case_id.data)
    found = run_search(form, disciplines, zone, at, case)
    if found["result"] is None:
        return render_search(user, form, disciplines, found, 422, case=case, case_level=level)
    try:
        starts_at = parse_instant(raw_start)
    except ValueError:
        return render_search(user, form, disciplines, found, 422, case=case, case_level=level,
                             booking_error=gettext("That slot could not be read; choose a time from the list."),
                             booking_start=None)
    board = db.session.get(Board, int(form.board_id.data)) if form.board_id.data else None
    title = gettext("Ad-hoc %(board)s", board=board.name) if board else gettext("Ad-hoc MDT meeting")
    try:
        meeting = booking.book_meeting(
            db.session, title=title, starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=form.duration_minutes.data),
            host_timezone=board.timezone if board else zone, seats=posted_seats(), at=at,
            board_id=board.id if board else None, created_by=user, chair=user, case=case)
    except (Conflict, InvalidInput) as error:
        db.session.rollback()   # drops the half-made booking, and the read's audit with it: recorded again
        if case is not None:
            _audit_case_search(case, level)
        found = run_search(form, disciplines, zone, at, case)  # what is free now
        return render_search(user, form, disciplines, found, 409 if isinstance(error, Conflict) else 422, case=case,
                             case_level=level, booking_error=gettext("Not booked: %(reason)s", reason=error.message),
                             booking_start=format_instant(starts_at))
    invited = [invitation for invitation in meeting.invitations if invitation.status == "pending"]
    audit(db.session, "meeting.booked", actor=user, target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr,
          detail={"via": "time search", "starts_at": format_instant(meeting.starts_at),
                  "invited": [invitation.user_id for invitation in invited], "board_id": meeting.board_id,
                  "case_id": case.id if case else None})
    db.session.commit()
    flash(ngettext("Booked %(title)s, %(when)s: %(num)s invitation sent.",
                   "Booked %(title)s, %(when)s: %(num)s invitations sent.", len(invited),
                   title=meeting.title, when=local_time(meeting.starts_at, zone)))
    return redirect(url_for("web.meeting_page", meeting_id=meeting.id))


# --- meetings ------------------------------------------------------------------------------------------

MEETINGS_AHEAD = timedelta(days=35)
MEETINGS_BEHIND = timedelta(days=35)
MEETINGS_PER_PAGE = 50


@web.get("/coordinator/meetings")
@page(COORDINATING)
def meetings_list():
    """Upcoming and recent meetings, a page of each, each with its page, its agenda editor and its attendance."""
    user, at = current_actor(), now_utc()
    with_agenda = select(Meeting).options(selectinload(Meeting.agenda))
    try:
        upcoming = keyset_page(db.session, with_agenda.where(Meeting.ends_at > at, Meeting.starts_at < at + MEETINGS_AHEAD),
                               columns=[Meeting.starts_at, Meeting.id], limit=MEETINGS_PER_PAGE,
                               cursor=request.args.get("upcoming_after") or None)
        recent = keyset_page(db.session, with_agenda.where(Meeting.ends_at <= at, Meeting.starts_at >= at - MEETINGS_BEHIND),
                             columns=[Meeting.starts_at, Meeting.id], descending=True, limit=MEETINGS_PER_PAGE,
                             cursor=request.args.get("recent_after") or None)
    except InvalidInput:
        abort(404)
    board_by_id = boards.boards_by_id(db.session, (meeting.board_id for meeting in upcoming.rows + recent.rows),
                                      selectinload(Board.members))

    def rows(meetings):
        found = []
        for meeting in meetings:
            board = board_by_id.get(meeting.board_id)
            found.append({"meeting": meeting, "board": board, "cases": len(agendas.items_on(meeting)),
                          "runs": boards.may_manage_members(user, board) if board else user.has_role(*COORDINATING)})
        return found

    return render_template("coordinator/meetings.html", user=user, zone=user.timezone,
                           upcoming=rows(upcoming.rows), recent=rows(recent.rows),
                           upcoming_next=upcoming.next_cursor, recent_next=recent.next_cursor)


# --- rota grid and cover requests --------------------------------------------------------------------


@web.get("/coordinator/rotas")
@page(COORDINATING)
def rota_grid():
    user, at = current_actor(), now_utc()
    zone = user.timezone
    monday = parse_week(request.args.get("week"), zone, at)
    weeks = [monday + timedelta(weeks=n) for n in range(ROTA_WEEKS)]
    bounds = [(local_midnight(week, zone), local_midnight(week + timedelta(days=7), zone)) for week in weeks]
    try:
        page_of_rotas, shifts, cover = rotas.rota_grid(db.session, bounds[0][0], bounds[-1][1],
                                                       limit=ROTAS_PER_PAGE, cursor=request.args.get("after") or None)
    except InvalidInput:
        abort(404)
    grid = [{"rota": rota, "cover": cover[rota.id],
             "cells": [[shift for shift in shifts[rota.id] if shift.starts_at < end and shift.ends_at > start]
                       for start, end in bounds]}
            for rota in page_of_rotas.rows]
    return render_template("coordinator/rotas.html", user=user, zone=zone, weeks=weeks, grid=grid,
                           next_cursor=page_of_rotas.next_cursor, week=request.args.get("week"),
                           form=PlainForm(), allowed=rotas.allowed_actions,
                           reason_limit=rotas.DECISION_REASON_LIMIT,
                           prev_week=(monday - timedelta(weeks=ROTA_WEEKS)).isoformat(),
                           next_week=(monday + timedelta(weeks=ROTA_WEEKS)).isoformat())


@web.post("/coordinator/cover-requests/<int:request_id>/<action>")
@page(COORDINATING)
def decide_cover(request_id: int, action: str):
    operation = {"approve": rotas.approve_cover, "reject": rotas.reject_cover}.get(action)
    if operation is None or not PlainForm().validate_on_submit():
        abort(400)
    user = current_actor()
    cover = rotas.get_cover_request(db.session, request_id, for_update=True)
    rotas.get_shift(db.session, cover.shift_id, for_update=True)
    reason = (request.form.get("reason") or "").strip()
    try:
        if action == "reject":
            operation(db.session, cover, user, at=now_utc(), reason=reason)
        else:
            operation(db.session, cover, user, at=now_utc())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        name, detail = rotas.decision_audit(cover)
        audit(db.session, name, actor=user, target_type="cover_request", target_id=cover.id,
              source_address=request.remote_addr, detail=detail)
        db.session.commit()
        flash(gettext("Cover request #%(id)s approved.", id=cover.id) if action == "approve"
              else gettext("Cover request #%(id)s rejected.", id=cover.id))
    return redirect(url_for("web.rota_grid"))
