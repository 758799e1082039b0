"""The coordinator's case board: the cases of the boards they may see, in columns by state.

Filters come from the query string (`board`, `urgency`, `site`). The page subscribes to the
`board:<id>` live rooms of the boards the coordinator runs; on `case.state_changed` it re-fetches
the columns fragment (`/coordinator/cases/columns`, same query string). Reads go through
`visible_cases` (so `case_access`) and are audited with the cases API's helper.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Organization
from app.boards import operations as boards
from app.boards.models import BoardMember
from app.cases import api as cases_api
from app.cases.models import Case
from app.cases import visibility
from app.cases.visibility import viewer_facts, visible_case_counts_by_state, visible_cases
from app.extensions import db
from app.inputs import parse_id
from app.security import current_actor, page
from app.timekeeping import now_utc
from app.web import web
from app.web.coordinator_views import COORDINATING, describe_left

# The columns, in the order a case moves through them (drafts are the referrer's own business).
COLUMNS = (("submitted", _l("Submitted")), ("returned", _l("Returned to referrer")), ("triaged", _l("Triaged")),
           ("scheduled", _l("Scheduled")), ("listed_not_discussed", _l("Listed, not discussed")),
           ("discussed", _l("Discussed")), ("outcome_signed", _l("Outcome signed")))
URGENCY_FILTERS = ("routine", "urgent")
# Cards per column (urgent first, then soonest target); the column's badge counts them all.
COLUMN_CARDS = 30


def _int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name))


def board_filters() -> dict:
    urgency = request.args.get("urgency", "")
    return {"board": _int_arg("board"), "urgency": urgency if urgency in URGENCY_FILTERS else None,
            "site": _int_arg("site")}


def run_board_ids(user) -> list[int]:
    """The boards `user` coordinates (their live rooms are subscribed to)."""
    return sorted(db.session.scalars(select(BoardMember.board_id).where(
        BoardMember.user_id == user.id, BoardMember.role == "coordinator")).all())


def board_columns(user, chosen: dict) -> list[dict]:
    at = now_utc()
    conditions = [Case.state.in_([state for state, _ in COLUMNS])]
    if chosen["board"] is not None:
        conditions.append(Case.board_id == chosen["board"])
    if chosen["urgency"] is not None:
        conditions.append(Case.urgency == chosen["urgency"])
    if chosen["site"] is not None:  # a summary does not show its site: filter only cases seen in full
        conditions.append(visibility.list_filter(viewer_facts(db.session, user), "organization_id",
                                                 Case.organization_id == chosen["site"]))
    # One query per column (a fixed number), each cut to COLUMN_CARDS in SQL, and one count per state.
    order = [Case.urgency != "urgent", Case.target_at.is_(None), Case.target_at, Case.id]
    rows = [row for state, _ in COLUMNS
            for row in visible_cases(db.session, user, filters=conditions + [Case.state == state], order=order,
                                     limit=COLUMN_CARDS)]
    totals = visible_case_counts_by_state(db.session, user, filters=conditions)
    cases_api.audit_cases_shown(rows, via="case board")
    db.session.commit()
    columns = {state: {"state": state, "label": label, "cards": [], "total": totals.get(state, 0)}
               for state, label in COLUMNS}
    for case, level in rows:
        left = (case.target_at - at) if case.target_at else None
        columns[case.state]["cards"].append({"case": case, "access": level, "left": left,
                                             "overdue": left is not None and left.total_seconds() < 0})
    return list(columns.values())


def _context(user) -> dict:
    chosen = board_filters()
    return {"user": user, "zone": user.timezone, "columns": board_columns(user, chosen), "chosen": chosen,
            "describe_left": describe_left}


@web.get("/coordinator/cases")
@page(COORDINATING)
def case_board():
    user = current_actor()
    context = _context(user)
    board_list = boards.list_boards(db.session)
    sites = list(db.session.scalars(select(Organization).order_by(Organization.name)))
    return render_template("cases/board.html", boards=board_list, sites=sites, urgencies=URGENCY_FILTERS,
                           board_names={board.id: board.name for board in board_list},
                           rooms=[f"board:{board_id}" for board_id in run_board_ids(user)], **context)


@web.get("/coordinator/cases/columns")
@page(COORDINATING)
def case_board_columns():
    """The columns alone (what the page re-fetches when a case moves)."""
    user = current_actor()
    board_names = {board.id: board.name for board in boards.list_boards(db.session)}
    return render_template("cases/_columns.html", board_names=board_names, **_context(user))
