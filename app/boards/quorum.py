"""Quorum: does a meeting have the disciplines its board requires?

`quorum_status` is pure: it takes the requirement and the seats' answers. `meeting_quorum`
loads both for a meeting (plain SQLAlchemy; no Flask).

A seat counts for its discipline:
* accepted                     — counts now;
* pending or tentative         — might still count;
* declined or withdrawn        — never counts.

Per discipline, and for the meeting as a whole (the worst discipline decides):
* met      — at least `count` accepted;
* at_risk  — fewer accepted, but enough if every pending and tentative seat accepts;
* missing  — not enough even then.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.boards.models import QuorumRequirement
from app.meetings.models import Invitation

MET, AT_RISK, MISSING = "met", "at_risk", "missing"
COUNTS_NOW = ("accepted",)
MIGHT_COUNT = ("pending", "tentative")
KNOWN_STATUSES = ("pending", "accepted", "tentative", "declined", "withdrawn")
_SEVERITY = {MET: 0, AT_RISK: 1, MISSING: 2}


@dataclass(frozen=True)
class DisciplineQuorum:
    discipline: str
    required: int
    accepted: int
    pending: int
    tentative: int
    declined: int  # declined or withdrawn
    state: str

    @property
    def possible(self) -> int:
        """Seats that count if every pending and tentative invitee accepts."""
        return self.accepted + self.pending + self.tentative

    @property
    def short_by(self) -> int:
        """Accepted seats still needed."""
        return max(0, self.required - self.accepted)


@dataclass(frozen=True)
class QuorumStatus:
    state: str
    disciplines: tuple[DisciplineQuorum, ...]

    @property
    def missing(self) -> list[str]:
        return [item.discipline for item in self.disciplines if item.state == MISSING]

    @property
    def at_risk(self) -> list[str]:
        return [item.discipline for item in self.disciplines if item.state == AT_RISK]

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "missing": self.missing,
            "at_risk": self.at_risk,
            "disciplines": [
                {"discipline": item.discipline, "required": item.required, "accepted": item.accepted,
                 "pending": item.pending, "tentative": item.tentative, "declined": item.declined,
                 "short_by": item.short_by, "state": item.state}
                for item in self.disciplines
            ],
        }


def quorum_status(required: Mapping[str, int],
                  seats: Iterable[tuple[str | None, str]]) -> QuorumStatus:
    """The quorum state for `required` ({discipline: count}) given the seats' (discipline, status).

    Seats for disciplines the board does not require are ignored; a board that requires nothing
    is met. Disciplines are reported in alphabetical order.
    """
    tally: dict[str, Counter] = {discipline: Counter() for discipline in required}
    for discipline, status in seats:
        if status not in KNOWN_STATUSES:
            raise ValueError(f"unknown invitation status {status!r}")
        if discipline in tally:
            tally[discipline][status] += 1
    results = []
    for discipline in sorted(required):
        count = int(required[discipline])
        if count < 1:
            raise ValueError(f"the required count for {discipline} must be at least 1")
        seen = tally[discipline]
        accepted = sum(seen[status] for status in COUNTS_NOW)
        possible = accepted + sum(seen[status] for status in MIGHT_COUNT)
        if accepted >= count:
            state = MET
        elif possible >= count:
            state = AT_RISK
        else:
            state = MISSING
        results.append(DisciplineQuorum(
            discipline=discipline, required=count, accepted=accepted, pending=seen["pending"],
            tentative=seen["tentative"], declined=seen["declined"] + seen["withdrawn"], state=state))
    overall = max((item.state for item in results), key=_SEVERITY.__getitem__, default=MET)
    return QuorumStatus(state=overall, disciplines=tuple(results))


def board_requirement(session: Session, board_id: int | None) -> dict[str, int]:
    if board_id is None:
        return {}
    rows = session.execute(select(QuorumRequirement.discipline_code, QuorumRequirement.count)
                           .where(QuorumRequirement.board_id == board_id)).all()
    return {code: count for code, count in rows}


def required_seats(session: Session, meeting) -> dict[str, int]:
    """A meeting's seats: its board's quorum, plus one for any discipline a case on its agenda needs
    (an ad-hoc meeting has no board, so its agenda alone decides)."""
    from app.cases.models import Case, case_disciplines
    from app.meetings.models import AgendaItem

    required = dict(board_requirement(session, meeting.board_id))
    needed = session.scalars(
        select(case_disciplines.c.discipline_code)
        .join(Case, Case.id == case_disciplines.c.case_id)
        .join(AgendaItem, AgendaItem.case_id == Case.id)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.status.in_(("listed", "discussed")))
    ).all()
    for code in needed:
        required.setdefault(code, 1)
    return required


def meeting_quorum(session: Session, meeting) -> QuorumStatus:
    """The quorum of a meeting: its required seats against its seat invitations."""
    seats = session.execute(select(Invitation.discipline_code, Invitation.status)
                            .where(Invitation.meeting_id == meeting.id, Invitation.role == "seat")).all()
    return quorum_status(required_seats(session, meeting), [(discipline, status) for discipline, status in seats])


def meetings_quorum(session: Session, meetings, invitations: dict[int, list] | None = None) -> dict[int, QuorumStatus]:
    """`meeting_quorum` for many meetings at once, in three queries whatever their number (two when the
    caller has each meeting's invitations loaded already: meeting id -> invitations, as
    `invitations_with_people` gives them, current for the session)."""
    from app.cases.models import Case, case_disciplines
    from app.meetings.models import AgendaItem

    meetings = list(meetings)
    if not meetings:
        return {}
    meeting_ids = [meeting.id for meeting in meetings]
    board_ids = sorted({meeting.board_id for meeting in meetings if meeting.board_id is not None})
    by_board: dict[int, dict[str, int]] = {}
    for board_id, code, count in session.execute(
            select(QuorumRequirement.board_id, QuorumRequirement.discipline_code, QuorumRequirement.count)
            .where(QuorumRequirement.board_id.in_(board_ids))):
        by_board.setdefault(board_id, {})[code] = count
    needed: dict[int, set[str]] = {}
    for meeting_id, code in session.execute(
            select(AgendaItem.meeting_id, case_disciplines.c.discipline_code)
            .join(Case, Case.id == AgendaItem.case_id)
            .join(case_disciplines, case_disciplines.c.case_id == Case.id)
            .where(AgendaItem.meeting_id.in_(meeting_ids), AgendaItem.status.in_(("listed", "discussed")))):
        needed.setdefault(meeting_id, set()).add(code)
    seats: dict[int, list[tuple[str | None, str]]] = {}
    if invitations is not None:
        for meeting_id in meeting_ids:
            seats[meeting_id] = [(invitation.discipline_code, invitation.status)
                                 for invitation in invitations.get(meeting_id, ()) if invitation.role == "seat"]
    else:
        for meeting_id, code, status in session.execute(
                select(Invitation.meeting_id, Invitation.discipline_code, Invitation.status)
                .where(Invitation.meeting_id.in_(meeting_ids), Invitation.role == "seat")):
            seats.setdefault(meeting_id, []).append((code, status))
    result = {}
    for meeting in meetings:
        required = dict(by_board.get(meeting.board_id, {}))
        for code in needed.get(meeting.id, ()):
            required.setdefault(code, 1)
        result[meeting.id] = quorum_status(required, seats.get(meeting.id, []))
    return result
