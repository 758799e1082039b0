"""Generation on real rotas: leave and licences, fairness, unsocial handoffs, the uncovered
report, and what regenerating does to shifts that already exist."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.errors import Conflict, InvalidInput
from app.rotas import operations
from app.rotas.models import CoverRequest, OnCallShift

UTC = timezone.utc
AT = datetime(2026, 1, 1, tzinfo=UTC)
MONDAY = date(2026, 3, 2)  # Monday 08:00 Asia/Shanghai = 00:00Z


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def week(n):
    """The n-th weekly period from MONDAY, as (start, end) instants."""
    return utc(2026, 3, 2) + timedelta(weeks=n), utc(2026, 3, 2) + timedelta(weeks=n + 1)


def run(session, rota, weeks=4, start=MONDAY, at=AT):
    result = operations.generate(session, rota, start=start, weeks=weeks, at=at)
    session.commit()
    return result


def holders(result):
    return [shift.user_id for shift in result.shifts]


def all_shifts(session, rota):
    return session.scalars(select(OnCallShift).where(OnCallShift.rota_id == rota.id)
                           .order_by(OnCallShift.starts_at)).all()


def test_rotation_follows_rota_order(session, make_specialist, new_rota):
    a, b, c = make_specialist(), make_specialist(), make_specialist()
    rota = new_rota([a, b, c])
    result = run(session, rota, weeks=6)
    assert holders(result) == [a.id, b.id, c.id] * 2
    assert result.created == 6 and not result.uncovered
    assert {m["user_id"]: m["periods"] for m in result.members} == {a.id: 2, b.id: 2, c.id: 2}


def test_member_on_leave_for_any_part_of_a_shift_is_skipped(session, make_specialist, new_rota):
    start, end = week(1)
    # one hour of leave at the very end of week 1 is enough to skip that week
    a = make_specialist(leave=[(end - timedelta(hours=1), end + timedelta(days=3))])
    b, c = make_specialist(), make_specialist()
    rota = new_rota([a, b, c])
    result = run(session, rota, weeks=6)
    assert holders(result)[0] == a.id and holders(result)[1] != a.id
    counts = {m["user_id"]: m["periods"] for m in result.members}
    # everyone eligible for every week but a (away for week 1): b and c are level, a within one
    assert abs(counts[b.id] - counts[c.id]) <= 1 and sum(counts.values()) == 6


def test_member_without_a_valid_licence_is_skipped(session, make_specialist, new_rota):
    # licence good through 8 March (Shanghai): fine for week 0, not at the start of week 1
    a = make_specialist(licence_expires=date(2026, 3, 8))
    unverified = make_specialist(verified=False)
    b = make_specialist()
    rota = new_rota([a, unverified, b])
    result = run(session, rota, weeks=4)
    # from week 1 only b holds a valid licence, so b takes every week (no one else could)
    assert holders(result) == [a.id, b.id, b.id, b.id]
    tally = {m["user_id"]: m for m in result.members}
    assert tally[unverified.id]["periods"] == 0 and tally[unverified.id]["fair_share"] == 0


def test_uncovered_periods_are_reported_with_each_members_reason(session, make_specialist,
                                                                  new_rota):
    start, end = week(2)
    a = make_specialist(name="Ana", leave=[(start - timedelta(days=1), end + timedelta(days=1))])
    b = make_specialist(name="Bo", licence_expires=date(2026, 3, 15))
    rota = new_rota([a, b])
    result = run(session, rota, weeks=4)
    assert [s.starts_at for s in result.shifts] == [week(0)[0], week(1)[0]]
    assert len(result.uncovered) == 2
    third, fourth = result.uncovered
    assert (third["starts_at"], third["ends_at"]) == week(2)
    reasons = {r["name"]: r["reason"] for r in third["reasons"]}
    assert reasons["Ana"].startswith("on leave from")
    assert reasons["Bo"] == "holds no valid licence at 2026-03-16T00:00:00Z"
    assert {r["name"] for r in fourth["reasons"]} == {"Ana", "Bo"}
    assert "licence" in {r["name"]: r["reason"] for r in fourth["reasons"]}["Bo"]


def test_member_who_left_the_discipline_is_skipped_with_a_reason(session, make_specialist,
                                                                  new_rota):
    from app.specialists.models import Discipline, SpecialistProfile

    a, b = make_specialist(name="Ana"), make_specialist(name="Bo")
    rota = new_rota([a, b])
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == b.id))
    profile.disciplines = [session.get(Discipline, "pathology")]
    session.commit()
    result = run(session, rota, weeks=2)
    assert holders(result) == [a.id, a.id]  # the only one left, so back-to-back is allowed


def test_unsocial_handoffs_rotate_between_members_who_find_them_unsocial(session, make_specialist,
                                                                           new_rota):
    """Monday 08:00 Shanghai is 05:30 in Kolkata and 05:00 in Almaty (unsocial) but 08:00 for a
    Shanghai member: Kolkata and Almaty share their unsocial handoffs evenly."""
    kolkata = make_specialist(zone="Asia/Kolkata")
    almaty = make_specialist(zone="Asia/Almaty")
    shanghai = make_specialist(zone="Asia/Shanghai")
    rota = new_rota([kolkata, almaty, shanghai])
    result = run(session, rota, weeks=9)
    tally = {m["user_id"]: m for m in result.members}
    assert tally[shanghai.id]["unsocial_handoffs"] == 0
    assert tally[kolkata.id]["unsocial_handoffs"] == tally[almaty.id]["unsocial_handoffs"] == 3
    assert {m["periods"] for m in result.members} == {3}


def test_unsocial_handoffs_move_with_daylight_saving(session, make_specialist, new_rota):
    """Monday 07:30 London is 08:30 in Lagos (no DST) while London is on GMT, but 07:30 once
    London moves to BST on 29 March: unsocial for Lagos members from then on, never for Berlin
    (08:30 all year). The six BST weeks are shared so the Lagos members differ by at most one,
    and Berlin takes as many of them as the no-back-to-back rule allows."""
    lagos_1 = make_specialist(zone="Africa/Lagos")
    lagos_2 = make_specialist(zone="Africa/Lagos")
    berlin = make_specialist(zone="Europe/Berlin")
    rota = new_rota([lagos_1, lagos_2, berlin], timezone="Europe/London", handoff_weekday=0,
                    handoff_time="07:30")
    result = run(session, rota, weeks=12, start=date(2026, 2, 16))
    tally = {m["user_id"]: m for m in result.members}
    assert all(tally[u.id]["periods"] == 4 for u in (lagos_1, lagos_2, berlin))
    assert tally[berlin.id]["unsocial_handoffs"] == 0
    lagos = sorted(tally[u.id]["unsocial_handoffs"] for u in (lagos_1, lagos_2))
    assert lagos == [1, 2]
    bst = [s for s in result.shifts if s.starts_at >= utc(2026, 3, 29)]
    assert len(bst) == 6 and sum(s.user_id == berlin.id for s in bst) == 3


def test_regenerating_replaces_future_shifts_and_keeps_cancelled_rows(session, make_specialist,
                                                                       new_rota):
    a, b, c = make_specialist(), make_specialist(), make_specialist()
    rota = new_rota([a, b, c])
    first = run(session, rota, weeks=6)
    assert holders(first) == [a.id, b.id, c.id, a.id, b.id, c.id]
    ids = [s.id for s in first.shifts]

    # c goes on leave for week 2; regenerate the same range
    from app.specialists.models import Leave, SpecialistProfile
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == c.id))
    profile.leave.append(Leave(starts_at=week(2)[0], ends_at=week(3)[0]))
    session.commit()
    again = run(session, rota, weeks=6)
    assert [s.id for s in again.shifts] == ids  # the same rows (calendar UIDs) are reused
    assert again.created == 0 and again.cancelled == 0
    changed = [s for s in again.shifts if s.sequence > 0]
    assert changed and all(s.sequence == 1 for s in changed)
    assert again.updated == len(changed) and again.unchanged == 6 - len(changed)
    assert again.shifts[2].user_id != c.id

    # running it again with nothing new changes nothing: sequences stay
    third = run(session, rota, weeks=6)
    assert third.unchanged == 6 and third.updated == 0
    assert [s.sequence for s in third.shifts] == [s.sequence for s in again.shifts]

    # a shorter period with no one eligible: shifts there are cancelled, not deleted
    for user in (a, b, c):
        p = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == user.id))
        p.leave.append(Leave(starts_at=week(5)[0], ends_at=week(6)[0]))
    session.commit()
    fourth = run(session, rota, weeks=6)
    assert fourth.cancelled == 1 and len(fourth.uncovered) == 1
    last = session.get(OnCallShift, ids[5])
    assert last.status == "cancelled" and last.sequence >= 1
    assert len(all_shifts(session, rota)) == 6


def test_regenerating_never_touches_shifts_that_have_started(session, make_specialist, new_rota):
    a, b, c = make_specialist(), make_specialist(), make_specialist()
    rota = new_rota([a, b, c])
    first = run(session, rota, weeks=4)
    snapshot = [(s.id, s.user_id, s.sequence, s.status) for s in first.shifts]
    # two weeks in (in the middle of week 2), a goes on leave for a long time
    now = week(2)[0] + timedelta(days=2)
    from app.specialists.models import Leave, SpecialistProfile
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == a.id))
    profile.leave.append(Leave(starts_at=week(0)[0], ends_at=week(10)[0]))
    session.commit()
    result = run(session, rota, weeks=4, at=now)
    assert [p.starts_at for p in result.already_started] == [week(0)[0], week(1)[0], week(2)[0]]
    rows = all_shifts(session, rota)
    # weeks 0-2 (past or under way) are exactly as they were, although a is now "on leave"
    assert [(s.id, s.user_id, s.sequence, s.status) for s in rows[:3]] == snapshot[:3]
    # week 3 was a's; it moves, and not to c who holds week 2 (back-to-back)
    assert snapshot[3][1] == a.id
    assert rows[3].user_id == b.id and rows[3].sequence == 1


def test_all_periods_started_is_refused(session, make_specialist, new_rota):
    rota = new_rota([make_specialist(), make_specialist()])
    with pytest.raises(InvalidInput) as refusal:
        operations.generate(session, rota, start=MONDAY, weeks=1, at=week(0)[0] + timedelta(days=1))
    assert refusal.value.field == "start" and "2026-03-09T00:00:00Z" in refusal.value.message


def test_misaligned_regeneration_is_a_conflict(session, make_specialist, new_rota):
    rota = new_rota([make_specialist("pathology"), make_specialist("pathology")],
                    discipline_code="pathology", period_weeks=2)
    run(session, rota, weeks=4)
    with pytest.raises(Conflict) as refusal:
        run(session, rota, weeks=4, start=MONDAY + timedelta(weeks=1))
    assert "cross the edge" in refusal.value.message and refusal.value.extra["shift_ids"]
    # an instant start keeps the fortnightly rhythm instead
    result = run(session, rota, weeks=2, start=week(1)[0])
    assert result.shifts[0].starts_at == week(2)[0]


def test_regeneration_keeps_an_approved_cover_and_withdraws_stale_requests(
        session, make_specialist, new_rota, coordinator):
    a, b, c = make_specialist(), make_specialist(), make_specialist()
    rota = new_rota([a, b, c])
    first = run(session, rota, weeks=6)
    covered, asked = first.shifts[0], first.shifts[3]  # a's two shifts
    request = operations.request_cover(session, covered, a, reason="Conference", at=AT)
    operations.accept_cover(session, request, c, at=AT)
    operations.approve_cover(session, request, coordinator, at=AT)
    pending = operations.request_cover(session, asked, a, reason="Family", at=AT)
    session.commit()
    assert covered.user_id == c.id

    # a is now away in week 3, so a's pending request there is moot
    from app.specialists.models import Leave, SpecialistProfile
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == a.id))
    profile.leave.append(Leave(starts_at=week(3)[0], ends_at=week(4)[0]))
    session.commit()
    again = run(session, rota, weeks=6)
    assert again.shifts[0].user_id == c.id  # the approved cover stands
    assert again.shifts[3].user_id != a.id
    assert session.get(CoverRequest, pending.id).status == "withdrawn"
    assert again.withdrawn_cover_requests == [pending.id]
    # the pinned week counts for c like any other: nobody holds back-to-back weeks
    hs = holders(again)
    assert all(x != y for x, y in zip(hs, hs[1:]))


def test_weeks_must_fit_the_period(session, make_specialist, new_rota):
    rota = new_rota([make_specialist("pathology")], discipline_code="pathology", period_weeks=2)
    with pytest.raises(InvalidInput) as refusal:
        operations.generate(session, rota, start=MONDAY, weeks=3, at=AT)
    assert refusal.value.field == "weeks"
    with pytest.raises(InvalidInput) as refusal:
        operations.generate(session, rota, start=MONDAY + timedelta(days=1), weeks=2, at=AT)
    assert refusal.value.field == "start" and "Tuesday" in refusal.value.message


def test_on_call_user_ids_by_discipline(session, make_specialist, new_rota):
    a, b = make_specialist(), make_specialist()
    p, q = make_specialist("pathology"), make_specialist("pathology")
    radiology = new_rota([a, b], name="Radiology")
    pathology = new_rota([p, q], name="Pathology", discipline_code="pathology")
    run(session, radiology, weeks=2)
    run(session, pathology, weeks=2)
    assert operations.on_call_user_ids(session, "radiology", week(0)[0]) == [a.id]
    # exactly at the handoff, the incoming member
    assert operations.on_call_user_ids(session, "radiology", week(1)[0]) == [b.id]
    assert operations.on_call_user_ids(session, "radiology", week(1)[0] - timedelta(seconds=1)) == [a.id]
    assert operations.on_call_user_ids(session, "pathology", week(1)[0]) == [q.id]
    assert operations.on_call_user_ids(session, "radiology", week(2)[0]) == []
    assert operations.on_call_user_ids(session, "medical-oncology", week(0)[0]) == []


def test_a_later_run_carries_on_the_rotation(session, make_specialist, new_rota):
    a, b, c = make_specialist(), make_specialist(), make_specialist()
    rota = new_rota([a, b, c])
    assert holders(run(session, rota, weeks=2)) == [a.id, b.id]
    assert holders(run(session, rota, weeks=2, start=MONDAY + timedelta(weeks=2))) == [c.id, a.id]


def test_regenerating_part_of_a_plan_leaves_the_rest_and_respects_the_seam(
        session, make_specialist, new_rota):
    a, b, c = make_specialist(), make_specialist(), make_specialist()
    rota = new_rota([a, b, c])
    first = run(session, rota, weeks=6)
    later = [(s.id, s.user_id, s.sequence) for s in first.shifts[3:]]
    from app.specialists.models import Leave, SpecialistProfile
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == b.id))
    profile.leave.append(Leave(starts_at=week(1)[0], ends_at=week(2)[0]))
    session.commit()
    again = run(session, rota, weeks=3)
    rows = all_shifts(session, rota)
    assert [(s.id, s.user_id, s.sequence) for s in rows[3:]] == later  # weeks 3-5 untouched
    hs = [s.user_id for s in rows]
    assert all(x != y for x, y in zip(hs, hs[1:]))  # including across the seam at week 3
    assert again.shifts[1].user_id != b.id
