"""The demo boards' calls: with Jitsi Meet configured every meeting gets its own room; otherwise each
board carries the standing link its host would paste from Teams, Zoom or Webex."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.boards.models import Board
from app.conferencing.operations import jitsi_server

# The demo's boards in the order they are created, each with a service a hospital like its host uses.
STANDING_LINKS = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_thoracic-oncology-mdt%40thread.v2/0",
    "https://zoom.us/j/93100456789",
    "https://meridian-network.webex.com/meet/mdt.board",
)


def seed_conferencing(session: Session) -> list[Board]:
    """Give every demo board without a call a standing link, unless Jitsi gives each meeting a room."""
    if jitsi_server() is not None:
        return []
    boards = session.scalars(select(Board).where(Board.conference_url.is_(None)).order_by(Board.id)).all()
    for number, board in enumerate(boards):
        board.conference_url = STANDING_LINKS[number % len(STANDING_LINKS)]
    session.flush()
    return list(boards)
