"""Fixtures for outcomes and attendance: a thoracic board with a quorum, a past meeting at which a
case was discussed, its seated specialists (abroad), an observer, an attendee, and outsiders.

Cases and meetings are built with the models and moved with `transition`, as the product does.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from app.timekeeping import UTC

# The meeting: Wednesday 2025-11-05, 14:00-16:00 in Asia/Shanghai (06:00-08:00 UTC), in the past.
MEETING_START = datetime(2025, 11, 5, 6, 0, tzinfo=UTC)
MEETING_END = MEETING_START + timedelta(hours=2)
CASE_CREATED = MEETING_START - timedelta(days=10)
DUE = "2025-11-19"


class World:
    """Everyone and everything a test needs; `case` is discussed at `meeting`."""


def _invite(session, meeting, user, *, role="seat", discipline=None, status="accepted"):
    from app.meetings.models import Invitation

    invitation = Invitation(meeting_id=meeting.id, user_id=user.id, role=role, discipline_code=discipline,
                            status=status, busy_from=meeting.starts_at, busy_until=meeting.ends_at)
    session.add(invitation)
    session.flush()
    return invitation


def _case(session, world, *, consent=True, disciplines=("radiology", "thoracic-surgery"), discussed=True,
          meeting=None, reference="FCG-2025-0142"):
    """A case moved to `discussed` (or `scheduled`) on `meeting`, through `transition`."""
    from app.cases import operations, workflow
    from app.meetings.models import AgendaItem

    meeting = meeting or world.meeting
    values = {
        "patient_reference": reference, "year_of_birth": 1961, "sex": "female",
        "country_of_residence": "CN", "icd10_code": "C34.1",
        "diagnosis": "Adenocarcinoma of the right upper lobe", "performance_status": 1,
        "clinical_summary": "3 cm RUL mass, no distant disease on PET-CT.", "question": "Surgery or SBRT?",
        "urgency": "routine", "disciplines": list(disciplines), "language": "zh",
        "board_id": world.board.id, "cross_border_consent": consent,
    }
    case = operations.create_case(session, world.referrer, values, at=CASE_CREATED)
    targets = workflow.SubmissionTargets(urgent=timedelta(hours=72), routine=timedelta(days=14))
    workflow.transition(session, case, "submitted", world.referrer, at=CASE_CREATED + timedelta(hours=1),
                        targets=targets)
    workflow.transition(session, case, "triaged", world.coordinator, at=CASE_CREATED + timedelta(days=1))
    item = AgendaItem(meeting_id=meeting.id, case_id=case.id, position=len(meeting.agenda) + 1,
                      status="listed", added_by_id=world.coordinator.id)
    session.add(item)
    workflow.transition(session, case, "scheduled", world.coordinator, at=CASE_CREATED + timedelta(days=2))
    if discussed:
        item.status = "discussed"
        workflow.transition(session, case, "discussed", world.coordinator,
                            at=meeting.starts_at + timedelta(minutes=30))
    session.commit()
    return case


@pytest.fixture
def world(session, organization, make_user, make_org):
    """Board quorum: radiology 1, pathology 1. The case needs radiology and thoracic surgery, so the
    required disciplines are pathology, radiology and thoracic-surgery."""
    from app.boards.models import Board, BoardMember, QuorumRequirement
    from app.meetings.models import Meeting

    nairobi = make_org("Nairobi Teaching and Referral Hospital", "KE", "Africa/Nairobi", "ke")
    kolkata = make_org("Kolkata Medical College Hospital", "IN", "Asia/Kolkata", "in")
    w = World()
    w.organization, w.nairobi, w.kolkata = organization, nairobi, kolkata
    w.referrer = make_user("referrer", name="Dr Huang Wei")
    w.coordinator = make_user("coordinator", name="Li Na")
    w.chair = make_user("specialist", name="Dr Chair (medical oncology)", organization_=kolkata)
    w.radiologist = make_user("specialist", name="Dr Sen (radiology)", organization_=kolkata)
    w.pathologist = make_user("specialist", name="Dr Shrestha (pathology)", organization_=kolkata)
    w.surgeon = make_user("specialist", name="Dr Haddad (thoracic surgery)", organization_=nairobi)
    w.absent_radiologist = make_user("specialist", name="Dr Akhmetov (radiology, absent)",
                                     organization_=nairobi)
    w.cardiologist = make_user("specialist", name="Dr Heart (cardiology)", organization_=nairobi)
    w.observer = make_user("specialist", name="Dr Watcher (observer)", organization_=nairobi)
    w.attendee = make_user("specialist", name="Dr Guest (attendee)", organization_=kolkata)
    w.board_observer = make_user("specialist", name="Dr Board Observer", organization_=kolkata)
    w.stranger = make_user("specialist", name="Dr Stranger", organization_=nairobi)
    w.admin = make_user("admin", name="Admin")

    board = Board(name="Thoracic MDT", host_organization_id=organization.id, timezone="Asia/Shanghai",
                  weekday=2, start_time=time(14, 0), anchor_date=date(2025, 11, 5))
    session.add(board)
    session.flush()
    session.add_all([QuorumRequirement(board_id=board.id, discipline_code="radiology", count=1),
                     QuorumRequirement(board_id=board.id, discipline_code="pathology", count=1),
                     BoardMember(board_id=board.id, user_id=w.coordinator.id, role="coordinator"),
                     BoardMember(board_id=board.id, user_id=w.radiologist.id, role="core",
                                 discipline_code="radiology"),
                     BoardMember(board_id=board.id, user_id=w.board_observer.id, role="observer")])
    w.board = board
    meeting = Meeting(board_id=board.id, occurrence_date=date(2025, 11, 5), title="Thoracic MDT 5 Nov",
                      kind="board", starts_at=MEETING_START, ends_at=MEETING_END, host_timezone="Asia/Shanghai",
                      status="finished", chair_id=w.chair.id, started_at=MEETING_START,
                      finished_at=MEETING_END)
    session.add(meeting)
    session.flush()
    w.meeting = meeting
    w.seats = {
        "chair": _invite(session, meeting, w.chair, role="seat", discipline="medical-oncology"),
        "radiologist": _invite(session, meeting, w.radiologist, discipline="radiology"),
        "pathologist": _invite(session, meeting, w.pathologist, discipline="pathology", status="tentative"),
        "surgeon": _invite(session, meeting, w.surgeon, discipline="thoracic-surgery"),
        "absent_radiologist": _invite(session, meeting, w.absent_radiologist, discipline="radiology"),
        "cardiologist": _invite(session, meeting, w.cardiologist, discipline="cardiology"),
        "observer": _invite(session, meeting, w.observer, role="observer"),
        "attendee": _invite(session, meeting, w.attendee, role="attendee"),
        "board_observer": _invite(session, meeting, w.board_observer, role="attendee"),
    }
    session.commit()
    w.case = _case(session, w)
    # Everyone but the absent radiologist was there.
    from app.meetings import attendance

    for user in (w.chair, w.radiologist, w.pathologist, w.surgeon, w.cardiologist, w.observer, w.attendee,
                 w.board_observer):
        attendance.mark_joined(session, meeting, user, at=MEETING_START, source="live")
        attendance.mark_left(session, meeting, user, at=MEETING_END, source="live")
    session.commit()
    w.make_case = lambda **kw: _case(session, w, **kw)
    w.invite = lambda meeting, user, **kw: _invite(session, meeting, user, **kw)
    return w


@pytest.fixture
def draft_body():
    def make(world, **overrides):
        body = {
            "recommendation": "Right upper lobectomy with nodal dissection.",
            "category": "surgery",
            "rationale": "Operable stage I disease.",
            "dissent": None,
            "actions": [{"action": "Book surgery", "owner_id": world.referrer.id, "due": DUE}],
        }
        body.update(overrides)
        return body

    return make
