"""A known month of history for the reports: October 2026 across three referring sites, one board,
two specialists abroad, and their on-call rota. Rows are inserted directly (what happened, with exact instants), so that
every figure can be worked out by hand; the expected figures are in test_figures.py.

Europe's clocks went back on Sunday 25 October 2026, inside the month.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from app.timekeeping import UTC

SINCE = datetime(2026, 10, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
READ_AT = datetime(2026, 11, 15, 9, 0, tzinfo=UTC)  # the report is read two weeks after the month


def day(d, hour=0, minute=0):
    return datetime(2026, 10 if d < 100 else 11, d if d < 100 else d - 100, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(READ_AT, tick=False):
        yield


class History:
    pass


@pytest.fixture
def history(session, make_user):
    from app.accounts.operations import create_organization
    from app.boards.models import Board, QuorumRequirement
    from app.cases.models import Case, CaseTransition
    from app.meetings.models import AgendaItem, Attendance, Invitation, Meeting
    from app.outcomes.models import Outcome, OutcomeFollowUp
    from app.rotas.models import CoverRequest, OnCallShift, Rota, RotaMember
    from app.specialists.models import SpecialistProfile

    h = History()
    h.hub = create_organization(session, name="Hub Cancer Centre", country="CN", timezone="Asia/Shanghai",
                                residency_region="cn")
    h.nairobi = create_organization(session, name="Nairobi Teaching Hospital", country="KE",
                                    timezone="Africa/Nairobi", residency_region="ke")
    h.london = create_organization(session, name="London Satellite Clinic", country="GB", timezone="Europe/London",
                                   residency_region="gb")
    h.kolkata = create_organization(session, name="Kolkata College Hospital", country="IN", timezone="Asia/Kolkata",
                                    residency_region="in")
    h.tashkent = create_organization(session, name="Tashkent Clinic", country="UZ", timezone="Asia/Tashkent",
                                     residency_region="uz")
    session.flush()
    h.coordinator = make_user("coordinator", email="coordinator@example.org", organization_=h.hub)
    h.referrer = make_user("referrer", email="referrer@example.org", organization_=h.hub)
    h.radiologist = make_user("specialist", email="radiologist@example.org", name="Ravi Radiologist",
                              organization_=h.kolkata)
    h.pathologist = make_user("specialist", email="pathologist@example.org", name="Paula Pathologist",
                              organization_=h.london)
    h.declining = make_user("specialist", email="declining@example.org", name="Dana Declining",
                            organization_=h.kolkata)
    session.add_all([SpecialistProfile(user_id=h.radiologist.id, home_timezone="Asia/Kolkata", weekly_hours={}),
                     SpecialistProfile(user_id=h.pathologist.id, home_timezone="Europe/London", weekly_hours={})])
    h.board = Board(name="Thoracic", host_organization_id=h.hub.id, timezone="Asia/Shanghai", weekday=2,
                    start_time=datetime(2026, 1, 1, 15).time(), anchor_date=date(2026, 10, 7))
    session.add(h.board)
    session.flush()
    session.add_all([QuorumRequirement(board_id=h.board.id, discipline_code="radiology", count=1),
                     QuorumRequirement(board_id=h.board.id, discipline_code="pathology", count=1)])

    # Meetings on Wednesdays 07:00-09:00 UTC: 08:00-10:00 in London in summer time, 07:00-09:00 after.
    def meeting(d, status="finished", quorum=None):
        m = Meeting(board_id=h.board.id, title=f"Thoracic {d}", kind="board", starts_at=day(d, 7),
                    ends_at=day(d, 9), host_timezone="Asia/Shanghai", status=status, quorum_at_start=quorum,
                    occurrence_date=day(d).date())
        session.add(m)
        session.flush()
        return m

    r, p = h.radiologist.id, h.pathologist.id
    h.m1 = meeting(7, quorum={"radiology": [r], "pathology": [p]})
    h.m2 = meeting(14, quorum=None)  # opened without the live board: no quorum recorded
    h.m3 = meeting(21, status="cancelled")
    h.m4 = meeting(28, quorum={"radiology": [r], "pathology": []})
    h.m5 = meeting(104, status="scheduled")  # next month
    for m in (h.m1, h.m2, h.m4, h.m3):
        for user_id, code in ((r, "radiology"), (p, "pathology")):
            session.add(Invitation(meeting_id=m.id, user_id=user_id, discipline_code=code, role="seat",
                                   status="accepted", busy_from=m.starts_at, busy_until=m.ends_at))
    session.add(Invitation(meeting_id=h.m1.id, user_id=h.declining.id, discipline_code="radiology", role="seat",
                           status="declined", busy_from=h.m1.starts_at, busy_until=h.m1.ends_at))
    for m, user_id in ((h.m1, r), (h.m2, r), (h.m4, r), (h.m1, p), (h.m4, p)):
        session.add(Attendance(meeting_id=m.id, user_id=user_id, joined_at=m.starts_at + timedelta(minutes=30),
                               left_at=m.ends_at, source="coordinator"))

    h.cases = {}

    def make_case(name, site, submitted, *, urgency="routine", state="submitted", moves=(), outcome=None):
        target = submitted + (timedelta(hours=72) if urgency == "urgent" else timedelta(days=14))
        c = Case(organization_id=site.id, referrer_id=h.referrer.id, board_id=h.board.id,
                 residency_region=site.residency_region, state=state, urgency=urgency, submitted_at=submitted,
                 target_at=target, created_at=submitted)
        session.add(c)
        session.flush()
        session.add(CaseTransition(case_id=c.id, from_state="draft", to_state="submitted", at=submitted))
        for to_state, at in moves:
            session.add(CaseTransition(case_id=c.id, from_state=None, to_state=to_state, at=at))
        if outcome:
            session.add(Outcome(case_id=c.id, version=1, recommendation="Plan", category="surgery",
                                drafted_by_id=h.coordinator.id, signed_at=outcome))
        h.cases[name] = c
        return c

    # The hub: quick.
    make_case("c1", h.hub, day(1), urgency="urgent", state="outcome_signed",
              moves=[("discussed", day(3))], outcome=day(4))
    make_case("c2", h.hub, day(2), state="outcome_signed", moves=[("discussed", day(6))], outcome=day(8))
    c3 = make_case("c3", h.hub, day(3), state="discussed", moves=[("discussed", day(9, 12))])
    make_case("c4", h.hub, day(5), state="listed_not_discussed", moves=[("listed_not_discussed", day(6))])
    make_case("c5", h.hub, day(10), state="returned", moves=[("returned", day(11))])
    # Nairobi: slow.
    make_case("c6", h.nairobi, day(1), urgency="urgent", state="outcome_signed",
              moves=[("discussed", day(11))], outcome=day(12))
    c7 = make_case("c7", h.nairobi, day(2), state="outcome_signed", moves=[("discussed", day(22))], outcome=day(25))
    # Still waiting at the end of the month; discussed only afterwards.
    c8 = make_case("c8", h.nairobi, day(20), state="discussed", moves=[("discussed", day(105))])
    c9 = make_case("c9", h.nairobi, day(5), state="withdrawn", moves=[("withdrawn", day(7))])
    # London, one case: submitted 09:00 summer time, discussed 09:00 winter time a week later.
    make_case("c10", h.london, day(23, 8), state="discussed", moves=[("discussed", day(30, 9))])
    # Outside the month, and a draft: never counted.
    make_case("before", h.hub, datetime(2026, 9, 20, tzinfo=UTC), state="discussed", moves=[("discussed", day(2))])
    session.add(Case(organization_id=h.tashkent.id, referrer_id=h.referrer.id, board_id=h.board.id,
                     residency_region="uz", state="draft", urgency="routine"))
    session.flush()

    def item(meeting_, c, status, rolled_from=None, added=None, removal_reason=None):
        session.add(AgendaItem(meeting_id=meeting_.id, case_id=c.id, position=1, status=status,
                               rolled_from_meeting_id=rolled_from.id if rolled_from else None,
                               added_at=added or meeting_.starts_at - timedelta(days=2),
                               removal_reason=removal_reason))

    item(h.m1, c3, "removed", removal_reason="missing_data")  # deferred from one meeting for missing data ...
    item(h.m2, c3, "discussed")            # ... discussed at the next
    item(h.m1, c9, "removed", removal_reason="other")  # taken off when it was withdrawn
    item(h.m2, c7, "not_discussed")
    item(h.m4, c7, "discussed", rolled_from=h.m2)
    item(h.m4, c8, "not_discussed", rolled_from=h.m2)
    item(h.m5, c8, "discussed", rolled_from=h.m4, added=day(29))

    # On call: a weekly radiology rota of two members, handing off on Mondays at 09:00 UTC. The generator
    # promised each an equal share of October's four shifts in force (2.0); the pathologist's second
    # shift was covered by the radiologist, and the radiologist's last by Dana, who is not a member.
    h.rota = Rota(name="Thoracic on call", discipline_code="radiology", board_id=h.board.id, handoff_weekday=0,
                  handoff_time=datetime(2026, 1, 1, 9).time(), timezone="UTC", period_weeks=1)
    session.add(h.rota)
    session.flush()
    session.add_all([RotaMember(rota_id=h.rota.id, user_id=r, position=0),
                     RotaMember(rota_id=h.rota.id, user_id=p, position=1)])

    def shift(start, user_id, *, status="scheduled", published=True, hours=168):
        s = OnCallShift(rota_id=h.rota.id, user_id=user_id, starts_at=start, ends_at=start + timedelta(hours=hours),
                        status=status, published=published)
        session.add(s)
        session.flush()
        return s

    shift(datetime(2026, 9, 28, 9, tzinfo=UTC), r)       # began before October: not counted
    shift(day(1, 9), p, status="cancelled", hours=96)     # cancelled: puts nobody on call
    shift(day(5, 9), r)
    covered = shift(day(12, 9), r)                        # the pathologist's, covered by the radiologist
    shift(day(19, 9), p)
    given_away = shift(day(26, 9), h.declining.id)        # the radiologist's, covered by Dana
    shift(day(31, 12), p, published=False, hours=24)      # a draft: puts nobody on call
    for s, requester, coverer in ((covered, p, r), (given_away, r, h.declining.id)):
        session.add(CoverRequest(shift_id=s.id, requested_by_id=requester, covered_by_id=coverer,
                                 decided_by_id=h.coordinator.id, status="approved", reason="Away",
                                 created_at=s.starts_at - timedelta(days=3), decided_at=s.starts_at - timedelta(days=2)))

    outcomes = {o.case_id: o for o in session.query(Outcome)}
    for name, status, on in (("c1", "carried_out", date(2026, 10, 10)), ("c2", "changed", date(2026, 10, 18)),
                             ("c6", "not_carried_out", date(2026, 10, 14))):
        c = h.cases[name]
        session.add(OutcomeFollowUp(outcome_id=outcomes[c.id].id, case_id=c.id, status=status, occurred_on=on,
                                    recorded_by_id=h.coordinator.id, recorded_at=day(30)))
    session.commit()
    return h


@pytest.fixture
def scope():
    from app.reports.figures import ReportScope

    def make(**narrowing):
        return ReportScope(since=narrowing.pop("since", SINCE), until=narrowing.pop("until", UNTIL),
                           at=narrowing.pop("at", READ_AT), **narrowing)

    return make
