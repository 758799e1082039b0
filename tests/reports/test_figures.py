"""Every figure of the reports over the known October of tests/reports/conftest.py, worked out by hand."""
from __future__ import annotations

from datetime import datetime

import pytest

from app.errors import InvalidInput
from app.reports import figures
from app.timekeeping import UTC

HUB = {"site": "Hub Cancer Centre", "country": "CN", "cases_submitted": 5, "cases_discussed": 3, "cases_waiting": 0,
       "longest_wait_days": None,
       # waits 2, 4 and 6.5 days; outcomes after 3 and 6 days
       "median_days_to_discussion": 4.0, "p90_days_to_discussion": 6.0,
       "median_days_to_outcome": 4.5, "p90_days_to_outcome": 5.7,
       "urgent_discussed": 1, "urgent_on_target": 1, "urgent_on_target_share": 1.0}
NAIROBI = {"site": "Nairobi Teaching Hospital", "country": "KE", "cases_submitted": 4, "cases_discussed": 2,
           # c8 was discussed only in November: at the end of October it had waited 12 days
           "cases_waiting": 1, "longest_wait_days": 12.0,
           "median_days_to_discussion": 15.0, "p90_days_to_discussion": 19.0,
           "median_days_to_outcome": 17.0, "p90_days_to_outcome": 21.8,
           "urgent_discussed": 1, "urgent_on_target": 0, "urgent_on_target_share": 0.0}
# One case, across the night Europe's clocks went back: 7 days and 1 hour.
LONDON = {"site": "London Satellite Clinic", "country": "GB", "cases_submitted": 1, "cases_discussed": 1,
          "cases_waiting": 0, "longest_wait_days": None,
          "median_days_to_discussion": 7.04, "p90_days_to_discussion": 7.04,
          "median_days_to_outcome": None, "p90_days_to_outcome": None,
          "urgent_discussed": 0, "urgent_on_target": 0, "urgent_on_target_share": None}


def without_ids(rows, *names):
    return [{k: v for k, v in row.items() if k not in names} for row in rows]


def test_waits_by_site_and_country(session, history, scope):
    sites = figures.waits_by_site(session, scope())
    assert [row["site_id"] for row in sites] == [history.hub.id, history.nairobi.id, history.london.id]
    assert without_ids(sites, "site_id") == [HUB, NAIROBI, LONDON]
    countries = figures.waits_by_country(session, scope())
    strip = lambda row: {k: v for k, v in row.items() if k not in ("site", "country")}  # noqa: E731
    assert countries == [dict(strip(HUB), country="CN"), dict(strip(LONDON), country="GB"),
                         dict(strip(NAIROBI), country="KE")]


def test_network_waits(session, history, scope):
    assert figures.network_waits(session, scope()) == {
        "cases_submitted": 10, "cases_discussed": 6, "cases_waiting": 1, "longest_wait_days": 12.0,
        # 2, 4, 6.5, 7.04, 10, 20
        "median_days_to_discussion": 6.77, "p90_days_to_discussion": 15.0,
        # 3, 6, 11, 23
        "median_days_to_outcome": 8.5, "p90_days_to_outcome": 19.4,
        "urgent_discussed": 2, "urgent_on_target": 1, "urgent_on_target_share": 0.5}


def test_filters_narrow_the_cases(session, history, scope):
    kenya = figures.waits_by_site(session, scope(country="ke"))
    assert without_ids(kenya, "site_id") == [NAIROBI]
    urgent = figures.network_waits(session, scope(urgency="urgent"))
    assert (urgent["cases_submitted"], urgent["median_days_to_discussion"], urgent["urgent_on_target"]) == (2, 6.0, 1)
    one_site = figures.waits_by_site(session, scope(site_id=history.london.id))
    assert without_ids(one_site, "site_id") == [LONDON]
    assert figures.waits_by_site(session, scope(board_id=history.board.id + 1)) == []


def test_a_report_read_during_the_month_knows_only_what_had_happened(session, history, scope):
    """Read on 10 October: c3 (discussed 9 Oct) counts, c6 (discussed 11 Oct) is still waiting and c8 not yet submitted."""
    read = scope(at=datetime(2026, 10, 10, tzinfo=UTC))
    nairobi = figures.waits_by_site(session, read.narrowed(site_id=history.nairobi.id))[0]
    assert (nairobi["cases_submitted"], nairobi["cases_discussed"], nairobi["cases_waiting"]) == (3, 0, 2)
    assert nairobi["longest_wait_days"] == 9.0 and nairobi["median_days_to_discussion"] is None


def test_an_empty_period_has_no_rows_and_zero_counts(session, history, scope):
    empty = scope(since=datetime(2026, 12, 1, tzinfo=UTC), until=datetime(2027, 1, 1, tzinfo=UTC))
    report = figures.quality_report(session, empty)
    assert report["network"] is None and report["sites"] == [] and report["countries"] == []
    assert report["boards"] == [] and report["specialists"] == [] and report["specialist_countries"] == []
    assert report["on_call"] == []
    assert report["shares"]["cases_submitted"] == 0 and report["shares"]["shares"]["discussed"] is None
    assert report["follow_ups"] == {"outcomes_signed": 0, "carried_out": 0, "changed": 0, "not_carried_out": 0,
                                    "not_recorded": 0, "median_days_to_follow_up": None,
                                    "shares": {"carried_out": None, "changed": None, "not_carried_out": None}}


def test_how_the_cases_fared(session, history, scope):
    assert figures.case_shares(session, scope()) == {
        "cases_submitted": 10, "discussed": 6, "standard_of_care": 1, "returned": 1, "withdrawn": 1,
        # c3 deferred for missing data, c9 taken off for another reason (it was withdrawn)
        "deferred": 2, "deferred_missing_data": 1, "waiting": 1, "rolled_over": 2, "roll_overs": 3,
        "most_roll_overs": 2,
        "shares": {"discussed": 0.6, "standard_of_care": 0.1, "returned": 0.1, "withdrawn": 0.1, "deferred": 0.2,
                   "deferred_missing_data": 0.1, "waiting": 0.1, "rolled_over": 0.2}}


def test_quorum_and_attendance_per_board_and_discipline(session, history, scope):
    """Attendance: two accepted seats at each of the three meetings held (the cancelled one and the
    declined invitation do not count); the pathologist missed 14 October: 5 of 6."""
    assert figures.quorum_by_board(session, scope()) == [{
        "board_id": history.board.id, "board": "Thoracic", "meetings_held": 3, "quorum_recorded": 2,
        "quorum_met": 1, "quorum_met_share": 0.5,
        "disciplines": [{"discipline": "pathology", "met": 1, "recorded": 2, "met_share": 0.5},
                        {"discipline": "radiology", "met": 2, "recorded": 2, "met_share": 1.0}],
        "seats_accepted": 6, "seats_attended": 5, "attendance_share": 0.833}]
    # the same facts as each specialist's attendance
    people = figures.specialist_load(session, scope())
    assert sum(p["meetings_attended"] for p in people) == 5
    # the first half of the month: 14 October, the radiologist alone of two
    half = figures.quorum_by_board(session, scope(since=datetime(2026, 10, 10, tzinfo=UTC),
                                                  until=datetime(2026, 10, 20, tzinfo=UTC)))
    assert [(b["meetings_held"], b["seats_accepted"], b["seats_attended"], b["attendance_share"]) for b in half] == [
        (1, 2, 1, 0.5)]
    assert figures.quorum_by_board(session, scope(board_id=history.board.id + 1)) == []


def test_on_call_fair_share_against_shifts_held(session, history, scope):
    """October's four published, scheduled shifts (the September one, the cancelled one and the draft do
    not count) over two members: 2.0 each promised. After the cover swaps the radiologist held two,
    the pathologist one, and Dana (not a member) one."""
    rows = figures.on_call_fairness(session, scope())
    common = {"rota_id": history.rota.id, "rota": "Thoracic on call"}
    assert rows == [
        dict(common, user_id=history.declining.id, name="Dana Declining", country="IN", member=False,
             fair_shifts=0.0, shifts_held=1, shifts_over_fair=1.0, hours_held=168.0),
        dict(common, user_id=history.pathologist.id, name="Paula Pathologist", country="GB", member=True,
             fair_shifts=2.0, shifts_held=1, shifts_over_fair=-1.0, hours_held=168.0),
        dict(common, user_id=history.radiologist.id, name="Ravi Radiologist", country="IN", member=True,
             fair_shifts=2.0, shifts_held=2, shifts_over_fair=0.0, hours_held=336.0)]
    assert [r["name"] for r in figures.on_call_fairness(session, scope(country="GB"))] == ["Paula Pathologist"]
    assert figures.on_call_fairness(session, scope(board_id=history.board.id + 1)) == []
    # read on 20 October: the shifts of 5, 12 and 19 October had begun; three shifts, 1.5 each promised
    early = figures.on_call_fairness(session, scope(at=datetime(2026, 10, 20, tzinfo=UTC)))
    assert [(r["name"], r["fair_shifts"], r["shifts_held"], r["shifts_over_fair"]) for r in early] == [
        ("Paula Pathologist", 1.5, 1, -0.5), ("Ravi Radiologist", 1.5, 2, 0.5)]


def test_load_and_unsocial_hours_in_each_specialists_own_zone(session, history, scope):
    """07:00-09:00 UTC is 08:00-10:00 in London until 25 October, 07:00-09:00 after: one meeting of three
    is unsocial for the pathologist; 12:30-14:30 in Kolkata never is. Spread evenly, one unsocial
    meeting of six would be half a meeting each."""
    people = figures.specialist_load(session, scope())
    assert people == [
        {"user_id": history.pathologist.id, "name": "Paula Pathologist", "country": "GB", "zone": "Europe/London",
         "meetings": 3, "unsocial_meetings": 1, "unsocial_share": 0.333, "fair_unsocial_meetings": 0.5,
         "meetings_attended": 2},
        {"user_id": history.radiologist.id, "name": "Ravi Radiologist", "country": "IN", "zone": "Asia/Kolkata",
         "meetings": 3, "unsocial_meetings": 0, "unsocial_share": 0.0, "fair_unsocial_meetings": 0.5,
         "meetings_attended": 3}]
    assert figures.load_by_country(people) == [
        {"country": "GB", "specialists": 1, "meetings": 3, "unsocial_meetings": 1, "unsocial_share": 0.333},
        {"country": "IN", "specialists": 1, "meetings": 3, "unsocial_meetings": 0, "unsocial_share": 0.0}]
    assert [p["name"] for p in figures.specialist_load(session, scope(country="IN"))] == ["Ravi Radiologist"]


def test_what_became_of_the_recommendations(session, history, scope):
    assert figures.follow_ups(session, scope()) == {
        "outcomes_signed": 4, "carried_out": 1, "changed": 1, "not_carried_out": 1, "not_recorded": 1,
        "median_days_to_follow_up": 6.0,  # 6, 10 and 2 days after signing
        "shares": {"carried_out": 0.333, "changed": 0.333, "not_carried_out": 0.333}}


@pytest.mark.parametrize("narrowing, field", [({"urgency": "soon"}, "urgency"), ({"country": "Kenya"}, "country"),
                                              ({"until": datetime(2026, 9, 1, tzinfo=UTC)}, "to")])
def test_bad_scope_names_the_field(narrowing, field, scope):
    with pytest.raises(InvalidInput) as refused:
        scope(**narrowing)
    assert refused.value.field == field
