"""Live tests: a real Socket.IO server on loopback (a thread, or `run.py` subprocesses) and real
python-socketio clients. The routes of app.live.api join the shared blueprint on import, which
must happen before any app is created."""
from __future__ import annotations

from datetime import timedelta

import pytest

import app.live.api  # noqa: F401  (registers the live meeting routes)
import app.live.events  # noqa: F401  (Socket.IO handlers, before any app exists)
from app.boards.models import Board, BoardMember, QuorumRequirement
from app.cases.models import Case
from app.meetings.models import AgendaItem, Invitation, Meeting
from app.timekeeping import now_utc
from live_helpers import LiveClient, ServerThread

@pytest.fixture
def live_server(app):
    from app.extensions import db

    db.session.commit()
    with ServerThread(app) as server:
        yield server


@pytest.fixture
def clients():
    made = []

    def make(url, token=None, **kwargs):
        client = LiveClient(url, token, **kwargs)
        made.append(client)
        return client.connect()

    yield make
    for client in made:
        try:
            client.close()
        except Exception:
            pass


@pytest.fixture
def world(session, make_user, organization, api_auth):
    """A board in China with a meeting running now: the chair (a board coordinator), a seat in China
    (full access), a seat in Germany (summary only: no cross-border consent), a stranger, a referrer,
    and a case on the agenda."""
    from app.accounts.operations import create_organization

    germany = create_organization(session, name="Charité Berlin", country="DE", timezone="Europe/Berlin",
                                  residency_region="eu")
    session.commit()
    chair = make_user("coordinator", name="Chair Zhang")
    seat_cn = make_user("specialist", name="Radiologist Li")
    seat_de = make_user("specialist", name="Pathologist Weber", organization_=germany)
    stranger = make_user("specialist", name="Stranger Schmidt", organization_=germany)
    referrer = make_user("referrer", name="Referrer Wu")
    board = Board(name="Thoracic MDT", host_organization_id=organization.id, timezone="Asia/Shanghai",
                  weekday=3, start_time=now_utc().time().replace(second=0, microsecond=0), duration_minutes=120,
                  interval_weeks=1, anchor_date=now_utc().date(), cases_per_meeting=5, minutes_per_case=10,
                  agenda_cutoff_hours=0)
    board.quorum = [QuorumRequirement(discipline_code="radiology", count=1)]
    board.members = [BoardMember(user_id=chair.id, role="coordinator")]
    session.add(board)
    session.commit()
    start = now_utc() - timedelta(minutes=5)
    meeting = Meeting(title="Thoracic MDT", kind="board", board_id=board.id, occurrence_date=start.date(),
                      starts_at=start, ends_at=start + timedelta(hours=2), host_timezone="Asia/Shanghai",
                      status="scheduled", sequence=0, chair_id=chair.id)
    session.add(meeting)
    session.commit()
    cases = []
    for n in range(2):
        case = Case(organization_id=organization.id, referrer_id=referrer.id, board_id=board.id,
                    residency_region="cn", state="scheduled", urgency="routine", patient_reference=f"FCG-000{n}",
                    question="Resectable?", clinical_summary="Left upper lobe mass, 3 cm.", icd10_code="C34.1",
                    cross_border_consent=None)
        session.add(case)
        session.flush()
        session.add(AgendaItem(meeting_id=meeting.id, case_id=case.id, position=n, status="listed"))
        cases.append(case)
    for user, discipline in ((seat_cn, "radiology"), (seat_de, "pathology")):
        session.add(Invitation(meeting_id=meeting.id, user_id=user.id, discipline_code=discipline, role="seat",
                               status="accepted", busy_from=meeting.starts_at, busy_until=meeting.ends_at))
    session.commit()

    class World:
        pass

    w = World()
    w.board, w.meeting, w.cases, w.case = board, meeting, cases, cases[0]
    w.chair, w.seat_cn, w.seat_de, w.stranger, w.referrer = chair, seat_cn, seat_de, stranger, referrer
    w.germany = germany
    w.token = {}
    for name in ("chair", "seat_cn", "seat_de", "stranger", "referrer"):
        w.token[name] = api_auth.token_for(getattr(w, name))
    w.headers = {name: {"Authorization": f"Bearer {t}"} for name, t in w.token.items()}
    session.commit()
    session.remove()
    return w
