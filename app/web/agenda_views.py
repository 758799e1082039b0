"""Coordinator pages for one meeting: the agenda editor and the attendance report.

The agenda editor (`/meetings/<id>/agenda`) lists the cases in order and lets the board's
coordinators (and admins) move them up or down, add a triaged case, take one off with a reason and,
once the meeting is over, roll what it did not discuss over to the board's next meeting. It calls the
same operations as the API (`app.meetings.agenda`), authorised the same way
(`app.meetings.api.coordinated_meeting`: 404 for a meeting one may not see, 403 for one one may not
run). Moving uses htmx when it is there (the list is swapped and focus stays on the moved case's
button); every form also works as a plain POST.

The attendance report (`/meetings/<id>/attendance`) shows who was invited, who was present (each
stretch joined / left in the viewer's zone) and who was absent, per discipline.
"""
from __future__ import annotations

from collections import OrderedDict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.audit.operations import record as audit
from app.boards.models import Board
from app.boards.operations import get_visible_meeting, may_manage_members
from app.cases import api as cases_api
from app.cases.models import Case
from app.cases.visibility import FULL, HIDDEN_CASE_LABEL, case_access
from app.errors import Conflict, DomainError, InvalidInput
from app.extensions import db
from app.inputs import parse_id
from app.meetings import agenda, attendance
from app.meetings.api import coordinated_meeting
from app.meetings.models import Meeting
from app.security import current_actor, page
from app.timekeeping import now_utc
from app.web import web
from app.web.coordinator_views import COORDINATING
from app.web.forms import PlainForm

# --- reading --------------------------------------------------------------------------------------


def is_editable(meeting: Meeting, at) -> bool:
    """Cases may be added, moved and removed until the meeting starts."""
    return meeting.status == "scheduled" and meeting.starts_at > at


def may_roll_over(meeting: Meeting, at) -> bool:
    return meeting.status != "cancelled" and attendance.is_over(meeting, at) and any(
        item.status == "listed" for item in meeting.agenda)


def agenda_items(meeting: Meeting, actor) -> list[dict]:
    """The agenda in order, each case at the viewer's access level; the read is audited as the API does.
    A case the viewer may not see (`app.cases.visibility`) is "a case you cannot see": its place and
    progress only, no id, urgency or disciplines, and no controls (as the agenda API answers)."""
    rows = []
    for item in sorted(agenda.items_on(meeting), key=lambda item: item.position):
        case = db.session.get(Case, item.case_id)
        level = case_access(db.session, actor, case)
        if level is None:
            rows.append({"item": item, "case": None, "access": None, "full": False, "hidden": True,
                         "label": HIDDEN_CASE_LABEL, "disciplines": [], "rolled_from": None})
            continue
        rows.append({"item": item, "case": case, "access": level, "full": level == FULL, "hidden": False,
                     "disciplines": [d.code for d in case.disciplines],
                     "rolled_from": item.rolled_from_meeting_id})
    # the cases' own trails show who read them here
    cases_api.audit_cases_shown([(row["case"], row["access"]) for row in rows if not row["hidden"]],
                                via="agenda editor")
    audit(db.session, "meeting.agenda_viewed", actor=actor, target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr,
          detail={"case_ids": [row["case"].id for row in rows if not row["hidden"]], "via": "agenda editor"})
    return rows


def addable_cases(meeting: Meeting, actor) -> list[dict]:
    """Triaged cases waiting for this meeting's board (urgent first, then oldest) that the viewer may see
    and schedule; each listing is audited."""
    rows = []
    for case in agenda.waiting_cases(db.session):
        if meeting.board_id is not None and case.board_id != meeting.board_id:
            continue
        level = case_access(db.session, actor, case)
        if level is None or not agenda.may_schedule_case(db.session, actor, case):
            continue
        rows.append({"case": case, "access": level, "full": level == FULL,
                     "disciplines": [d.code for d in case.disciplines]})
    cases_api.audit_cases_shown([(row["case"], row["access"]) for row in rows], via="agenda editor")
    return rows


def not_discussed(meeting: Meeting) -> list[int]:
    return [item.case_id for item in sorted(meeting.agenda, key=lambda item: item.position)
            if item.status == "listed"]


def not_discussed_labels(meeting: Meeting, rows: list[dict]) -> list[str]:
    """What the roll-over says of each case not discussed: "#id", or "a case you cannot see"."""
    hidden = {row["item"].case_id for row in rows if row["hidden"]}
    return [gettext(HIDDEN_CASE_LABEL) if case_id in hidden else f"#{case_id}" for case_id in not_discussed(meeting)]


def next_meeting(meeting: Meeting, at) -> Meeting | None:
    board = db.session.get(Board, meeting.board_id) if meeting.board_id else None
    if board is None:
        return None
    return agenda.next_meeting_with_room(db.session, board, at=at, exclude_id=meeting.id)


def _context(meeting: Meeting, *, errors=None, raw=None, message=None, focus=None) -> dict:
    user, at = current_actor(), now_utc()
    board = db.session.get(Board, meeting.board_id) if meeting.board_id else None
    editable, roll_over = is_editable(meeting, at), may_roll_over(meeting, at)
    items = agenda_items(meeting, user)
    return {
        "user": user, "zone": user.timezone, "now": at, "meeting": meeting, "board": board,
        "items": items, "editable": editable,
        "addable": addable_cases(meeting, user) if editable else [],
        "cutoff": agenda.cutoff_of(meeting, board) if board else None,
        "room": agenda.room_on(meeting, board) if board else None,
        "roll_over": roll_over, "not_discussed": not_discussed_labels(meeting, items),
        "next_meeting": next_meeting(meeting, at) if roll_over else None,
        "errors": errors or {}, "raw": raw or {}, "message": message, "focus": focus, "form": PlainForm(),
    }


def render_editor(meeting: Meeting, status: int = 200, **kwargs):
    context = _context(meeting, **kwargs)
    context["failed"] = status >= 400
    db.session.commit()  # the audit rows of this read
    template = ("coordinator/_agenda_items.html" if request.headers.get("HX-Request") == "true"
                and request.method == "POST" else "coordinator/agenda.html")
    return render_template(template, **context), status


@web.get("/meetings/<int:meeting_id>/agenda")
@page(COORDINATING)
def agenda_editor(meeting_id: int):
    meeting = coordinated_meeting(meeting_id)  # 404 / 403 as the API answers
    focus = request.args.get("focus")
    return render_editor(meeting, focus=focus)


# --- changing the agenda ----------------------------------------------------------------------------


def _checked_meeting(meeting_id: int) -> Meeting:
    meeting = coordinated_meeting(meeting_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    return meeting


def _case_id_field(name: str = "case_id") -> int | None:
    raw = (request.form.get(name) or "").strip()
    return parse_id(raw)


def _after_change(meeting: Meeting, message: str, focus: str | None = None):
    audit(db.session, "meeting.agenda_changed", actor=current_actor(), target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr, detail={"case_ids": [row.case_id for row in sorted(
              agenda.items_on(meeting), key=lambda item: item.position)], "change": message})
    db.session.commit()
    if request.headers.get("HX-Request") == "true":
        return render_editor(meeting, message=message, focus=focus)
    flash(message)
    return redirect(url_for("web.agenda_editor", meeting_id=meeting.id, focus=focus) + "#agenda-items")


@web.post("/meetings/<int:meeting_id>/agenda/move")
@page(COORDINATING)
def move_agenda_item(meeting_id: int):
    meeting = _checked_meeting(meeting_id)
    case_id, direction = _case_id_field(), request.form.get("direction")
    order = [item.case_id for item in sorted(agenda.items_on(meeting), key=lambda item: item.position)]
    # a case the viewer may not see is, to them, not on the agenda (app.meetings.agenda.visible_item)
    if (case_id not in order or direction not in ("up", "down")
            or agenda.visible_item(db.session, meeting, current_actor(), case_id) is None):
        return render_editor(meeting, 422, message=gettext("That case is no longer on the agenda; the list is shown again."))
    if not is_editable(meeting, now_utc()):
        return render_editor(meeting, 409, message=gettext("The meeting has begun; its agenda can no longer be changed."))
    index = order.index(case_id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(order):
        edge = gettext("Case #%(id)s is already first.", id=case_id) if direction == "up" else gettext(
            "Case #%(id)s is already last.", id=case_id)
        return render_editor(meeting, 409, message=edge,
                             focus=f"move-{'down' if direction == 'up' else 'up'}-{case_id}")
    order[index], order[other] = order[other], order[index]
    agenda.reorder(meeting, order)
    db.session.flush()
    at_edge = other == 0 if direction == "up" else other == len(order) - 1
    focus_direction = direction if not at_edge else ("down" if direction == "up" else "up")
    return _after_change(meeting, (gettext("Case #%(id)s moved up to position %(position)s of %(count)s.", id=case_id, position=other + 1,
                                        count=len(order)) if direction == "up" else
                                gettext("Case #%(id)s moved down to position %(position)s of %(count)s.", id=case_id,
                                        position=other + 1, count=len(order))),
                         focus=f"move-{focus_direction}-{case_id}")


@web.post("/meetings/<int:meeting_id>/agenda/add")
@page(COORDINATING)
def add_agenda_item(meeting_id: int):
    meeting = _checked_meeting(meeting_id)
    raw = {"case_id": request.form.get("case_id", ""), "at_top": bool(request.form.get("at_top"))}
    case_id = _case_id_field()
    case = db.session.get(Case, case_id) if case_id is not None else None
    if case is None:
        return render_editor(meeting, 422, errors={"case_id": gettext("Choose a case to add.")}, raw=raw)
    try:
        agenda.add_case(db.session, meeting, case, current_actor(), at=now_utc(), as_coordinator=True,
                        at_top=raw["at_top"])
    except (InvalidInput, Conflict) as error:
        db.session.rollback()
        return render_editor(meeting, 422 if isinstance(error, InvalidInput) else 409,
                             errors={"case_id": error.message}, raw=raw)
    return _after_change(meeting, (gettext("Case #%(id)s added to the top of the agenda.", id=case.id) if raw["at_top"]
                                     else gettext("Case #%(id)s added to the agenda.", id=case.id)),
                         focus=f"move-up-{case.id}" if not raw["at_top"] else f"move-down-{case.id}")


@web.post("/meetings/<int:meeting_id>/agenda/remove")
@page(COORDINATING)
def remove_agenda_item(meeting_id: int):
    meeting = _checked_meeting(meeting_id)
    case_id = _case_id_field()
    item = agenda.visible_item(db.session, meeting, current_actor(), case_id)
    if item is None:
        return render_editor(meeting, 404, message=gettext("That case is not on the agenda."))
    reason = (request.form.get("reason") or "").strip()
    removal_reason = (request.form.get("removal_reason") or "other").strip()
    field, kind = f"reason-{case_id}", f"removal-reason-{case_id}"
    raw = {field: reason, kind: removal_reason}
    if not is_editable(meeting, now_utc()):
        return render_editor(meeting, 409, raw=raw,
                             errors={field: gettext("The meeting has begun; its agenda can no longer be changed.")})
    try:
        agenda.remove_case(db.session, item, current_actor(), at=now_utc(), reason=reason,
                           removal_reason=removal_reason)
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, InvalidInput):
            target = kind if error.field == "removal_reason" else field
            return render_editor(meeting, 422, errors={target: error.message.capitalize() + "."}, raw=raw)
        return render_editor(meeting, 409, errors={field: error.message}, raw=raw)
    return _after_change(meeting, gettext("Case #%(id)s taken off the agenda; it is triaged again.", id=case_id))


@web.post("/meetings/<int:meeting_id>/agenda/roll-over")
@page(COORDINATING)
def roll_over_agenda(meeting_id: int):
    meeting = _checked_meeting(meeting_id)
    at = now_utc()
    if not may_roll_over(meeting, at):
        return render_editor(meeting, 409, errors={"roll_over": (
            gettext("Only a meeting that is over can roll cases over, and this one has no case left undiscussed.")
            if attendance.is_over(meeting, at) else gettext("The meeting is not over yet; cases roll over once it is."))})
    waiting = not_discussed(meeting)
    target = next_meeting(meeting, at)
    rolled = agenda.roll_over(db.session, meeting, at=at)
    message = ngettext("%(num)s case rolled over to the top of %(title)s (#%(id)s).",
                       "%(num)s cases rolled over to the top of %(title)s (#%(id)s).", rolled,
                       title=target.title if target else gettext("the next meeting"), id=target.id if target else "—")
    if rolled < len(waiting):
        message += " " + gettext("%(count)s had no meeting with room and are triaged again.",
                                 count=len(waiting) - rolled)
    return _after_change(meeting, message)


# --- attendance -------------------------------------------------------------------------------------


SEATLESS = _l("Chair, attendees and observers")


def attendance_groups(people: list[dict]) -> "OrderedDict[str, list[dict]]":
    """People grouped by the discipline of their seat (seats first, alphabetically), then everyone else."""
    groups: dict[str, list[dict]] = {}
    for person in people:
        key = person["discipline"] if person["role"] == "seat" and person["discipline"] else SEATLESS
        groups.setdefault(key, []).append(person)
    ordered = OrderedDict((key, groups[key]) for key in sorted(k for k in groups if k != SEATLESS))
    if SEATLESS in groups:
        ordered[SEATLESS] = groups[SEATLESS]
    return ordered


def presence_of(person: dict, over: bool) -> str:
    """present, present now, absent, declined, withdrawn, or expected (not begun)."""
    if person["attended"]:
        return "present now" if person["present_now"] else "present"
    if person["invitation_status"] in ("declined", "withdrawn"):
        return person["invitation_status"]
    return "absent" if over else "not yet joined"


@web.get("/meetings/<int:meeting_id>/attendance")
@page(COORDINATING)
def attendance_page(meeting_id: int):
    user, at = current_actor(), now_utc()
    meeting = get_visible_meeting(db.session, user, meeting_id)  # 404 as the API answers
    people = attendance.meeting_attendance(db.session, meeting, at=at)
    over = attendance.is_over(meeting, at)
    for person in people:
        person["presence"] = presence_of(person, over)
    groups = attendance_groups(people)
    expected = [p for p in people if p["invitation_status"] not in ("declined", "withdrawn")]
    summary = {"invited": len([p for p in people if p["invitation_status"] is not None]),
               "present": len([p for p in people if p["attended"]]),
               "absent": len([p for p in expected if not p["attended"]]) if over else None,
               "declined": len([p for p in people if p["invitation_status"] == "declined"])}
    names = {p["user_id"]: p["name"] for p in people}
    quorum = meeting.quorum_at_start or {}
    board = db.session.get(Board, meeting.board_id) if meeting.board_id else None
    audit(db.session, "meeting.attendance_viewed", actor=user, target_type="meeting", target_id=meeting.id,
          source_address=request.remote_addr, detail={"people": len(people)})
    db.session.commit()
    return render_template("coordinator/attendance.html", user=user, zone=user.timezone, meeting=meeting,
                           board=board, groups=groups, summary=summary, over=over, quorum=quorum, names=names,
                           may_edit=board is not None and may_manage_members(user, board))

