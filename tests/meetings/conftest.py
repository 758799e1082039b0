"""Builders for meeting tests: specialists with profiles, boards, meetings and triaged cases."""
from datetime import date, time, timedelta

import pytest

from app.boards.models import Board, BoardMember, QuorumRequirement
from app.cases.models import Case
from app.meetings.models import Meeting
from app.specialists.models import Discipline, Licence, SpecialistProfile
from app.timekeeping import now_utc

ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def specialist(session, make_user):
    def make(name, disciplines, *, zone="UTC", hours=ALL_DAY, **profile_fields):
        user = make_user("specialist", name=name)
        profile = SpecialistProfile(user_id=user.id, home_timezone=zone, weekly_hours=hours,
                                    min_notice_hours=profile_fields.pop("min_notice_hours", 0), **profile_fields)
        profile.disciplines = [session.get(Discipline, code) for code in disciplines]
        profile.licences.append(Licence(jurisdiction="CN", registration_number=f"R-{user.id}",
                                        expires_on=date(2035, 1, 1), verified_at=now_utc()))
        session.add(profile)
        session.commit()
        return user
    return make


@pytest.fixture
def board(session, organization, make_user):
    coordinator = make_user("coordinator", name="Board Coordinator")
    board = Board(name="Thoracic MDT", host_organization_id=organization.id, timezone="Asia/Shanghai",
                  weekday=3, start_time=time(14, 0), duration_minutes=120, interval_weeks=1,
                  anchor_date=date(2026, 1, 1), cases_per_meeting=2, minutes_per_case=10, agenda_cutoff_hours=24)
    board.quorum = [QuorumRequirement(discipline_code="radiology", count=1),
                    QuorumRequirement(discipline_code="pathology", count=1)]
    board.members = [BoardMember(user_id=coordinator.id, role="coordinator")]
    session.add(board)
    session.commit()
    board.coordinator = coordinator
    return board


@pytest.fixture
def meeting_at(session):
    def make(start, *, board=None, minutes=60, title="MDT", booked_by=None):
        meeting = Meeting(title=title, kind="board" if board else "adhoc", board_id=board.id if board else None,
                          created_by_id=booked_by.id if booked_by else None,
                          occurrence_date=start.date() if board else None, starts_at=start,
                          ends_at=start + timedelta(minutes=minutes),
                          host_timezone=board.timezone if board else "UTC", status="scheduled", sequence=0)
        session.add(meeting)
        session.commit()
        return meeting
    return make


@pytest.fixture
def triaged_case(session, make_user, organization):
    referrer = make_user("referrer", name="Referring Doctor")

    def make(board, *, urgency="routine", submitted_ago=timedelta(days=1), target_in=timedelta(days=14),
             disciplines=("radiology", "pathology")):
        now = now_utc()
        case = Case(organization_id=organization.id, referrer_id=referrer.id, board_id=board.id,
                    residency_region="cn", state="triaged", urgency=urgency, patient_reference="FCG-0001",
                    submitted_at=now - submitted_ago, target_at=now + target_in, question="Resectable?")
        case.disciplines = [session.get(Discipline, code) for code in disciplines]
        session.add(case)
        session.commit()
        return case
    make.referrer = referrer
    return make


def in_hours(hours: float):
    """An instant on the hour, `hours` from now."""
    return (now_utc() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
