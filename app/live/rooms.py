"""Who may join which live room. The same rules as the API; deny by default.

- `board:<id>`: people who see all of the board's meetings (its members, coordinators, admins);
- `meeting:<id>`: whoever may view the meeting (`may_view_meeting`);
- `case:<id>`: whoever `case_access` allows; summary-level viewers are put in `case:<id>:summary`
  and only receive events that carry `summary_data`;
- `user:<id>`: only that user.

Plain Python over a session. A refusal never says whether the room's object exists.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.boards.models import Board
from app.boards.operations import may_view_meeting, sees_all_meetings
from app.cases.models import Case
from app.cases.visibility import FULL, SUMMARY, case_access
from app.live.publish import check_room, summary_room
from app.meetings.models import Meeting

@dataclass(frozen=True)
class RoomAccess:
    room: str          # what the client asked for (and what events name)
    socket_room: str   # the Socket.IO room actually joined
    kind: str
    object_id: int
    summary: bool = False


def room_access(session, user, room) -> RoomAccess | None:
    """What `user` may join for `room`, or None."""
    if user is None or not getattr(user, "is_active", False) or not isinstance(room, str):
        return None
    try:
        kind, object_id = check_room(room)
    except ValueError:
        return None
    if kind == "user":
        return RoomAccess(room, room, kind, object_id) if object_id == user.id else None
    if kind == "board":
        board = session.get(Board, object_id)
        if board is None or not sees_all_meetings(user, board):
            return None
        return RoomAccess(room, room, kind, object_id)
    if kind == "meeting":
        meeting = session.get(Meeting, object_id)
        if meeting is None or not may_view_meeting(session, user, meeting):
            return None
        return RoomAccess(room, room, kind, object_id)
    if kind == "case":
        level = case_access(session, user, session.get(Case, object_id))
        if level == FULL:
            return RoomAccess(room, room, kind, object_id)
        if level == SUMMARY:
            return RoomAccess(room, summary_room(room), kind, object_id, summary=True)
        return None
    return None
