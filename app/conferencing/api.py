"""API for a meeting's call (routes on the shared /api/v1 blueprint): how I join it, and a meeting's own link."""
from __future__ import annotations

from typing import Literal

from flask import request
from pydantic import Field

from app.api import api
from app.api.endpoint import endpoint
from app.api.schema import OutputInstant, RequestBody, ResponseBody
from app.audit.operations import record as audit
from app.boards.operations import get_visible_meeting, may_manage_meeting
from app.conferencing import operations
from app.errors import NotFound, PermissionDenied
from app.extensions import db
from app.security import current_actor
from app.timekeeping import now_utc
from app.vocabulary import N_

TAGS = ("meetings",)
NO_CALL = N_("Meeting #%(id)s has no call you may join.")
MANAGERS_ONLY = N_("Only the meeting's coordinators or an admin may change its call.")


class CallOut(ResponseBody):
    kind: Literal["link", "jitsi"]
    url: str = Field(description="The call's address (for Jitsi without the token: open it with `token`)")
    service: str | None = Field(default=None, description="Microsoft Teams, Zoom or Webex, when recognised")
    domain: str | None = Field(default=None, description="Jitsi: the server, for the IFrame API")
    room: str | None = Field(default=None, description="Jitsi: the meeting's room")
    moderator: bool | None = Field(default=None, description="Jitsi: whether the token makes you moderator")
    opens_at: OutputInstant | None = Field(default=None, description="Jitsi: the token's not-before")
    closes_at: OutputInstant | None = Field(default=None, description="Jitsi: the token's expiry")
    token: str | None = Field(default=None, description="Jitsi: your JWT; null outside opens_at–closes_at")


class CallLinkIn(RequestBody):
    conference_url: str | None = Field(description="https link of this meeting's own call; null: the board's "
                                                   "link, else the deployment's Jitsi room")


class CallLinkOut(ResponseBody):
    meeting_id: int
    conference_url: str | None


@api.get("/meetings/<int:meeting_id>/call")
@endpoint(summary="How I join a meeting's call (a link, or a Jitsi room with my token)", response=CallOut, tags=TAGS)
def my_call(meeting_id: int):
    actor = current_actor()
    meeting = get_visible_meeting(db.session, actor, meeting_id)
    details = operations.join_details(db.session, meeting, actor, at=now_utc())
    if details is None:
        raise NotFound(NO_CALL, {"id": meeting_id})
    return details


@api.put("/meetings/<int:meeting_id>/call-link")
@endpoint(summary="Give a meeting its own call link, or remove it (the meeting's coordinators, admins)",
          body=CallLinkIn, response=CallLinkOut, tags=TAGS)
def set_call_link(meeting_id: int, body: CallLinkIn):
    actor = current_actor()
    meeting = get_visible_meeting(db.session, actor, meeting_id)
    if not may_manage_meeting(db.session, actor, meeting):
        raise PermissionDenied(MANAGERS_ONLY)
    change = operations.set_meeting_link(db.session, meeting, body.conference_url)
    if change:
        audit(db.session, "meeting.call_link_changed", actor=actor, target_type="meeting", target_id=meeting.id,
              source_address=request.remote_addr, detail=change)
    return {"meeting_id": meeting.id, "conference_url": meeting.conference_url}
