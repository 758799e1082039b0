"""A declined invitation with its note, for the coordinator's workspace: the Thoracic board's
coordinators replace declines by hand, and one specialist has declined a seat of a coming meeting."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.boards.models import Board
from app.meetings import booking
from app.meetings.models import Invitation, Meeting

BOARD = "Thoracic Oncology MDT"
NOTE = "Teaching a course in Singapore that week; Dr Shrestha in Kathmandu could cover instead."


def seed_declined_invitation(session, at: datetime) -> Invitation | None:
    """Decline, with a note, one pending seat that someone else could take, on the board's second coming
    meeting (else the first); the coordinators are told of it as they would be."""
    board = session.scalar(select(Board).where(Board.name == BOARD))
    if board is None:
        return None
    board.replace_declines = "manual"
    meetings = session.scalars(select(Meeting).where(Meeting.board_id == board.id, Meeting.status == "scheduled",
                                                     Meeting.starts_at > at).order_by(Meeting.starts_at)).all()
    for meeting in meetings[1:] + meetings[:1]:
        for invitation in reversed([i for i in meeting.invitations if i.role == "seat" and i.status == "pending"]):
            # A seat someone else could take, so the coordinator's one click finds a replacement.
            if booking.candidates_for_seat(session, meeting, invitation.discipline_code, at=at):
                booking.respond(session, invitation, invitation.user, "declined", at=at, note=NOTE)
                return invitation
    session.flush()
    return None
