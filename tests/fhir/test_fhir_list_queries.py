"""The SQL the facade lists with says the same as the domain's one-at-a-time rules."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.boards.operations import may_view_meeting, visible_meetings_query
from app.cases.models import Case
from app.cases.visibility import (FULL, access_level, case_facts, full_access_condition, viewer_facts,
                                  visible_cases_query)
from app.meetings.models import Meeting

from tests.fhir.conftest import NOW


def everyone(network):
    return [network.referrer, network.colleague, network.other_site_referrer, network.coordinator, network.admin,
            network.radiologist, network.pathologist, network.stranger]


def test_visible_meetings_query_agrees_with_may_view_meeting(session, network, make_meeting, make_case):
    case = make_case("triaged")
    make_meeting(NOW + timedelta(days=1), invitees={network.radiologist: "accepted"})
    make_meeting(NOW + timedelta(days=2), cases=[case], invitees={network.pathologist: "declined"}, board=False)
    make_meeting(NOW + timedelta(days=3), board=False)
    meetings = session.scalars(select(Meeting)).all()
    for user in everyone(network):
        listed = set(session.scalars(visible_meetings_query(user).with_only_columns(Meeting.id)))
        assert listed == {m.id for m in meetings if may_view_meeting(session, user, m)}, user.name


def test_full_access_condition_agrees_with_access_level(session, network, make_case, make_meeting):
    cases = [make_case("triaged", patient_reference="FCG-2026-0701"),
             make_case("triaged", patient_reference="FCG-2026-0702", cross_border_consent=False),
             make_case("draft", patient_reference="FCG-2026-0703", cross_border_consent=None),
             make_case("draft", referrer=network.other_site_referrer, patient_reference="NN-2026-0704")]
    make_meeting(NOW + timedelta(days=1), cases=cases[:3], invitees={network.radiologist: "accepted"})
    for user in everyone(network):
        viewer = viewer_facts(session, user)
        listed = set(session.scalars(visible_cases_query(viewer).where(full_access_condition(viewer))
                                     .with_only_columns(Case.id)))
        assert listed == {c.id for c in cases if access_level(viewer, case_facts(c)) == FULL}, user.name
