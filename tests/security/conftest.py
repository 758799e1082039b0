"""A board with a meeting about to run, its chair, a case on the agenda and a stranger."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from app.boards.models import Board, BoardMember, QuorumRequirement
from app.cases.models import Case
from app.meetings.models import AgendaItem, Meeting


@pytest.fixture
def clock_standing_still():
    """The waits after wrong guesses are a second or two: the clock stands still while a test makes
    its guesses, so a slow machine cannot outlast a wait between two requests."""
    from app.timekeeping import now_utc

    with time_machine.travel(now_utc(), tick=False):
        yield


STARTS_AT = datetime(2026, 11, 26, 1, 40, tzinfo=timezone.utc)


@pytest.fixture
def world(session, make_user, organization, headers):
    chair = make_user("coordinator", name="Chair Zhang")
    stranger = make_user("specialist", name="Stranger Schmidt")
    referrer = make_user("referrer", name="Referrer Wu")
    board = Board(name="Thoracic MDT", host_organization_id=organization.id, timezone="Asia/Shanghai",
                  weekday=3, start_time=STARTS_AT.time(), duration_minutes=120, interval_weeks=1,
                  anchor_date=STARTS_AT.date(), cases_per_meeting=5, minutes_per_case=10, agenda_cutoff_hours=0)
    board.quorum = [QuorumRequirement(discipline_code="radiology", count=1)]
    board.members = [BoardMember(user_id=chair.id, role="coordinator")]
    session.add(board)
    session.flush()
    meeting = Meeting(title="Thoracic MDT", kind="board", board_id=board.id, occurrence_date=STARTS_AT.date(),
                      starts_at=STARTS_AT, ends_at=STARTS_AT + timedelta(hours=2), host_timezone="Asia/Shanghai",
                      status="scheduled", sequence=0, chair_id=chair.id)
    case = Case(organization_id=organization.id, referrer_id=referrer.id, board_id=board.id,
                residency_region="cn", state="scheduled", urgency="routine", patient_reference="FCG-0001",
                question="Resectable?", clinical_summary="Left upper lobe mass, 3 cm.", icd10_code="C34.1")
    session.add_all([meeting, case])
    session.flush()
    session.add(AgendaItem(meeting_id=meeting.id, case_id=case.id, position=0, status="listed"))
    session.commit()

    class World:
        pass

    w = World()
    w.board, w.meeting, w.case, w.chair, w.stranger, w.referrer = board, meeting, case, chair, stranger, referrer
    w.headers = {"chair": headers(chair), "stranger": headers(stranger)}
    return w
