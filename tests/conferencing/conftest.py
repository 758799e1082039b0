"""A board meeting with seats and an outsider, at fixed instants; and an app with Jitsi Meet configured
(for tests that ask for the `jitsi` fixture)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from app.timekeeping import UTC
from tests.conftest import make_config

# Wednesday 2027-02-10, 14:00-16:00 in Asia/Shanghai (06:00-08:00 UTC).
START = datetime(2027, 2, 10, 6, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
JITSI_URL = "https://meet.meridian.example"
JITSI_SECRET = "a-jitsi-app-secret-for-tests-only-0123456789"
JITSI_APP_ID = "meridian-tests"


@pytest.fixture
def jitsi():
    """Ask for this fixture to have the app configured with a Jitsi Meet server."""
    return {"url": JITSI_URL, "secret": JITSI_SECRET, "app_id": JITSI_APP_ID}


@pytest.fixture
def app_config(database_url, tmp_path, request):
    overrides = {}
    if "jitsi" in request.fixturenames:
        overrides = {"JITSI_URL": JITSI_URL, "JITSI_APP_SECRET": JITSI_SECRET, "JITSI_APP_ID": JITSI_APP_ID}
    return make_config(database_url, str(tmp_path / "instance"), **overrides)


class World:
    pass


@pytest.fixture
def world(session, organization, make_user):
    from app.boards.models import Board, BoardMember, QuorumRequirement
    from app.meetings.models import Invitation, Meeting

    w = World()
    w.coordinator = make_user("coordinator", name="Li Na")
    w.referrer = make_user("referrer", name="Dr Huang Wei")
    w.chair = make_user("specialist", name="Dr Das (medical oncology)", display_timezone="Asia/Kolkata")
    w.radiologist = make_user("specialist", name="Dr Sen (radiology)", display_timezone="Asia/Kolkata")
    w.pathologist = make_user("specialist", name="Dr Shrestha (pathology)", display_timezone="Asia/Kathmandu")
    w.decliner = make_user("specialist", name="Dr Otieno (declined)", display_timezone="Africa/Nairobi")
    w.outsider = make_user("specialist", name="Dr Stranger")
    board = Board(name="Thoracic MDT", host_organization_id=organization.id, timezone="Asia/Shanghai",
                  weekday=2, start_time=time(14, 0), anchor_date=date(2027, 2, 10))
    session.add(board)
    session.flush()
    session.add_all([QuorumRequirement(board_id=board.id, discipline_code="radiology", count=1),
                     QuorumRequirement(board_id=board.id, discipline_code="pathology", count=1),
                     BoardMember(board_id=board.id, user_id=w.coordinator.id, role="coordinator")])
    meeting = Meeting(board_id=board.id, occurrence_date=date(2027, 2, 10), title="Thoracic MDT 10 Feb",
                      kind="board", starts_at=START, ends_at=END, host_timezone="Asia/Shanghai",
                      status="scheduled", chair_id=w.chair.id)
    session.add(meeting)
    session.flush()
    for user, role, discipline, status in ((w.chair, "seat", "medical-oncology", "accepted"),
                                           (w.radiologist, "seat", "radiology", "accepted"),
                                           (w.pathologist, "seat", "pathology", "pending"),
                                           (w.decliner, "seat", "radiology", "declined")):
        session.add(Invitation(meeting_id=meeting.id, user_id=user.id, role=role, discipline_code=discipline,
                               status=status, busy_from=START, busy_until=END))
    session.commit()
    w.board, w.meeting = board, meeting
    return w
