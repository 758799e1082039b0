"""Rotas through the pages: a coordinator creates a rota, chooses members, generates and publishes its
shifts and approves cover or rejects it with a reason; a specialist sees their shifts and takes a
colleague's in one click."""
from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.rotas import operations as rotas
from app.rotas.models import CoverRequest, OnCallShift, Rota
from app.specialists.models import SpecialistProfile, specialist_disciplines
from app.timekeeping import now_utc, to_local
from tests.web.page_helpers import text


def radiologists(session) -> list[User]:
    """Active radiologists, those on no demo rota first (so a new rota's shifts clash with nothing)."""
    on_call = set(session.scalars(select(OnCallShift.user_id)))
    people = list(session.scalars(
        select(User).join(SpecialistProfile, SpecialistProfile.user_id == User.id)
        .join(specialist_disciplines, specialist_disciplines.c.profile_id == SpecialistProfile.id)
        .where(specialist_disciplines.c.discipline_code == "radiology", User.is_active.is_(True))
        .order_by(User.id)))
    return sorted(people, key=lambda user: user.id in on_call)


def test_a_coordinator_sets_up_and_publishes_a_rota_and_a_specialist_takes_cover(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    assert 'href="/coordinator/rotas/new"' in text(client.get("/coordinator/rotas"))
    refused = client.post("/coordinator/rotas/new", data={"name": "Night radiology", "discipline_code": "astrology",
                                                          "handoff_weekday": "0", "handoff_time": "08:00",
                                                          "timezone": "Asia/Shanghai", "period_weeks": "1"})
    assert refused.status_code == 422 and 'id="discipline_code-error"' in text(refused)
    created = client.post("/coordinator/rotas/new", data={"name": "Night radiology", "discipline_code": "radiology",
                                                          "handoff_weekday": "0", "handoff_time": "08:00",
                                                          "timezone": "Asia/Shanghai", "period_weeks": "1"})
    assert created.status_code == 302, text(created)
    rota = session.scalar(select(Rota).where(Rota.name == "Night radiology"))
    page = text(client.get(f"/coordinator/rotas/{rota.id}"))
    people = radiologists(session)[:2]
    assert 'id="add-0"' in page and 'list="people-suggestions"' in page   # members are added by e-mail
    unknown = client.post(f"/coordinator/rotas/{rota.id}/members", data={"add": [people[0].email, "nobody@x.example"]})
    assert unknown.status_code == 422 and 'id="add-error"' in text(unknown)
    assert 'value="nobody@x.example"' in text(unknown)                        # what was typed stays
    saved = client.post(f"/coordinator/rotas/{rota.id}/members", data={"add": [p.email.upper() for p in people]})
    assert saved.status_code == 302
    page = text(client.get(f"/coordinator/rotas/{rota.id}"))
    assert all(f'id="member-{p.id}"' in page for p in people)             # then listed, ticked, in turn order
    tomorrow = to_local(now_utc(), "Asia/Shanghai").date() + timedelta(days=1)
    start = tomorrow + timedelta(days=(7 - tomorrow.weekday()) % 7)  # the rota hands off on Mondays
    bad = client.post(f"/coordinator/rotas/{rota.id}/generate", data={"start": "tomorrow", "weeks": "4"})
    assert bad.status_code == 422 and 'id="start-error"' in text(bad)
    published = client.post(f"/coordinator/rotas/{rota.id}/generate", data={"start": start.isoformat(), "weeks": "4"})
    assert published.status_code == 302, text(published)
    session.expire_all()
    shifts = session.scalars(select(OnCallShift).where(OnCallShift.rota_id == rota.id,
                                                       OnCallShift.status == "scheduled")
                             .order_by(OnCallShift.starts_at)).all()
    assert len(shifts) >= 4 and {s.user_id for s in shifts} == {p.id for p in people}
    # a draft until published: the rota page offers "Publish"; then the members see their shifts
    assert 'id="publish"' in text(client.get(f"/coordinator/rotas/{rota.id}"))
    assert not any(s.published for s in shifts)
    assert client.post(f"/coordinator/rotas/{rota.id}/publish").status_code == 302
    session.expire_all()
    assert all(s.published for s in shifts)
    assert 'id="publish"' not in text(client.get(f"/coordinator/rotas/{rota.id}"))

    # The first member asks for cover of a later shift of theirs; the other sees it and takes it.
    first, second = people
    theirs = next(s for s in shifts[1:] if s.user_id == first.id)
    free_during(session, second, theirs)
    request_ = rotas.request_cover(session, theirs, first, reason="Conference", at=now_utc())
    session.commit()
    sign_in(second)
    mine = text(client.get("/my/shifts"))
    assert "Night radiology" in mine and f'action="/my/cover/{request_.id}/take"' in mine
    taken = client.post(f"/my/cover/{request_.id}/take", follow_redirects=True)
    assert "a coordinator approves it" in text(taken), text(taken)
    session.expire_all()
    assert session.get(CoverRequest, request_.id).status == "accepted"
    assert session.get(CoverRequest, request_.id).covered_by_id == second.id

    # The coordinator rejects it, saying why.
    sign_in(demo["coordinator"])
    grid = text(client.get("/coordinator/rotas"))
    assert f'id="reject-reason-{request_.id}"' in grid
    rejected = client.post(f"/coordinator/cover-requests/{request_.id}/reject", data={"reason": "Needs a senior"})
    assert rejected.status_code == 302
    session.expire_all()
    decided = session.get(CoverRequest, request_.id)
    assert decided.status == "rejected" and decided.decision_reason == "Needs a senior"


def test_nobody_takes_cover_while_already_on_call(demo, sign_in, client, session):
    people = radiologists(session)[:2]
    rota = rotas.create_rota(session, name="Day radiology", discipline_code="radiology", handoff_weekday=0,
                             handoff_time="08:00", timezone="UTC", members=[p.id for p in people])
    other = rotas.create_rota(session, name="Weekend radiology", discipline_code="radiology", handoff_weekday=0,
                              handoff_time="08:00", timezone="UTC", members=[people[1].id])
    soon = now_utc().date() + timedelta(days=2)
    start = soon + timedelta(days=(7 - soon.weekday()) % 7)
    rotas.generate(session, rota, start=start, weeks=2, at=now_utc())
    rotas.generate(session, other, start=start, weeks=2, at=now_utc())
    shift = session.scalar(select(OnCallShift).where(OnCallShift.rota_id == rota.id,
                                                     OnCallShift.user_id == people[0].id))
    request_ = rotas.request_cover(session, shift, people[0], reason="Leave", at=now_utc())
    session.commit()
    sign_in(people[1])
    response = client.post(f"/my/cover/{request_.id}/take", follow_redirects=True)
    assert "already on call then" in text(response)
    session.expire_all()
    assert session.get(CoverRequest, request_.id).status == "open"


def test_the_rota_grid_shows_twenty_rotas_a_page(demo, sign_in, client, session):
    existing = session.scalar(select(func.count()).select_from(Rota))
    for number in range(25 - existing):
        rotas.create_rota(session, name=f"Zz cover {number:02d}", discipline_code="radiology", handoff_weekday=0,
                          handoff_time="08:00", timezone="Asia/Shanghai", at=now_utc())
    session.commit()
    sign_in(demo["coordinator"])
    first = text(client.get("/coordinator/rotas"))
    shown = re.findall(r'href="/coordinator/rotas/(\d+)"', first)
    assert len(shown) == 20
    more = re.search(r'href="(/coordinator/rotas\?after=[^"]+)"', first)
    assert more, "no link to the next rotas"
    rest = re.findall(r'href="/coordinator/rotas/(\d+)"', text(client.get(more.group(1).replace("&amp;", "&"))))
    assert len(rest) == 5 and not set(rest) & set(shown)
    assert client.get("/coordinator/rotas?after=not-a-cursor").status_code == 404


def _a_taken_cover_request(session, client, sign_in, name: str):
    """A published rota of two radiologists; the first asks for cover of a shift next week and the second
    takes it on /my/shifts. Returns (requester, coverer, shift, request), the request waiting for approval."""
    people = radiologists(session)[:2]
    rota = rotas.create_rota(session, name=name, discipline_code="radiology", handoff_weekday=0,
                             handoff_time="08:00", timezone="UTC", members=[p.id for p in people], at=now_utc())
    soon = now_utc().date() + timedelta(days=2)
    start = soon + timedelta(days=(7 - soon.weekday()) % 7)
    rotas.generate(session, rota, start=start, weeks=4, at=now_utc())   # published: members see them
    first, second = people
    shift = session.scalar(select(OnCallShift).where(OnCallShift.rota_id == rota.id, OnCallShift.user_id == first.id)
                           .order_by(OnCallShift.starts_at))
    free_during(session, second, shift)
    request_ = rotas.request_cover(session, shift, first, reason="Examining finals", at=now_utc())
    session.commit()
    sign_in(second)
    assert client.post(f"/my/cover/{request_.id}/take").status_code == 302
    session.expire_all()
    assert session.get(CoverRequest, request_.id).status == "accepted"
    return first, second, shift, request_


def free_during(session, person, shift) -> None:
    """Cancel `person`'s shifts on other (the demo's) rotas overlapping `shift`, so they may cover it."""
    for other in session.scalars(select(OnCallShift).where(
            OnCallShift.user_id == person.id, OnCallShift.rota_id != shift.rota_id,
            OnCallShift.starts_at < shift.ends_at, OnCallShift.ends_at > shift.starts_at)):
        other.status = "cancelled"


def _my_shifts_on(client, rota_name: str) -> int:
    """How many of the signed-in person's listed shifts are on `rota_name`."""
    listed = text(client.get("/my/shifts")).split('id="my-shifts"', 1)[1].split("</ul>", 1)[0]
    return listed.count(f"<strong>{rota_name}</strong>")


def _inbox(client) -> str:
    return html.unescape(text(client.get("/inbox")))


def test_a_coordinator_approves_cover_and_the_shift_moves_to_the_coverer(demo, sign_in, client, session):
    requester, coverer, shift, request_ = _a_taken_cover_request(session, client, sign_in, "Cover radiology A")
    before = {}
    for person in (requester, coverer):
        sign_in(person)
        before[person.id] = _my_shifts_on(client, "Cover radiology A")

    sign_in(demo["coordinator"])
    grid = text(client.get("/coordinator/rotas"))
    assert f'action="/coordinator/cover-requests/{request_.id}/approve"' in grid
    assert f"{coverer.name} offers to cover" in html.unescape(grid) and "Examining finals" in grid
    approved = client.post(f"/coordinator/cover-requests/{request_.id}/approve", follow_redirects=True)
    assert approved.status_code == 200
    page = text(approved)
    assert f"Cover request #{request_.id} approved." in page
    assert f'action="/coordinator/cover-requests/{request_.id}/approve"' not in page   # decided: no buttons
    session.expire_all()
    assert session.get(OnCallShift, shift.id).user_id == coverer.id
    decided = session.get(CoverRequest, request_.id)
    assert decided.status == "approved" and decided.decided_by_id == demo["coordinator"].id

    # Both are told, and each one's shifts page shows the shift where it now is.
    sign_in(coverer)
    assert _my_shifts_on(client, "Cover radiology A") == before[coverer.id] + 1
    assert "You are now on call for Cover radiology A" in _inbox(client)
    sign_in(requester)
    assert _my_shifts_on(client, "Cover radiology A") == before[requester.id] - 1
    assert f"Cover approved: {coverer.name} takes your Cover radiology A shift" in _inbox(client)

    # Approving twice is refused with the domain's words, and nothing changes.
    sign_in(demo["coordinator"])
    again = client.post(f"/coordinator/cover-requests/{request_.id}/approve", follow_redirects=True)
    assert f"Cover request #{request_.id} approved." not in text(again)
    session.expire_all()
    assert session.get(OnCallShift, shift.id).user_id == coverer.id


def test_a_rejected_cover_keeps_its_reason_and_both_people_read_it(demo, sign_in, client, session):
    requester, coverer, shift, request_ = _a_taken_cover_request(session, client, sign_in, "Cover radiology B")
    sign_in(demo["coordinator"])
    grid = text(client.get("/coordinator/rotas"))
    # The reason box sits in the reject form, labelled for who reads it.
    reject_form = grid.split(f'action="/coordinator/cover-requests/{request_.id}/reject"', 1)[1].split("</form>", 1)[0]
    assert f'id="reject-reason-{request_.id}" name="reason"' in reject_form
    assert f'<label for="reject-reason-{request_.id}">Why not (the requester and the volunteer read it)</label>' \
        in reject_form

    # A reason longer than the 500 characters kept is refused; the request stays as it was.
    too_long = client.post(f"/coordinator/cover-requests/{request_.id}/reject", data={"reason": "x" * 501},
                           follow_redirects=True)
    assert "at most 500 characters" in text(too_long)
    session.expire_all()
    assert session.get(CoverRequest, request_.id).status == "accepted"

    rejected = client.post(f"/coordinator/cover-requests/{request_.id}/reject",
                           data={"reason": "  Needs a consultant on this weekend  "}, follow_redirects=True)
    assert f"Cover request #{request_.id} rejected." in text(rejected)
    session.expire_all()
    decided = session.get(CoverRequest, request_.id)
    assert decided.status == "rejected" and decided.decision_reason == "Needs a consultant on this weekend"
    # audited as the API audits it: the same action, the shift and the reason
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.target_type == "cover_request",
                                                       AuditEvent.target_id == str(request_.id),
                                                       AuditEvent.action.like("rota.cover_rej%"))).all()
    assert event.action == "rota.cover_rejected"
    assert event.detail == {"shift_id": shift.id, "reason": "Needs a consultant on this weekend"}
    assert session.get(OnCallShift, shift.id).user_id == requester.id      # the shift stays with the requester
    for person in (requester, coverer):
        sign_in(person)
        inbox = _inbox(client)
        assert "Cover on the Cover radiology B rota was not approved" in inbox
        assert f"it stays with {requester.name}. Reason: Needs a consultant on this weekend" in inbox
