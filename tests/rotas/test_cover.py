"""Cover: a member asks, another member of the rota accepts, a coordinator approves or rejects;
on approval the shift moves (sequence raised) and both members are told, exactly once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.notifications.models import Notification
from app.rotas.models import OnCallShift
from rota_helpers import assert_problem

UTC = timezone.utc


@pytest.fixture
def setup(client, clock, api_auth, make_specialist, coordinator):
    """A three-member weekly rota with six shifts from Monday 2 March 2026; it is 5 January."""
    ana = make_specialist(name="Ana", zone="Asia/Kolkata")
    bo = make_specialist(name="Bo", zone="Asia/Almaty")
    cy = make_specialist(name="Cy", zone="Asia/Shanghai")
    boss = api_auth.headers(coordinator)
    rota = client.post("/api/v1/rotas", headers=boss, json={
        "name": "Radiology", "discipline_code": "radiology", "handoff_weekday": 0,
        "handoff_time": "08:00", "timezone": "Asia/Shanghai", "members": [ana.id, bo.id, cy.id]},
    ).get_json()
    shifts = client.post(f"/api/v1/rotas/{rota['id']}/generate", headers=boss,
                         json={"start": "2026-03-02", "weeks": 6}).get_json()["shifts"]
    people = {u.id: u for u in (ana, bo, cy)}
    headers = {u.id: api_auth.headers(u) for u in (ana, bo, cy)}

    class Setup:
        pass

    s = Setup()
    s.rota, s.shifts, s.people, s.headers, s.boss, s.clock = rota, shifts, people, headers, boss, clock
    s.shift = shifts[2]
    s.holder = people[s.shift["user_id"]]
    s.others = [u for u in (ana, bo, cy) if u.id != s.holder.id]
    return s


def ask(client, s, reason="Speaking at a conference"):
    response = client.post(f"/api/v1/shifts/{s.shift['id']}/cover-requests",
                           headers=s.headers[s.holder.id], json={"reason": reason})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(client, headers, cover_id, action):
    return client.post(f"/api/v1/cover-requests/{cover_id}/{action}", headers=headers)


def notifications(session, user):
    return session.scalars(select(Notification).where(Notification.user_id == user.id)
                           .order_by(Notification.id)).all()


def test_the_whole_cover_workflow(client, session, setup):
    s = setup
    cover = ask(client, s)
    assert cover["status"] == "open" and cover["allowed"] == ["accept", "withdraw", "reject"]
    assert cover["requested_by_id"] == s.holder.id and cover["reason"] == "Speaking at a conference"
    # the other members hear about it
    for other in s.others:
        assert [n.kind for n in notifications(session, other)] == ["rota.cover"]

    coverer = s.others[0]
    accepted = act(client, s.headers[coverer.id], cover["id"], "accept").get_json()
    assert accepted["status"] == "accepted" and accepted["covered_by_id"] == coverer.id
    assert accepted["allowed"] == ["approve", "reject", "withdraw"]
    # accepting alone moves nothing
    assert session.get(OnCallShift, s.shift["id"]).user_id == s.holder.id

    approved = act(client, s.boss, cover["id"], "approve")
    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert body["status"] == "approved" and body["allowed"] == []
    assert body["shift"]["user_id"] == coverer.id and body["shift"]["sequence"] == 1
    session.expire_all()
    shift = session.get(OnCallShift, s.shift["id"])
    assert shift.user_id == coverer.id and shift.sequence == 1

    # both members told, once each (dedupe keys name the request and the person)
    told_holder = [n for n in notifications(session, s.holder) if "approved" in n.dedupe_key]
    told_coverer = [n for n in notifications(session, coverer) if "approved" in n.dedupe_key]
    assert len(told_holder) == 1 and len(told_coverer) == 1
    assert told_holder[0].dedupe_key == f"cover-approved:{cover['id']}:user:{s.holder.id}"
    assert coverer.name in told_holder[0].subject
    # times are shown on the reader's own wall clock (Ana reads Asia/Shanghai via her organisation)
    assert "2026" in told_coverer[0].body and "UTC+" in told_coverer[0].body

    # who is on call during that week is now the coverer
    on_call = client.get(f"/api/v1/rotas/{s.rota['id']}/on-call?at={s.shift['starts_at']}",
                         headers=s.boss).get_json()
    assert on_call["user_id"] == coverer.id

    # approving again is an illegal transition
    again = assert_problem(act(client, s.boss, cover["id"], "approve"), 409)
    assert again["allowed"] == [] and again["cover_status"] == "approved"
    assert "No further action is possible" in again["detail"]


def test_reject_leaves_the_shift_and_tells_both(client, session, setup):
    s = setup
    cover = ask(client, s)
    coverer = s.others[1]
    act(client, s.headers[coverer.id], cover["id"], "accept")
    # A JSON request with an empty body is the body's defaults, as no body is: no reason.
    rejected = client.post(f"/api/v1/cover-requests/{cover['id']}/reject", headers=s.boss, data=b"",
                           content_type="application/json").get_json()
    assert rejected["status"] == "rejected" and rejected["decision_reason"] is None
    session.expire_all()
    assert session.get(OnCallShift, s.shift["id"]).user_id == s.holder.id
    assert session.get(OnCallShift, s.shift["id"]).sequence == 0
    for person in (s.holder, coverer):
        assert any(n.dedupe_key == f"cover-rejected:{cover['id']}:user:{person.id}"
                   for n in notifications(session, person))
    # now a new request for the same shift is possible
    assert ask(client, s, "Still need it")["status"] == "open"


def test_a_rejection_over_the_api_may_say_why_and_both_are_told(client, session, setup, assert_problem):
    s = setup
    cover = ask(client, s)
    url = f"/api/v1/cover-requests/{cover['id']}/reject"
    too_long = assert_problem(client.post(url, headers=s.boss, json={"reason": "x" * 501}), 422)
    assert [error["field"] for error in too_long["errors"]] == ["reason"]
    assert client.get(f"/api/v1/cover-requests/{cover['id']}", headers=s.boss).get_json()["status"] == "open"

    rejected = client.post(url, headers=s.boss, json={"reason": "Needs a senior radiologist"})
    assert rejected.status_code == 200, rejected.get_json()
    assert rejected.get_json()["decision_reason"] == "Needs a senior radiologist"
    session.expire_all()
    [told] = [n for n in notifications(session, s.holder) if n.dedupe_key.startswith("cover-rejected:")]
    assert told.params.get("reason") == "Needs a senior radiologist"
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "rota.cover_rejected")).all()
    assert event.target_id == str(cover["id"]) and event.detail["reason"] == "Needs a senior radiologist"


def test_illegal_moves(client, session, setup, make_specialist, api_auth):
    s = setup
    cover = ask(client, s)
    # approving an open request: 409, saying what is allowed
    body = assert_problem(act(client, s.boss, cover["id"], "approve"), 409)
    assert body["cover_status"] == "open" and body["allowed"] == ["accept", "withdraw", "reject"]
    assert "waiting for another member of the rota to accept it" in body["detail"]
    # accepting your own request: 409
    own = assert_problem(act(client, s.headers[s.holder.id], cover["id"], "accept"), 409)
    assert own["allowed"] == ["withdraw"] and "another member" in own["detail"]
    # a specialist of the discipline who is not a member of this rota: 403
    outsider = make_specialist(name="Outsider")
    assert_problem(act(client, api_auth.headers(outsider), cover["id"], "accept"), 403)
    # asking twice for the same shift: 409 naming the first request
    twice = assert_problem(client.post(f"/api/v1/shifts/{s.shift['id']}/cover-requests",
                                       headers=s.headers[s.holder.id], json={"reason": "Again"}), 409)
    assert twice["cover_request_id"] == cover["id"]
    # asking for someone else's shift: 403
    other_shift = next(x for x in s.shifts if x["user_id"] != s.holder.id)
    assert_problem(client.post(f"/api/v1/shifts/{other_shift['id']}/cover-requests",
                               headers=s.headers[s.holder.id], json={"reason": "Not mine"}), 403)
    # only the requester withdraws
    assert_problem(act(client, s.headers[s.others[0].id], cover["id"], "withdraw"), 403)
    # a specialist cannot approve; a coordinator cannot accept
    assert_problem(act(client, s.headers[s.others[0].id], cover["id"], "approve"), 403)
    assert_problem(act(client, s.boss, cover["id"], "accept"), 403)
    # accepted twice: 409
    act(client, s.headers[s.others[0].id], cover["id"], "accept")
    assert assert_problem(act(client, s.headers[s.others[1].id], cover["id"], "accept"),
                          409)["cover_status"] == "accepted"
    withdrawn = act(client, s.headers[s.holder.id], cover["id"], "withdraw").get_json()
    assert withdrawn["status"] == "withdrawn"
    assert any(n.dedupe_key == f"cover-withdrawn:{cover['id']}:user:{s.others[0].id}"
               for n in notifications(session, s.others[0]))
    assert_problem(act(client, s.boss, cover["id"], "reject"), 409)


def test_no_cover_for_shifts_that_have_started(client, setup):
    s = setup
    cover = ask(client, s)
    act(client, s.headers[s.others[0].id], cover["id"], "accept")
    # time passes: the shift begins
    s.clock.now = datetime.fromisoformat(s.shift["starts_at"].replace("Z", "+00:00"))
    body = assert_problem(act(client, s.boss, cover["id"], "approve"), 409)
    assert "started at" in body["detail"] and body["starts_at"] == s.shift["starts_at"]
    past = s.shifts[0]
    body = assert_problem(client.post(f"/api/v1/shifts/{past['id']}/cover-requests",
                                      headers=s.headers[past["user_id"]], json={"reason": "Late"}), 409)
    assert "not started yet" in body["detail"]


def test_coverer_on_leave_cannot_accept(client, session, setup):
    from app.specialists.models import Leave, SpecialistProfile

    s = setup
    cover = ask(client, s)
    away = s.others[0]
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == away.id))
    starts = datetime.fromisoformat(s.shift["starts_at"].replace("Z", "+00:00"))
    profile.leave.append(Leave(starts_at=starts, ends_at=starts + timedelta(days=1)))
    session.commit()
    body = assert_problem(act(client, s.headers[away.id], cover["id"], "accept"), 409)
    assert "You cannot cover this shift: on leave" in body["detail"]


def test_cover_request_needs_a_reason_and_a_real_shift(client, setup):
    s = setup
    body = assert_problem(client.post(f"/api/v1/shifts/{s.shift['id']}/cover-requests",
                                      headers=s.headers[s.holder.id], json={}), 422)
    assert body["errors"][0]["field"] == "reason"
    body = assert_problem(client.post(f"/api/v1/shifts/{s.shift['id']}/cover-requests",
                                      headers=s.headers[s.holder.id], json={"reason": "   "}), 422)
    assert body["errors"][0]["field"] == "reason"
    assert_problem(client.post("/api/v1/shifts/9999/cover-requests",
                               headers=s.headers[s.holder.id], json={"reason": "x"}), 404)
    assert_problem(client.post("/api/v1/cover-requests/9999/accept",
                               headers=s.headers[s.holder.id]), 404)


def test_cover_requests_are_listed_for_readers(client, setup, api_auth, make_user):
    s = setup
    cover = ask(client, s)
    listed = client.get(f"/api/v1/rotas/{s.rota['id']}/cover-requests?status=open",
                        headers=s.headers[s.others[0].id]).get_json()
    assert [c["id"] for c in listed] == [cover["id"]]
    one = client.get(f"/api/v1/cover-requests/{cover['id']}", headers=s.boss).get_json()
    assert one["shift"]["id"] == s.shift["id"]
    assert_problem(client.get(f"/api/v1/cover-requests/{cover['id']}",
                              headers=api_auth.headers(make_user("referrer"))), 403)
    bad = assert_problem(client.get(f"/api/v1/rotas/{s.rota['id']}/cover-requests?status=pending",
                                    headers=s.boss), 422)
    assert bad["errors"][0]["field"] == "status"


def test_cover_requests_are_listed_in_shift_order_a_page_at_a_time(client, setup):
    s = setup
    asked = []
    for shift in reversed(s.shifts[1:4]):  # asked latest shift first
        holder = s.people[shift["user_id"]]
        response = client.post(f"/api/v1/shifts/{shift['id']}/cover-requests", headers=s.headers[holder.id],
                               json={"reason": "Away"})
        assert response.status_code == 201, response.get_json()
        asked.append(response.get_json())
    first = client.get(f"/api/v1/rotas/{s.rota['id']}/cover-requests?limit=2", headers=s.boss)
    second = client.get(first.headers["Link"].split(">")[0].lstrip("<"), headers=s.boss)
    listed = [c["shift"]["id"] for c in first.get_json() + second.get_json()]
    assert listed == [shift["id"] for shift in s.shifts[1:4]]
    assert "Link" not in second.headers


def test_cover_stays_within_the_volunteers_working_hours(client, session, setup):
    """A volunteer with no working hours during the shift may neither take it nor be approved for it."""
    from app.specialists.models import SpecialistProfile

    s = setup
    cover = ask(client, s)
    off_all_week, willing = s.others
    profile_of = {u.id: session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == u.id))
                  for u in s.others}

    def no_hours(user):
        profile = profile_of[user.id]
        profile.weekly_hours = {}
        if hasattr(profile, "weekly_hours_json"):
            profile.weekly_hours_json = None
        session.commit()

    no_hours(off_all_week)
    refused = act(client, s.headers[off_all_week.id], cover["id"], "accept")
    problem = assert_problem(refused, 409)
    assert "none of the working hours" in problem["detail"]

    assert act(client, s.headers[willing.id], cover["id"], "accept").status_code == 200
    no_hours(willing)   # their hours changed after they volunteered
    refused = act(client, s.boss, cover["id"], "approve")
    assert "none of the working hours" in assert_problem(refused, 409)["detail"]
    session.expire_all()
    assert session.get(OnCallShift, s.shift["id"]).user_id == s.holder.id
