"""Boards in the coordinator's workspace: the list, a new board, and one board's settings with its
quorum and members by role. Only a board's own coordinators (or an admin) change it; the rules are
`app.boards.operations`', as for the API."""
from __future__ import annotations

import re
from datetime import time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts import operations as accounts
from app.accounts.models import Organization, User
from app.audit.operations import record as audit
from app.boards import operations as boards
from app.boards.models import MEMBER_ROLES, Board
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.inputs import parse_id, parse_integer
from app.paging import keyset_page
from app.security import current_actor, page
from app.specialists.operations import list_disciplines
from app.timekeeping import now_utc
from app.web import web
from app.web.filters import weekday_name
from app.web.forms import choice
from app.web.layout import COORDINATING
from app.web.people_picker import people_named
from app.web.workspace_forms import BoardForm

BOARDS_PER_PAGE = 25
MAX_ROWS = 60      # rows of quorum or members read from one form
BLANK_ROWS = 3     # empty rows offered for additions
SETTINGS = ("name", "timezone", "weekday", "start_time", "duration_minutes", "interval_weeks", "cases_per_meeting",
            "minutes_per_case", "agenda_cutoff_hours", "replace_declines", "is_active", "conference_url")


@web.get("/coordinator/boards")
@page(COORDINATING)
def boards_list():
    user = current_actor()
    statement = select(Board).options(selectinload(Board.members), selectinload(Board.quorum),
                                      selectinload(Board.host_organization))
    try:
        found = keyset_page(db.session, statement, columns=[Board.name, Board.id], limit=BOARDS_PER_PAGE,
                            cursor=request.args.get("after") or None)
    except InvalidInput:
        abort(404)
    rows = [{"board": board, "runs": boards.may_manage_members(user, board),
             "counts": {role: sum(1 for m in board.members if m.role == role) for role in MEMBER_ROLES}}
            for board in found.rows]
    return render_template("coordinator/boards.html", user=user, zone=user.timezone, rows=rows,
                           next_cursor=found.next_cursor)


# --- the form ---------------------------------------------------------------------------------------


def _setup(form: BoardForm) -> None:
    organisations = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    form.host_organization_id.choices = [choice(str(o.id), f"{o.name} ({o.country})") for o in organisations]
    form.weekday.choices = [choice(str(day), weekday_name(day)) for day in range(7)]


def _emails_of(user_ids) -> dict[int, str]:
    ids = {user_id for user_id in user_ids if isinstance(user_id, int)}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def posted_rows(prefix: str, names: tuple[str, ...]) -> list[tuple[int, dict]]:
    """The filled rows `<prefix>-<n>-<name>` of the form, with their row number."""
    rows = []
    for number in range(MAX_ROWS):
        values = {name: request.form.get(f"{prefix}-{number}-{name}", "").strip() for name in names}
        if any(values.values()):
            rows.append((number, values))
    return rows


def read_quorum(errors: dict) -> tuple[list[dict], list[int]]:
    items, numbers = [], []
    for number, values in posted_rows("quorum", ("discipline", "count")):
        count = parse_integer(values["count"] or "1")
        if count is None:
            errors[f"quorum-{number}-count"] = gettext("Enter a whole number from 1 to 10.")
            continue
        if not values["discipline"]:
            errors[f"quorum-{number}-discipline"] = gettext("Choose a discipline.")
            continue
        items.append({"discipline": values["discipline"], "count": int(count)})
        numbers.append(number)
    if not items and not errors:
        errors["quorum-0-discipline"] = gettext("Name at least one discipline the board needs.")
    return items, numbers


def read_members(errors: dict) -> tuple[list[dict], list[int], list[dict]]:
    """The member rows, each person named by e-mail (or, from a script, by id), all looked up at once.
    Also the rows as typed, to show again if the form is refused."""
    rows, typed = [], []
    for number, values in posted_rows("member", ("user", "role", "discipline")):
        typed.append({"person": values["user"], "role": values["role"], "discipline": values["discipline"]})
        if not values["user"]:
            continue  # a row without a person is empty (its role select always holds a value)
        if parse_id(values["user"]) is None and "@" not in values["user"]:
            errors[f"member-{number}-user"] = gettext("Type the person's e-mail address.")
            continue
        rows.append((number, values))
    found = people_named([values["user"] for _, values in rows])
    items, numbers = [], []
    for number, values in rows:
        person = found.get(values["user"])
        if person is not None:
            user_id = person.id
        elif "@" in values["user"]:
            errors[f"member-{number}-user"] = gettext("No active person has the e-mail %(email)s.",
                                                      email=accounts.normalize_email(values["user"]))
            continue
        else:  # an id nobody active has: the board's rules name the row
            user_id = parse_id(values["user"])
        items.append({"user_id": user_id, "role": values["role"], "discipline": values["discipline"] or None})
        numbers.append(number)
    return items, numbers, typed


ROW_FIELD = re.compile(r"^(quorum|members)\[(\d+)\](?:\.(\w+))?$")
MEMBER_FIELD = {"user_id": "user", "role": "role", "discipline": "discipline", None: "user"}


def place_error(form: BoardForm, errors: dict, error: InvalidInput | Conflict, quorum_rows, member_rows) -> None:
    """Put a domain error beside the control it is about (a row's, or a setting's), else on the form."""
    field = getattr(error, "field", None) or ("name" if isinstance(error, Conflict) else None)
    match = ROW_FIELD.match(field or "")
    if match:
        kind, index, part = match.group(1), int(match.group(2)), match.group(3)
        numbers = quorum_rows if kind == "quorum" else member_rows
        number = numbers[index] if index < len(numbers) else 0
        name = (f"quorum-{number}-{part or 'discipline'}" if kind == "quorum"
                else f"member-{number}-{MEMBER_FIELD.get(part, 'user')}")
        errors[name] = error.message
    elif field == "quorum":
        errors["quorum-0-discipline"] = error.message
    elif field in form._fields:
        form._fields[field].errors = list(form._fields[field].errors or []) + [error.message]
    else:
        form.form_errors.append(error.message)


def render_board_form(form, board, errors, quorum, members, status=200):
    """`members`: rows naming their person by `user_id` (saved) or as typed (`person`)."""
    quorum_rows = list(quorum) + [{"discipline": "", "count": ""} for _ in range(BLANK_ROWS)]
    emails = _emails_of(row.get("user_id") for row in members)
    member_rows = [{"person": row["person"] if "person" in row else emails.get(row["user_id"], ""),
                    "role": row["role"], "discipline": row["discipline"]} for row in members]
    member_rows += [{"person": "", "role": "", "discipline": ""} for _ in range(BLANK_ROWS)]
    return render_template("coordinator/board_form.html", user=current_actor(), zone=current_actor().timezone,
                           form=form, board=board, errors=errors, quorum_rows=quorum_rows,
                           member_rows=member_rows, disciplines=list_disciplines(db.session), roles=MEMBER_ROLES), status


def _posted_quorum(quorum_items):
    return [{"discipline": q["discipline"], "count": q["count"]} for q in quorum_items]


def _settings(form: BoardForm) -> dict:
    hours, minutes = (int(part) for part in form.start_time.data.split(":"))
    return {"name": form.name.data, "timezone": (form.timezone.data or "").strip() or None,
            "weekday": int(form.weekday.data), "start_time": time(hours, minutes),
            "duration_minutes": form.duration_minutes.data, "interval_weeks": int(form.interval_weeks.data),
            "cases_per_meeting": form.cases_per_meeting.data, "minutes_per_case": form.minutes_per_case.data,
            "agenda_cutoff_hours": form.agenda_cutoff_hours.data, "replace_declines": form.replace_declines.data,
            # only when posted: a client that leaves the field out keeps the board's call
            **({"conference_url": (form.conference_url.data or "").strip() or None}
               if "conference_url" in request.form else {})}


@web.route("/coordinator/boards/new", methods=["GET", "POST"])
@page(COORDINATING)
def new_board():
    user, at = current_actor(), now_utc()
    form = BoardForm()
    _setup(form)
    if request.method == "GET":
        form.host_organization_id.data = str(user.organization_id)
        form.weekday.data, form.start_time.data = "3", "14:00"
        return render_board_form(form, None, {}, [], [{"user_id": user.id, "role": "coordinator", "discipline": ""}]
                                 if user.has_role("coordinator") else [])
    errors: dict = {}
    quorum, quorum_numbers = read_quorum(errors)
    members, member_numbers, typed_members = read_members(errors)
    if form.validate_on_submit() and not errors:
        try:
            board = boards.create_board(db.session, at=at, creator=user, quorum=quorum, members=members,
                                        host_organization_id=int(form.host_organization_id.data), **_settings(form))
        except (InvalidInput, Conflict) as error:
            db.session.rollback()
            place_error(form, errors, error, quorum_numbers, member_numbers)
        else:
            result = boards.sync_board_meetings(db.session, board, at)
            audit(db.session, "board.created", actor=user, target_type="board", target_id=board.id,
                  source_address=request.remote_addr, detail={"name": board.name, "meetings_created": result.created})
            db.session.commit()
            flash(gettext("Board %(name)s created with %(count)s meetings ahead.", name=board.name,
                          count=result.created))
            return redirect(url_for("web.edit_board", board_id=board.id))
    return render_board_form(form, None, errors, _posted_quorum(quorum), typed_members, status=422)


@web.route("/coordinator/boards/<int:board_id>", methods=["GET", "POST"])
@page(COORDINATING)
def edit_board(board_id: int):
    user, at = current_actor(), now_utc()
    board = boards.get_board(db.session, board_id)  # NotFound -> 404 page
    if not boards.may_manage_members(user, board):
        abort(403)
    form = BoardForm()
    _setup(form)
    current_quorum = [{"discipline": q.discipline_code, "count": q.count} for q in board.quorum]
    current_members = [{"user_id": m.user_id, "role": m.role, "discipline": m.discipline_code or ""}
                       for m in board.members]
    if request.method == "GET":
        for name in SETTINGS:
            getattr(form, name).data = getattr(board, name)
        form.start_time.data = board.start_time.strftime("%H:%M")
        form.weekday.data, form.interval_weeks.data = str(board.weekday), str(board.interval_weeks)
        form.host_organization_id.data = str(board.host_organization_id)
        return render_board_form(form, board, {}, current_quorum, current_members)
    errors: dict = {}
    quorum, quorum_numbers = read_quorum(errors)
    members, member_numbers, typed_members = read_members(errors)
    if form.validate_on_submit() and not errors:
        try:
            changes = {**_settings(form), "is_active": bool(form.is_active.data), "quorum": quorum,
                       "host_organization_id": int(form.host_organization_id.data)}
            diff = boards.update_board(db.session, board, changes)
            member_diff = boards.replace_members(db.session, board, members)
        except (InvalidInput, Conflict) as error:
            db.session.rollback()
            place_error(form, errors, error, quorum_numbers, member_numbers)
        else:
            result = boards.sync_board_meetings(db.session, board, at)
            audit(db.session, "board.updated", actor=user, target_type="board", target_id=board.id,
                  source_address=request.remote_addr, detail={
                      "changes": diff, "meetings": {"created": result.created, "rescheduled": result.rescheduled,
                                                    "cancelled": result.cancelled, "reinstated": result.reinstated}})
            if member_diff["from"] != member_diff["to"]:
                audit(db.session, "board.members_replaced", actor=user, target_type="board", target_id=board.id,
                      source_address=request.remote_addr, detail=member_diff)
            db.session.commit()
            flash(gettext("Board %(name)s saved.", name=board.name))
            return redirect(url_for("web.edit_board", board_id=board.id))
    return render_board_form(form, board, errors, _posted_quorum(quorum), typed_members, status=422)

