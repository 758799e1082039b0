"""Shifts generated as a draft stay hidden from members until the rota is published; then each member
with a newly published shift is told once."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from app.notifications.models import Notification
from app.rotas import operations as rotas
from app.rotas.models import Rota

UTC = timezone.utc
AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_drafts_are_hidden_until_published(client, session, api_auth, make_specialist, coordinator):
    ana, bo = make_specialist(name="Ana", zone="Asia/Kolkata"), make_specialist(name="Bo")
    made = client.post("/api/v1/rotas", headers=api_auth.headers(coordinator), json={
        "name": "Radiology", "discipline_code": "radiology", "handoff_weekday": 0, "handoff_time": "08:00",
        "timezone": "Asia/Shanghai", "members": [ana.id, bo.id]}).get_json()
    rota = session.get(Rota, made["id"])
    window = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 30, tzinfo=UTC))

    rotas.generate(session, rota, start=date(2026, 3, 2), weeks=4, at=AT, publish=False)
    session.commit()
    assert rotas.draft_count(session, rota) == 4
    assert rotas.shifts_of(session, ana, *window) == [] and rotas.shifts_of(session, bo, *window) == []
    # A draft puts nobody on call: not for the rota's own lookup, the time search, or the directory.
    during = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert rotas.on_call_shift(session, rota.id, during) is None
    assert rotas.on_call_user_ids(session, "radiology", during) == []
    on_call = client.get(f"/api/v1/rotas/{rota.id}/on-call?at=2026-03-10T12:00:00Z",
                         headers=api_auth.headers(coordinator))
    assert on_call.status_code == 404

    assert rotas.publish(session, rota, at=AT) == 4
    session.commit()
    assert rotas.draft_count(session, rota) == 0
    assert len(rotas.shifts_of(session, ana, *window)) == 2 and len(rotas.shifts_of(session, bo, *window)) == 2
    assert rotas.on_call_shift(session, rota.id, during).user_id in (ana.id, bo.id)
    assert rotas.on_call_user_ids(session, "radiology", during) in ([ana.id], [bo.id])
    for member in (ana, bo):
        told = session.scalars(select(Notification).where(Notification.user_id == member.id,
                                                          Notification.kind == "rota.published")).all()
        assert len(told) == 1 and "Radiology" in told[0].subject
    assert rotas.publish(session, rota, at=AT) == 0   # nothing left to publish, nobody told again
