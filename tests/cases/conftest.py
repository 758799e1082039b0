"""Fixtures for the cases tests: boards with coordinators, sites in other regions, complete
pro-formas, cases moved to any state the way the product moves them, and meeting invitations."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from app.timekeeping import UTC

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
URGENT = timedelta(hours=72)
ROUTINE = timedelta(days=14)


@pytest.fixture
def same_region_site(make_org):
    """Another hospital in the same residency region as the default organisation (cn)."""
    return make_org("Nanning Second People's Hospital", "CN", "Asia/Shanghai", "cn")


@pytest.fixture
def foreign_site(make_org):
    """A hospital in another residency region."""
    return make_org("Nairobi Teaching and Referral Hospital", "KE", "Africa/Nairobi", "ke")


@pytest.fixture
def make_board(session, organization):
    from app.boards.models import Board, BoardMember

    counter = iter(range(1, 1000))

    def make(*, coordinators=(), host=None, name=None):
        board = Board(name=name or f"Thoracic MDT {next(counter)}", host_organization_id=(host or organization).id,
                      timezone="Asia/Shanghai", weekday=2, start_time=time(14, 0),
                      anchor_date=date(2026, 3, 4))
        session.add(board)
        session.flush()
        for user in coordinators:
            session.add(BoardMember(board_id=board.id, user_id=user.id, role="coordinator"))
        session.commit()
        return board

    return make


@pytest.fixture
def people(make_user, make_board, foreign_site, same_region_site):
    """A referring site (cn) with two referrers, the board's coordinator at the hub, and outsiders."""

    class People:
        referrer = make_user("referrer", name="Dr Huang Wei")
        colleague = make_user("referrer", name="Dr Liang")  # same site
        site_specialist = make_user("specialist", name="Dr Zhou")  # same site, clinical role
        site_admin = make_user("admin", name="Site Admin")  # same site, admin only
        coordinator = make_user("coordinator", name="Li Na")
        other_coordinator = make_user("coordinator", name="Aigerim", organization_=same_region_site)
        other_site_referrer = make_user("referrer", name="Dr Wang", organization_=same_region_site)
        foreign_coordinator = make_user("coordinator", name="Dr Otieno", organization_=foreign_site)
        foreign_specialist = make_user("specialist", name="Dr Kamau", organization_=foreign_site)
        stranger = make_user("specialist", name="Dr Stranger", organization_=foreign_site)

    people = People()
    people.board = make_board(coordinators=[people.coordinator, people.foreign_coordinator])
    people.other_board = make_board(coordinators=[people.other_coordinator])
    return people


def complete_values(board_id, **overrides):
    values = {
        "patient_reference": "FCG-2026-0142",
        "year_of_birth": 1961,
        "sex": "female",
        "country_of_residence": "CN",
        "icd10_code": "C34.1",
        "diagnosis": "Adenocarcinoma of the right upper lobe",
        "performance_status": 1,
        "frailty_score": 3,
        "clinical_summary": "62-year-old never-smoker, 3 cm RUL mass, no distant disease on PET-CT.",
        "question": "Surgery or SBRT?",
        "urgency": "routine",
        "disciplines": ["radiology", "thoracic-surgery", "clinical-oncology"],
        "language": "zh",
        "board_id": board_id,
        "cross_border_consent": True,
    }
    values.update(overrides)
    return values


@pytest.fixture
def complete():
    return complete_values


# How to reach each state from a draft, and who makes each move.
PATHS = {
    "draft": [],
    "submitted": [("submitted", "referrer")],
    "returned": [("submitted", "referrer"), ("returned", "coordinator")],
    "triaged": [("submitted", "referrer"), ("triaged", "coordinator")],
    "listed_not_discussed": [("submitted", "referrer"), ("listed_not_discussed", "coordinator")],
    "scheduled": [("submitted", "referrer"), ("triaged", "coordinator"), ("scheduled", "coordinator")],
    "discussed": [("submitted", "referrer"), ("triaged", "coordinator"), ("scheduled", "coordinator"),
                  ("discussed", "coordinator")],
    "outcome_signed": [("submitted", "referrer"), ("triaged", "coordinator"), ("scheduled", "coordinator"),
                       ("discussed", "coordinator"), ("outcome_signed", "coordinator")],
    "closed": [("submitted", "referrer"), ("triaged", "coordinator"), ("scheduled", "coordinator"),
               ("discussed", "coordinator"), ("outcome_signed", "coordinator"), ("closed", "coordinator")],
    "withdrawn": [("withdrawn", "referrer")],
}


@pytest.fixture
def make_case(session, people):
    """A case by `people.referrer` to `people.board`, moved to `state` through `transition`."""
    from app.cases import operations, workflow

    def make(state="draft", *, referrer=None, board=None, at=T0, **overrides):
        referrer = referrer or people.referrer
        board_id = (board or people.board).id
        case = operations.create_case(session, referrer, complete_values(board_id, **overrides), at=at)
        actors = {"referrer": referrer, "coordinator": people.coordinator}
        for step, (to_state, who) in enumerate(PATHS[state], start=1):
            workflow.transition(
                session, case, to_state, actors[who], at=at + timedelta(hours=step), reason="because",
                targets=workflow.SubmissionTargets(urgent=URGENT, routine=ROUTINE),
            )
        session.commit()
        return case

    return make


@pytest.fixture
def invite(session):
    """Put `case` on a meeting's agenda and invite `user` with `status`."""
    from app.meetings.models import AgendaItem, Invitation, Meeting

    counter = iter(range(1, 1000))

    def make(case, user, *, status="accepted", agenda_status="listed"):
        n = next(counter)
        starts = datetime(2026, 3, 10, 6, 0, tzinfo=UTC) + timedelta(days=n)
        meeting = Meeting(title=f"Thoracic MDT {n}", kind="adhoc", starts_at=starts,
                          ends_at=starts + timedelta(hours=2), host_timezone="Asia/Shanghai")
        session.add(meeting)
        session.flush()
        session.add(AgendaItem(meeting_id=meeting.id, case_id=case.id, position=1, status=agenda_status))
        session.add(Invitation(meeting_id=meeting.id, user_id=user.id, status=status, role="seat",
                               busy_from=starts, busy_until=starts + timedelta(hours=2)))
        session.commit()
        return meeting

    return make


