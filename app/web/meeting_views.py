"""A meeting's page (anyone who may see the meeting): times in every participant's zone, quorum, agenda."""
from __future__ import annotations

from flask import render_template, request

from app.audit.operations import record as audit
from app.boards.api import InviteeProfiles, meeting_out
from app.boards.operations import get_visible_meeting
from app.extensions import db
from app.meetings import agenda
from app.security import SIGNED_IN, current_actor, page
from app.web import web
from app.web.forms import AnswerForm


def agenda_rows(meeting, actor) -> list[dict]:
    """The agenda in order; what each case shows depends on the viewer's access (cases area, if present)."""
    try:
        from app.cases.models import Case
        from app.cases.visibility import case_access
    except ImportError:  # the cases area is still being built
        return []
    rows = []
    for item in sorted(agenda.items_on(meeting), key=lambda item: item.position):
        case = db.session.get(Case, item.case_id)
        access = case_access(db.session, actor, case)
        rows.append({"position": item.position + 1, "case_id": case.id, "status": item.status,
                     "urgency": case.urgency, "disciplines": [d.code for d in case.disciplines],
                     "access": access, "rolled": item.rolled_from_meeting_id is not None,
                     "diagnosis": case.diagnosis if access == "full" else None})
    if rows:
        audit(db.session, "meeting.agenda_viewed", actor=actor, target_type="meeting", target_id=meeting.id,
              source_address=request.remote_addr, detail={"case_ids": [row["case_id"] for row in rows]})
        db.session.commit()
    return rows


@web.get("/meetings/<int:meeting_id>")
@page(SIGNED_IN)
def meeting_page(meeting_id: int):
    user = current_actor()
    meeting = get_visible_meeting(db.session, user, meeting_id)  # NotFound -> 404 page
    detail = meeting_out(meeting, InviteeProfiles())
    mine = next((i for i in meeting.invitations if i.user_id == user.id), None)
    return render_template("meeting.html", user=user, zone=user.timezone, meeting=meeting, detail=detail,
                           invitation=mine, answer_form=AnswerForm(formdata=None),
                           rows=agenda_rows(meeting, user))
