"""The demo rotas: radiology weekly in Shanghai, pathology fortnightly in Kathmandu, shifts from
now through the next 8 weeks, someone on call at once, and one open cover request."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.demo.rotas import seed_rotas
from app.demo.network import EMAIL_DOMAIN, seed_network
from app.demo.specialists import seed_specialists
from app.rotas import operations
from app.rotas.models import CoverRequest, Rota
from app.timekeeping import now_utc, to_local


def seed(session):
    seed_network(session, "meridian-demo")
    users = {user.email: user for user in session.scalars(select(User))}
    at = now_utc()
    seed_specialists(session, users, at, password="meridian-demo")
    rotas = seed_rotas(session, users, at)
    session.commit()
    return at, rotas


def test_demo_rotas(session, client, api_auth):
    at, rotas = seed(session)
    by_name = {rota.name: rota for rota in rotas}
    radiology, pathology = by_name["Radiology on call"], by_name["Pathology on call"]
    members = {rota.name: [m.user.email.split("@")[0] for m in rota.members] for rota in rotas}
    assert members["Radiology on call"][:2] == ["radiologist.kolkata", "radiologist.almaty"]
    assert set(members["Pathology on call"]) >= {"pathologist.kathmandu", "pathologist.fcg"}
    assert (radiology.handoff_weekday, radiology.timezone, radiology.period_weeks) == (0, "Asia/Shanghai", 1)
    assert (pathology.handoff_weekday, pathology.timezone, pathology.period_weeks) == (4, "Asia/Kathmandu", 2)

    for rota in rotas:
        # someone is on call now and at every moment of the next 8 weeks
        shifts = operations.shifts_between(session, rota, at, at + timedelta(weeks=8))
        assert shifts[0].starts_at <= at and shifts[-1].ends_at >= at + timedelta(weeks=8)
        assert all(a.ends_at == b.starts_at for a, b in zip(shifts, shifts[1:]))
        for shift in shifts:
            local = to_local(shift.starts_at, rota.timezone)
            assert local.weekday() == rota.handoff_weekday
            assert local.time() == rota.handoff_time
        assert operations.on_call_shift(session, rota.id, at) is not None

    # the pathologist in Kathmandu is on leave 12-16 days from now: not on call then
    kathmandu = session.scalar(select(User).where(User.email == f"pathologist.kathmandu@{EMAIL_DOMAIN}"))
    for day in range(13, 16):
        assert kathmandu.id not in operations.on_call_user_ids(session, "pathology",
                                                                at + timedelta(days=day))
    assert operations.on_call_user_ids(session, "radiology", at)

    open_requests = session.scalars(select(CoverRequest).where(CoverRequest.status == "open")).all()
    assert len(open_requests) == 1 and open_requests[0].shift.rota_id == radiology.id
    assert open_requests[0].shift.starts_at >= at + timedelta(days=14)

    # the demo coordinator sees them through the API
    coordinator = session.scalar(select(User).where(User.email == f"coordinator@{EMAIL_DOMAIN}"))
    headers = {"Authorization": f"Bearer {api_auth.token_for(coordinator, 'meridian-demo')}"}
    listed = client.get("/api/v1/rotas", headers=headers).get_json()
    assert {r["name"] for r in listed} == {"Radiology on call", "Pathology on call"}
    on_call = client.get(f"/api/v1/rotas/{radiology.id}/on-call", headers=headers)
    assert on_call.status_code == 200


def test_seeding_rotas_twice_adds_nothing(session):
    at, _ = seed(session)
    users = {user.email: user for user in session.scalars(select(User))}
    assert seed_rotas(session, users, at) == []
    assert len(session.scalars(select(Rota)).all()) == 2
    assert len(session.scalars(select(CoverRequest)).all()) == 1
