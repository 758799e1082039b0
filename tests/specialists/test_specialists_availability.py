"""Leave, date overrides, the availability preview, and what the matching engine is fed."""
from datetime import date, datetime, timezone

import pytest

from app.meetings.models import Invitation, Meeting
from app.scheduling import WallClockRange
from app.specialists import operations
from app.timekeeping import parse_instant

UTC = timezone.utc


def leave_path(user):
    return f"/api/v1/specialists/{user.id}/leave"


@pytest.mark.parametrize("zone, from_date, to_date, starts_at, ends_at", [
    # clocks go forward on 2026-03-29: the leave ends at BST midnight, 23:00 UTC
    ("Europe/London", "2026-03-28", "2026-03-29", "2026-03-28T00:00:00Z", "2026-03-29T23:00:00Z"),
    # clocks go back on 2026-11-01: the last day is 25 hours long
    ("America/New_York", "2026-10-31", "2026-11-01", "2026-10-31T04:00:00Z", "2026-11-02T05:00:00Z"),
    # +05:45 all year
    ("Asia/Kathmandu", "2026-12-24", "2026-12-26", "2026-12-23T18:15:00Z", "2026-12-26T18:15:00Z"),
    # a single day
    ("Asia/Kolkata", "2026-12-24", "2026-12-24", "2026-12-23T18:30:00Z", "2026-12-24T18:30:00Z"),
])
def test_leave_in_local_dates_is_whole_days_in_the_home_zone(client, make_specialist, api_auth, zone,
                                                             from_date, to_date, starts_at, ends_at):
    user = make_specialist(zone=zone)
    headers = api_auth.headers(user)
    response = client.post(leave_path(user), headers=headers,
                           json={"from_date": from_date, "to_date": to_date, "reason": "Holiday"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["starts_at"], body["ends_at"]) == (starts_at, ends_at)
    assert body["local_start"].startswith(from_date + "T00:00:00")
    assert body["timezone"] == zone and body["reason"] == "Holiday"
    listed = client.get(leave_path(user), headers=headers).get_json()
    assert [row["id"] for row in listed] == [body["id"]]


def test_leave_as_instants(client, make_specialist, api_auth):
    user = make_specialist(zone="Asia/Kathmandu")
    response = client.post(leave_path(user), headers=api_auth.headers(user),
                           json={"from": "2026-12-24T09:00:00+05:45", "to": "2026-12-24T13:00:00+05:45"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["starts_at"], body["ends_at"]) == ("2026-12-24T03:15:00Z", "2026-12-24T07:15:00Z")
    assert body["local_start"] == "2026-12-24T09:00:00+05:45"


@pytest.mark.parametrize("body, field", [
    ({"from_date": "2026-12-26", "to_date": "2026-12-24"}, "to_date"),
    ({"from_date": "2026-12-24"}, "to_date"),
    ({"from": "2026-12-24T10:00:00Z", "to": "2026-12-24T09:00:00Z"}, "to"),
    ({"from": "2026-12-24T10:00:00"}, "from"),  # no offset
    ({"to": "2026-12-24T10:00:00Z"}, "from"),
    ({"from": "2026-12-24T10:00:00Z", "to": "2026-12-25T10:00:00Z", "from_date": "2026-12-24",
      "to_date": "2026-12-25"}, "from_date"),
    ({}, "from"),
    ({"from_date": "2026-12-24", "to_date": "2028-12-24"}, "to_date"),
    ({"from_date": "24/12/2026", "to_date": "2026-12-26"}, "from_date"),
])
def test_bad_leave_is_422_naming_the_field(client, make_specialist, api_auth, assert_problem, body, field):
    user = make_specialist()
    problem = assert_problem(client.post(leave_path(user), headers=api_auth.headers(user), json=body), 422)
    assert problem["errors"][0]["field"] == field, problem


def test_leave_is_private_to_the_specialist_and_coordinators(client, make_user, make_specialist, api_auth,
                                                            assert_problem):
    alice, bob = make_specialist(), make_specialist()
    coordinator = make_user("coordinator")
    created = client.post(leave_path(alice), headers=api_auth.headers(coordinator),
                          json={"from_date": "2026-12-24", "to_date": "2026-12-26"})
    assert created.status_code == 201
    leave_id = created.get_json()["id"]
    assert_problem(client.get(leave_path(alice), headers=api_auth.headers(make_user("referrer"))), 403)
    assert_problem(client.post(leave_path(alice), headers=api_auth.headers(bob),
                               json={"from_date": "2026-12-24", "to_date": "2026-12-26"}), 403)
    # one specialist's leave id under another's path is not found
    assert_problem(client.delete(f"{leave_path(bob)}/{leave_id}", headers=api_auth.headers(bob)), 404)
    headers = api_auth.headers(alice)
    assert client.delete(f"{leave_path(alice)}/{leave_id}", headers=headers).status_code == 204
    assert client.get(leave_path(alice), headers=headers).get_json() == []


def test_override_set_replaced_and_removed(client, make_specialist, api_auth, assert_problem):
    user = make_specialist()
    headers = api_auth.headers(user)
    path = f"/api/v1/specialists/{user.id}/overrides/2026-12-24"
    response = client.put(path, headers=headers, json={"ranges": [["14:00", "16:00"], ["10:00", "12:00"]],
                                                       "note": "Half day"})
    assert response.status_code == 200
    assert response.get_json() == {"date": "2026-12-24", "ranges": [["10:00", "12:00"], ["14:00", "16:00"]],
                                   "note": "Half day"}
    client.put(path, headers=headers, json={"ranges": []})
    listed = client.get(f"/api/v1/specialists/{user.id}/overrides", headers=headers).get_json()
    assert listed == [{"date": "2026-12-24", "ranges": [], "note": None}]
    assert client.delete(path, headers=headers).status_code == 204
    assert_problem(client.delete(path, headers=headers), 404)
    problem = assert_problem(client.put(path, headers=headers, json={"ranges": [["10:00", "10:00"]]}), 422)
    assert problem["errors"][0]["field"] == "ranges[0]"
    problem = assert_problem(client.put(f"/api/v1/specialists/{user.id}/overrides/2026-02-30",
                                        headers=headers, json={"ranges": []}), 422)
    assert problem["errors"][0]["field"] == "date"


def _book(session, user, start, end, status="accepted", meeting_status="scheduled"):
    meeting = Meeting(title="Lung MDT", starts_at=parse_instant(start), ends_at=parse_instant(end),
                      host_timezone="Asia/Shanghai", status=meeting_status)
    meeting.invitations.append(Invitation(user_id=user.id, status=status, busy_from=parse_instant(start),
                                          busy_until=parse_instant(end)))
    session.add(meeting)
    session.commit()


def _preview(client, headers, user, start, end):
    response = client.get(f"/api/v1/specialists/{user.id}/availability",
                          query_string={"from": start, "to": end}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


WEEKEND_HOURS = {"sat": [["09:00", "12:00"]], "sun": [["09:00", "17:00"]], "mon": [["09:00", "17:00"]]}


def test_preview_shows_free_time_in_utc_and_local_time_across_dst(client, make_user, make_specialist,
                                                                  api_auth):
    user = make_specialist(zone="Europe/London", weekly_hours=WEEKEND_HOURS)
    body = _preview(client, api_auth.headers(make_user("referrer")), user,
                    "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z")
    assert body["timezone"] == "Europe/London" and body["window_start"] == "2026-03-28T00:00:00Z"
    assert body["intervals"] == [
        {"start": "2026-03-28T09:00:00Z", "end": "2026-03-28T12:00:00Z", "local_start": "2026-03-28T09:00:00+00:00",
         "local_end": "2026-03-28T12:00:00+00:00", "local_weekday": "sat"},
        {"start": "2026-03-29T08:00:00Z", "end": "2026-03-29T16:00:00Z", "local_start": "2026-03-29T09:00:00+01:00",
         "local_end": "2026-03-29T17:00:00+01:00", "local_weekday": "sun"},
        {"start": "2026-03-30T08:00:00Z", "end": "2026-03-30T16:00:00Z", "local_start": "2026-03-30T09:00:00+01:00",
         "local_end": "2026-03-30T17:00:00+01:00", "local_weekday": "mon"},
    ]


def test_preview_excludes_leave_and_bookings_and_applies_overrides(client, session, make_user, make_specialist,
                                                                   api_auth):
    user = make_specialist(zone="Europe/London", weekly_hours=WEEKEND_HOURS)
    own = api_auth.headers(user)
    # Monday off by local date; Saturday only 10:00-11:00; a booking on Sunday 10:00-11:00 BST
    client.post(leave_path(user), headers=own, json={"from_date": "2026-03-30", "to_date": "2026-03-30"})
    client.put(f"/api/v1/specialists/{user.id}/overrides/2026-03-28", headers=own,
               json={"ranges": [["10:00", "11:00"]]})
    _book(session, user, "2026-03-29T09:00:00Z", "2026-03-29T10:00:00Z")
    # neither a declined invitation nor a cancelled meeting holds time
    _book(session, user, "2026-03-29T12:00:00Z", "2026-03-29T13:00:00Z", status="declined")
    _book(session, user, "2026-03-29T14:00:00Z", "2026-03-29T15:00:00Z", meeting_status="cancelled")
    body = _preview(client, api_auth.headers(make_user("coordinator")), user,
                    "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z")
    assert [(i["local_start"], i["local_end"]) for i in body["intervals"]] == [
        ("2026-03-28T10:00:00+00:00", "2026-03-28T11:00:00+00:00"),
        ("2026-03-29T09:00:00+01:00", "2026-03-29T10:00:00+01:00"),
        ("2026-03-29T11:00:00+01:00", "2026-03-29T17:00:00+01:00"),
    ]
    # removing the override gives Saturday its weekly hours back
    client.delete(f"/api/v1/specialists/{user.id}/overrides/2026-03-28", headers=own)
    body = _preview(client, own, user, "2026-03-28T00:00:00Z", "2026-03-29T00:00:00Z")
    assert [(i["start"], i["end"]) for i in body["intervals"]] == [("2026-03-28T09:00:00Z", "2026-03-28T12:00:00Z")]


def test_preview_of_an_odd_offset_and_an_overnight_session(client, make_specialist, api_auth):
    user = make_specialist(zone="Asia/Kathmandu", weekly_hours={"fri": [["22:00", "02:00"]]})
    body = _preview(client, api_auth.headers(user), user, "2026-12-25T00:00:00+05:45", "2026-12-27T00:00:00+05:45")
    assert body["intervals"] == [{
        "start": "2026-12-25T16:15:00Z", "end": "2026-12-25T20:15:00Z",
        "local_start": "2026-12-25T22:00:00+05:45", "local_end": "2026-12-26T02:00:00+05:45",
        "local_weekday": "fri"}]


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-03-01T00:00:00Z", "to": "2026-04-02T00:00:00Z"}, "to"),  # 32 days
    ({"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "to"),
    ({"from": "2026-03-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "to"),
    ({"from": "2026-03-01T00:00:00", "to": "2026-03-02T00:00:00Z"}, "from"),
    ({"from": "yesterday", "to": "2026-03-02T00:00:00Z"}, "from"),
    ({"to": "2026-03-02T00:00:00Z"}, "from"),
])
def test_preview_window_is_checked(client, make_specialist, api_auth, assert_problem, query, field):
    user = make_specialist()
    problem = assert_problem(client.get(f"/api/v1/specialists/{user.id}/availability", query_string=query,
                                        headers=api_auth.headers(user)), 422)
    assert problem["errors"][0]["field"] == field


def test_a_31_day_window_is_allowed(client, make_specialist, api_auth):
    user = make_specialist()
    body = _preview(client, api_auth.headers(user), user, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    assert len(body["intervals"]) == 22  # weekdays of March 2026


def test_engine_spec_feeds_leave_overrides_and_bookings(session, make_specialist):
    user = make_specialist(zone="Asia/Kathmandu", disciplines=("pathology", "radiology"),
                           weekly_hours={"sun": [["10:00", "17:00"]], "fri": [["22:00", "02:00"]]})
    profile = operations.get_profile(session, user.id)
    operations.add_leave(session, profile, from_date=date(2026, 12, 24), to_date=date(2026, 12, 24))
    operations.set_override(session, profile, date(2026, 12, 27), [])
    booking = (datetime(2026, 12, 28, 4, 0, tzinfo=UTC), datetime(2026, 12, 28, 5, 0, tzinfo=UTC))
    spec = operations.engine_spec(profile, busy=[booking])
    assert spec.id == str(user.id)
    assert spec.timezone == "Asia/Kathmandu"
    assert spec.disciplines == ("pathology", "radiology")
    assert spec.weekly_hours == {6: (WallClockRange(600, 1020),), 4: (WallClockRange(1320, 120),)}
    assert spec.date_overrides == {date(2026, 12, 27): ()}
    assert spec.busy == ((datetime(2026, 12, 23, 18, 15, tzinfo=UTC), datetime(2026, 12, 24, 18, 15, tzinfo=UTC)),
                         booking)
    assert all(moment.utcoffset().total_seconds() == 0 for pair in spec.busy for moment in pair)
