"""Quorum status: met, at risk, missing, with per-discipline detail."""
from datetime import datetime, timezone

import pytest

from app.boards.quorum import quorum_status

REQUIRED = {"radiology": 1, "pathology": 1, "medical-oncology": 2}


def by_discipline(status):
    return {item.discipline: item for item in status.disciplines}


def test_met_when_every_discipline_has_enough_accepted():
    status = quorum_status(REQUIRED, [("radiology", "accepted"), ("pathology", "accepted"),
                                      ("medical-oncology", "accepted"), ("medical-oncology", "accepted"),
                                      ("pathology", "declined"), ("thoracic-surgery", "accepted")])
    assert status.state == "met" and status.missing == [] and status.at_risk == []
    assert [item.discipline for item in status.disciplines] == ["medical-oncology", "pathology", "radiology"]
    pathology = by_discipline(status)["pathology"]
    assert (pathology.required, pathology.accepted, pathology.declined, pathology.short_by) == (1, 1, 1, 0)


def test_at_risk_when_pending_or_tentative_could_still_make_it():
    status = quorum_status(REQUIRED, [("radiology", "accepted"), ("pathology", "tentative"),
                                      ("medical-oncology", "accepted"), ("medical-oncology", "pending")])
    assert status.state == "at_risk"
    assert status.at_risk == ["medical-oncology", "pathology"] and status.missing == []
    oncology = by_discipline(status)["medical-oncology"]
    assert (oncology.accepted, oncology.pending, oncology.tentative, oncology.short_by, oncology.state) == \
        (1, 1, 0, 1, "at_risk")
    assert by_discipline(status)["radiology"].state == "met"


def test_missing_when_even_every_open_seat_accepting_is_not_enough():
    status = quorum_status(REQUIRED, [("radiology", "accepted"), ("pathology", "pending"),
                                      ("medical-oncology", "accepted"), ("medical-oncology", "declined"),
                                      ("medical-oncology", "withdrawn")])
    assert status.state == "missing"  # the worst discipline decides
    assert status.missing == ["medical-oncology"] and status.at_risk == ["pathology"]
    detail = status.as_dict()
    oncology = next(item for item in detail["disciplines"] if item["discipline"] == "medical-oncology")
    assert oncology == {"discipline": "medical-oncology", "required": 2, "accepted": 1, "pending": 0,
                        "tentative": 0, "declined": 2, "short_by": 1, "state": "missing"}


def test_no_seats_at_all_is_missing_and_no_requirement_is_met():
    assert quorum_status(REQUIRED, []).missing == ["medical-oncology", "pathology", "radiology"]
    assert quorum_status({}, [("radiology", "pending")]).state == "met"
    with pytest.raises(ValueError):
        quorum_status(REQUIRED, [("radiology", "maybe")])


def test_meeting_quorum_reads_the_board_and_the_seat_invitations(session, make_board, make_specialist):
    from app.boards.jobs import create_meetings_ahead
    from app.boards.quorum import meeting_quorum
    from app.meetings.models import Invitation, Meeting

    board = make_board()
    create_meetings_ahead(session, datetime(2026, 3, 1, tzinfo=timezone.utc), weeks=1)
    meeting = session.query(Meeting).filter_by(board_id=board.id).one()
    radiologist = make_specialist(disciplines=("radiology",))
    pathologist = make_specialist(disciplines=("pathology",))
    observer = make_specialist(disciplines=("pathology",))
    for user, discipline, role, status in ((radiologist, "radiology", "seat", "accepted"),
                                           (pathologist, "pathology", "seat", "tentative"),
                                           (observer, "pathology", "observer", "accepted")):
        session.add(Invitation(meeting_id=meeting.id, user_id=user.id, discipline_code=discipline, role=role,
                               status=status, busy_from=meeting.starts_at, busy_until=meeting.ends_at))
    session.commit()
    status = meeting_quorum(session, meeting)
    assert status.state == "at_risk" and status.at_risk == ["pathology"]  # an observer never counts
