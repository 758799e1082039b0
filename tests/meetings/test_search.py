"""POST /api/v1/scheduling/search: slots with everyone's local time, ranking, and why nothing fits."""
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from app.accounts.operations import create_organization
from app.meetings.models import Invitation, Meeting
from app.rotas.models import OnCallShift, Rota
from app.specialists.models import Discipline, Leave, Licence, SpecialistProfile
from app.timekeeping import now_utc, parse_instant

WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
# Monday 2027-03-22 .. Saturday 2027-03-27 (UTC); London changes its clocks on 2027-03-28.
WINDOW = {"window_start": "2027-03-22T00:00:00Z", "window_end": "2027-03-27T00:00:00Z"}


@pytest.fixture(autouse=True)
def clock_before_the_window():
    """The searches look at fixed weeks of March 2027, so the clock stands three weeks before them."""
    with time_machine.travel(datetime(2027, 3, 1, 8, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def specialist(session, make_user, organization):
    def make(name, zone, disciplines, *, hours=WEEKDAYS, licence="CN", licence_verified=True,
             licence_expires=date(2030, 1, 1), languages=("en",), **profile_fields):
        user = make_user("specialist", name=name, languages=list(languages))
        profile = SpecialistProfile(user_id=user.id, home_timezone=zone, weekly_hours=hours,
                                    min_notice_hours=profile_fields.pop("min_notice_hours", 0), **profile_fields)
        profile.disciplines = [session.get(Discipline, code) for code in disciplines]
        if licence:
            profile.licences.append(Licence(jurisdiction=licence, registration_number=f"R-{user.id}",
                                            expires_on=licence_expires,
                                            verified_at=now_utc() if licence_verified else None))
        session.add(profile)
        session.commit()
        return user
    return make


def search(client, headers, **body):
    payload = {"requirements": [{"discipline": "radiology"}], "duration_minutes": 60, **WINDOW, "limit": 5}
    payload.update(body)
    return client.post("/api/v1/scheduling/search", headers=headers, json=payload)


@pytest.fixture
def coordinator_headers(make_user, api_auth):
    return api_auth.headers(make_user("coordinator"))


def book(session, user, start, minutes=60, before=0, after=0):
    starts_at = parse_instant(start)
    meeting = Meeting(title="Other MDT", starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
                      host_timezone="UTC")
    meeting.invitations.append(Invitation(user_id=user.id, discipline_code="radiology", status="accepted",
                                          busy_from=starts_at - timedelta(minutes=before),
                                          busy_until=meeting.ends_at + timedelta(minutes=after)))
    session.add(meeting)
    session.commit()


def test_slots_name_everyone_with_their_local_time(client, specialist, coordinator_headers):
    kolkata = specialist("Dr Sen", "Asia/Kolkata", ["radiology"])
    london = specialist("Dr Brown", "Europe/London", ["pathology"])
    response = search(client, coordinator_headers,
                      requirements=[{"discipline": "radiology"}, {"discipline": "pathology"}])
    assert response.status_code == 200, response.get_json()
    slots = response.get_json()["slots"]
    assert slots
    # Kolkata works 03:30-11:30Z, London 09:00-17:00Z in March before DST: overlap 09:00-11:30Z.
    for slot in slots:
        start = parse_instant(slot["start"])
        assert 9 <= start.hour and start + timedelta(minutes=60) <= start.replace(hour=11, minute=30)
        people = {p["user_id"]: p for p in slot["participants"]}
        assert people[kolkata.id]["local_start"].endswith("+05:30")
        assert people[london.id]["local_start"].endswith("+00:00")
        assert all(p["within_working_hours"] for p in people.values())
        assert slot["assignment"] == {"radiology": [kolkata.id], "pathology": [london.id]}
    assert {p["local_weekday"] for p in slots[0]["participants"]} <= {"Monday", "Tuesday", "Wednesday",
                                                                       "Thursday", "Friday"}


def test_local_times_follow_dst(client, specialist, coordinator_headers):
    specialist("Dr Brown", "Europe/London", ["radiology"])
    response = search(client, coordinator_headers, window_start="2027-03-29T00:00:00Z",
                      window_end="2027-03-30T00:00:00Z", limit=50)
    slots = response.get_json()["slots"]
    starts = sorted(parse_instant(s["start"]) for s in slots)
    # After the change London's 09:00-17:00 is 08:00-16:00Z.
    assert starts[0] == parse_instant("2027-03-29T08:00:00Z")
    assert starts[-1] == parse_instant("2027-03-29T15:00:00Z")
    first = min(slots, key=lambda s: s["start"])
    assert first["participants"][0]["local_start"] == "2027-03-29T09:00:00+01:00"


def test_empty_search_explains_every_exclusion(client, session, specialist, coordinator_headers):
    specialist("Expired", "Asia/Shanghai", ["radiology"], licence_expires=date(2026, 1, 1))
    specialist("Unverified", "Asia/Shanghai", ["radiology"], licence_verified=False)
    on_leave = specialist("On Leave", "Asia/Shanghai", ["radiology"])
    session.add(Leave(profile_id=session.query(SpecialistProfile).filter_by(user_id=on_leave.id).one().id,
                      starts_at=parse_instant("2027-03-20T00:00:00Z"), ends_at=parse_instant("2027-03-28T00:00:00Z")))
    session.commit()
    specialist("Weekends", "Asia/Shanghai", ["radiology"], hours={"sun": [["09:00", "12:00"]]})
    busy = specialist("Busy", "Asia/Shanghai", ["radiology"], hours={"mon": [["09:00", "10:00"]]})
    book(session, busy, "2027-03-22T01:00:00Z")
    capped = specialist("Capped", "Asia/Shanghai", ["radiology"], hours={"mon": [["09:00", "12:00"]]},
                        max_meetings_per_day=1)
    book(session, capped, "2027-03-22T03:00:00Z")
    response = search(client, coordinator_headers)
    body = response.get_json()
    assert response.status_code == 200 and body["slots"] == []
    (radiology,) = body["explanation"]["requirements"]
    assert radiology["candidates"] == 6 and radiology["available"] == 0
    assert radiology["excluded"] == {"no valid licence": 2, "on leave": 1, "outside working hours": 1,
                                     "busy": 1, "over their meeting cap": 1}
    reasons = {p["name"]: p["reason"] for p in radiology["excluded_people"]}
    assert reasons["Capped"] == "over their meeting cap" and reasons["On Leave"] == "on leave"
    # The Sunday worker (Shanghai) is free on 2027-03-28 at 09:00 local = 01:00Z.
    assert body["explanation"]["earliest_after_window"]["start"] == "2027-03-28T01:00:00Z"


def test_licence_language_and_urgent_filters(client, specialist, coordinator_headers):
    specialist("In Kenya", "Africa/Nairobi", ["radiology"], licence="KE", languages=("sw", "en"))
    specialist("In China", "Asia/Shanghai", ["radiology"], licence="CN", languages=("zh",), takes_urgent=False)
    kenya = search(client, coordinator_headers, licensed_in="KE").get_json()
    assert {p["name"] for s in kenya["slots"] for p in s["participants"]} == {"In Kenya"}
    assert kenya["explanation"]["requirements"][0]["excluded"] == {"no valid licence in KE": 1}
    chinese = search(client, coordinator_headers, language="zh").get_json()
    assert {p["name"] for s in chinese["slots"] for p in s["participants"]} == {"In China"}
    urgent = search(client, coordinator_headers, urgent=True).get_json()
    assert urgent["explanation"]["requirements"][0]["excluded"] == {"does not take urgent requests": 1}


def test_the_explanations_reasons_come_in_the_readers_words_beside_their_stable_values(
        client, specialist, coordinator_headers):
    specialist("In China", "Asia/Shanghai", ["radiology"], licence="CN", takes_urgent=False)
    specialist("In Kenya", "Africa/Nairobi", ["radiology"], licence="KE")
    english = search(client, coordinator_headers, licensed_in="KE", urgent=True).get_json()["explanation"]
    assert english["requirements"][0]["excluded"] == {"no valid licence in KE": 1}
    assert english["reason_texts"] == {"no valid licence in KE": "no valid licence in Kenya"}
    russian = search(client, {**coordinator_headers, "Accept-Language": "ru"}, licensed_in="KE",
                     urgent=True).get_json()["explanation"]
    assert russian["requirements"][0]["excluded"] == {"no valid licence in KE": 1}
    assert russian["reason_texts"] == {"no valid licence in KE": "нет действующей лицензии в стране: Кения"}
    chinese = search(client, {**coordinator_headers, "Accept-Language": "zh"}, urgent=True).get_json()["explanation"]
    assert chinese["reason_texts"] == {"does not take urgent requests": "不接受紧急请求"}


def test_buffers_keep_time_around_other_meetings(client, session, specialist, coordinator_headers):
    user = specialist("Buffered", "UTC", ["radiology"], hours={"mon": [["09:00", "13:00"]]},
                      buffer_before_minutes=30, buffer_after_minutes=30)
    book(session, user, "2027-03-22T10:00:00Z", before=30, after=30)
    starts = {s["start"] for s in search(client, coordinator_headers, limit=50).get_json()["slots"]}
    # The booking holds 09:30-11:30; a new meeting needs 30 minutes either side of itself too.
    assert starts == {"2027-03-22T12:00:00Z"}


def test_minimum_notice(client, specialist, coordinator_headers):
    specialist("Notice", "UTC", ["radiology"], hours={d: [["00:00", "24:00"]] for d in
                                                     ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
               min_notice_hours=48)
    start = now_utc().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    body = search(client, coordinator_headers, window_start=start.isoformat(),
                  window_end=(start + timedelta(days=4)).isoformat(), limit=1).get_json()
    assert parse_instant(body["slots"][0]["start"]) >= now_utc() + timedelta(hours=47, minutes=59)


def test_attendee_without_profile_uses_office_hours_in_their_zone(client, session, make_user, specialist,
                                                                 coordinator_headers):
    nairobi = create_organization(session, name="Nairobi Teaching Hospital", country="KE",
                                  timezone="Africa/Nairobi", residency_region="ke")
    referrer = make_user("referrer", organization_=nairobi)
    specialist("Anywhere", "UTC", ["radiology"], hours={"mon": [["00:00", "24:00"]]})
    body = search(client, coordinator_headers, attendees=[referrer.id], limit=50).get_json()
    starts = sorted(parse_instant(s["start"]) for s in body["slots"])
    # Nairobi office hours 08:00-18:00 (+03:00) on Monday = 05:00-15:00Z.
    assert starts[0] == parse_instant("2027-03-22T05:00:00Z")
    assert starts[-1] == parse_instant("2027-03-22T14:00:00Z")
    roles = {p["user_id"]: p["role"] for p in body["slots"][0]["participants"]}
    assert roles[referrer.id] == "attendee"


def test_on_call_specialist_is_preferred(client, session, specialist, coordinator_headers):
    first = specialist("Alpha", "UTC", ["radiology"])
    on_call = specialist("Zulu", "UTC", ["radiology"])
    rota = Rota(name="Radiology", discipline_code="radiology", handoff_weekday=0,
                handoff_time=parse_instant("2027-03-22T00:00:00Z").time(), timezone="UTC", period_weeks=1)
    session.add_all([rota, OnCallShift(rota=rota, user_id=on_call.id, starts_at=parse_instant("2027-03-22T00:00:00Z"),
                                       ends_at=parse_instant("2027-03-29T00:00:00Z"))])
    session.commit()
    slots = search(client, coordinator_headers).get_json()["slots"]
    assert all(s["assignment"]["radiology"] == [on_call.id] for s in slots)
    assert all(p["on_call"] for s in slots for p in s["participants"])
    assert first.id not in {p["user_id"] for s in slots for p in s["participants"]}


def test_load_is_spread_to_the_less_booked(client, session, specialist, coordinator_headers):
    busy = specialist("Often booked", "UTC", ["radiology"])
    rested = specialist("Rarely booked", "UTC", ["radiology"])
    for day in range(1, 4):
        book(session, busy, (now_utc() - timedelta(days=day)).isoformat())
    slots = search(client, coordinator_headers).get_json()["slots"]
    assert slots and all(s["assignment"]["radiology"] == [rested.id] for s in slots)


@pytest.mark.parametrize("change,field", [
    ({"requirements": [{"discipline": "astrology"}]}, "requirements[0].discipline"),
    ({"requirements": [{"discipline": "radiology", "count": 0}]}, "requirements[0].count"),
    ({"window_end": "2027-03-21T00:00:00Z"}, "window_end"),
    ({"window_start": "2027-03-22T00:00:00"}, "window_start"),
    ({"duration_minutes": 5}, "duration_minutes"),
    ({"attendees": [9999]}, "attendees[0]"),
    ({"licensed_in": "kenya"}, "licensed_in"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_input_names_the_field(client, coordinator_headers, change, field):
    response = search(client, coordinator_headers, **change)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.get_json()["errors"]]


def test_only_coordinators_and_admins_search(client, make_user, api_auth):
    for role in ("referrer", "specialist"):
        assert search(client, api_auth.headers(make_user(role))).status_code == 403


def test_explanation_names_a_bounded_number_of_people_but_counts_everyone(client, session, specialist,
                                                                          coordinator_headers, monkeypatch):
    from app.meetings import search as search_module

    monkeypatch.setattr(search_module, "EXPLAINED_PEOPLE", 2)
    for name in ("Weekends A", "Weekends B", "Weekends C"):
        specialist(name, "Asia/Shanghai", ["radiology"], hours={"sun": [["09:00", "12:00"]]})
    specialist("Pathologist", "Asia/Shanghai", ["pathology"])  # not asked for: not a candidate at all
    (radiology,) = search(client, coordinator_headers).get_json()["explanation"]["requirements"]
    assert radiology["candidates"] == 3 and radiology["excluded"] == {"outside working hours": 3}
    assert [p["name"] for p in radiology["excluded_people"]] == ["Weekends A", "Weekends B"]


def test_board_core_members_are_asked_before_its_deputies(client, session, specialist, coordinator_headers,
                                                          organization):
    from datetime import time as wall_time

    from app.boards.models import Board, BoardMember

    core = specialist("Core Radiologist", "UTC", ["radiology"])
    deputy = specialist("Deputy Radiologist", "UTC", ["radiology"])
    outsider = specialist("Other Radiologist", "UTC", ["radiology"])
    for day in range(1, 4):  # the core member is the busiest; load alone would pick the others
        book(session, core, (now_utc() - timedelta(days=day)).isoformat())
    board = Board(name="Chest MDT", host_organization_id=organization.id, timezone="UTC", weekday=0,
                  start_time=wall_time(9), anchor_date=date(2027, 1, 4))
    board.members = [BoardMember(user_id=deputy.id, role="deputy", discipline_code="radiology"),
                     BoardMember(user_id=core.id, role="core", discipline_code="radiology")]
    session.add(board)
    session.commit()
    slots = search(client, coordinator_headers, board_id=board.id).get_json()["slots"]
    assert slots and all(s["assignment"]["radiology"] == [core.id] for s in slots)
    (person,) = slots[0]["participants"]
    assert person["chosen_because"] == ["core"] and person["board_role"] == "core"
    # Without the core member, the deputy comes before anyone else.
    session.delete(board.members[1])
    session.commit()
    slots = search(client, coordinator_headers, board_id=board.id).get_json()["slots"]
    assert all(s["assignment"]["radiology"] == [deputy.id] for s in slots)
    assert outsider.id not in {p["user_id"] for s in slots for p in s["participants"]}


def test_times_found_are_shown_in_time_order(client, specialist, coordinator_headers):
    specialist("Anyone", "Asia/Shanghai", ["radiology"])
    starts = [parse_instant(s["start"]) for s in search(client, coordinator_headers, limit=8).get_json()["slots"]]
    assert len(starts) == 8 and starts == sorted(starts)


def test_an_unknown_board_is_named(client, coordinator_headers):
    response = search(client, coordinator_headers, board_id=999999)
    assert response.status_code == 422 and "board_id" in [e["field"] for e in response.get_json()["errors"]]
