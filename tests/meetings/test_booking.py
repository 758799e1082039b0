"""Booking people into meetings: no double booking (buffers included), invitations and answers."""
import threading
from datetime import timedelta

import pytest

from app.errors import Conflict
from app.meetings import booking
from app.meetings.models import Invitation
from app.notifications.models import Notification
from app.rotas.models import OnCallShift, Rota
from app.timekeeping import now_utc
from tests.meetings.conftest import in_hours


def test_overlapping_booking_is_409_naming_the_meeting(client, session, specialist, board, meeting_at, api_auth):
    radiologist = specialist("Dr Sen", ["radiology"])
    first = meeting_at(in_hours(48), board=board, title="Thoracic MDT")
    second = meeting_at(in_hours(48) + timedelta(minutes=30), title="Another MDT", booked_by=board.coordinator)
    headers = api_auth.headers(board.coordinator)
    ok = client.post(f"/api/v1/meetings/{first.id}/invitations", headers=headers,
                     json={"user_id": radiologist.id, "discipline": "radiology"})
    assert ok.status_code == 201 and ok.get_json()["status"] == "pending"
    clash = client.post(f"/api/v1/meetings/{second.id}/invitations", headers=headers,
                        json={"user_id": radiologist.id, "discipline": "radiology"})
    body = clash.get_json()
    assert clash.status_code == 409 and body["clashing_meeting_id"] == first.id
    assert "Thoracic MDT" in body["detail"]


def test_buffers_count_as_booked_time(session, specialist, meeting_at):
    user = specialist("Buffered", ["radiology"], buffer_before_minutes=15, buffer_after_minutes=15)
    first = meeting_at(in_hours(30))
    later = meeting_at(in_hours(31) + timedelta(minutes=10))  # 10 minutes after the first ends
    booking.invite(session, first, user, discipline_code="radiology", at=now_utc())
    with pytest.raises(Conflict):
        booking.invite(session, later, user, discipline_code="radiology", at=now_utc())
    session.rollback()


def test_declined_and_cancelled_free_the_time(session, specialist, meeting_at):
    user = specialist("Flexible", ["radiology"])
    first = meeting_at(in_hours(30))
    second = meeting_at(in_hours(30))
    invitation = booking.invite(session, first, user, discipline_code="radiology", at=now_utc())
    booking.respond(session, invitation, user, "declined", at=now_utc())
    booking.invite(session, second, user, discipline_code="radiology", at=now_utc())
    session.commit()
    booking.cancel_meeting(session, second, at=now_utc(), reason="room unavailable")
    assert second.status == "cancelled" and second.sequence == 1
    assert {i.status for i in second.invitations} == {"withdrawn"}
    third = meeting_at(in_hours(30))
    booking.invite(session, third, user, discipline_code="radiology", at=now_utc())
    session.commit()


def test_concurrent_bookings_never_overlap(app, session, specialist, meeting_at):
    from app.accounts.models import User
    from app.extensions import db
    from app.meetings.models import Meeting

    user = specialist("Contested", ["radiology"])
    meetings = [meeting_at(in_hours(40) + timedelta(minutes=10 * i)) for i in range(4)]
    ids, user_id = [m.id for m in meetings], user.id
    session.commit()
    session.remove()
    barrier = threading.Barrier(len(ids))
    outcomes = []

    def book(meeting_id):
        with app.app_context():
            try:
                barrier.wait()
                booking.invite(db.session, db.session.get(Meeting, meeting_id), db.session.get(User, user_id),
                               discipline_code="radiology", at=now_utc())
                db.session.commit()
                outcomes.append("booked")
            except Conflict:
                db.session.rollback()
                outcomes.append("conflict")
            except Exception as error:  # reported by the assertion below
                db.session.rollback()
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=book, args=(meeting_id,)) for meeting_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["booked", "conflict", "conflict", "conflict"]
    assert db.session.query(Invitation).filter_by(user_id=user_id).count() == 1


def test_seats_go_to_on_call_then_core_then_deputies_then_anyone(session, specialist, board, meeting_at):
    from app.boards.models import BoardMember

    start = in_hours(72)
    anyone = specialist("Anyone", ["radiology"])
    deputy = specialist("Deputy", ["radiology"])
    core = specialist("Core", ["radiology"])
    on_call = specialist("On call", ["radiology"])
    outside_hours = specialist("Night off", ["pathology"], hours={})
    pathologist = specialist("Pathologist", ["pathology"])
    board.members += [BoardMember(user_id=core.id, role="core", discipline_code="radiology"),
                      BoardMember(user_id=deputy.id, role="deputy", discipline_code="radiology"),
                      BoardMember(user_id=outside_hours.id, role="core", discipline_code="pathology")]
    rota = Rota(name="Radiology", discipline_code="radiology", handoff_weekday=0, handoff_time=start.time(),
                timezone="UTC", period_weeks=1)
    session.add_all([rota, OnCallShift(rota=rota, user_id=on_call.id, starts_at=start - timedelta(days=1),
                                       ends_at=start + timedelta(days=1))])
    session.commit()
    meeting = meeting_at(start, board=board)
    invited = booking.fill_seats(session, meeting, at=now_utc())
    session.commit()
    assert {(i.discipline_code, i.user_id) for i in invited} == {("radiology", on_call.id),
                                                                ("pathology", pathologist.id)}
    # Each decline invites the next in line.
    by_user = {i.user_id: i for i in meeting.invitations}
    assert [i.user_id for i in booking.respond(session, by_user[on_call.id], on_call, "declined", at=now_utc())] \
        == [core.id]
    core_invitation = next(i for i in meeting.invitations if i.user_id == core.id)
    assert [i.user_id for i in booking.respond(session, core_invitation, core, "declined", at=now_utc())] \
        == [deputy.id]
    deputy_invitation = next(i for i in meeting.invitations if i.user_id == deputy.id)
    assert [i.user_id for i in booking.respond(session, deputy_invitation, deputy, "declined", at=now_utc())] \
        == [anyone.id]
    session.commit()
    assert session.query(Notification).filter_by(user_id=anyone.id, kind="meeting.invitation").count() == 1


def test_answers_and_quorum_status(client, session, specialist, board, meeting_at, api_auth):
    radiologist, pathologist = specialist("Rad", ["radiology"]), specialist("Path", ["pathology"])
    meeting = meeting_at(in_hours(72), board=board)
    booking.fill_seats(session, meeting, at=now_utc())
    session.commit()
    headers = api_auth.headers(board.coordinator)
    assert client.get(f"/api/v1/meetings/{meeting.id}/quorum", headers=headers).get_json()["state"] == "at_risk"
    rad_headers = api_auth.headers(radiologist)
    mine = client.get("/api/v1/me/invitations", headers=rad_headers).get_json()
    assert len(mine) == 1 and mine[0]["local_start"].endswith("+08:00")  # in the invitee's own zone
    assert client.post(f"/api/v1/invitations/{mine[0]['id']}/answer", headers=rad_headers,
                       json={"answer": "accepted"}).status_code == 200
    path_invitation = next(i for i in meeting.invitations if i.user_id == pathologist.id)
    # Someone else cannot answer it.
    assert client.post(f"/api/v1/invitations/{path_invitation.id}/answer", headers=rad_headers,
                       json={"answer": "accepted"}).status_code == 404
    path_headers = api_auth.headers(pathologist)
    client.post(f"/api/v1/invitations/{path_invitation.id}/answer", headers=path_headers, json={"answer": "declined"})
    quorum = client.get(f"/api/v1/meetings/{meeting.id}/quorum", headers=headers).get_json()
    assert quorum["state"] == "missing"
    assert {d["discipline"]: d["state"] for d in quorum["disciplines"]} == {"pathology": "missing",
                                                                           "radiology": "met"}
    bad = client.post(f"/api/v1/invitations/{mine[0]['id']}/answer", headers=rad_headers, json={"answer": "maybe"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "answer"


def test_only_board_coordinators_invite(client, make_user, specialist, board, meeting_at, api_auth):
    meeting = meeting_at(in_hours(72), board=board)
    radiologist = specialist("Rad", ["radiology"])
    other_coordinator = make_user("coordinator")
    response = client.post(f"/api/v1/meetings/{meeting.id}/invitations", headers=api_auth.headers(other_coordinator),
                           json={"user_id": radiologist.id, "discipline": "radiology"})
    assert response.status_code == 403
    response = client.post(f"/api/v1/meetings/{meeting.id}/invitations", headers=api_auth.headers(radiologist),
                           json={"user_id": radiologist.id, "discipline": "radiology"})
    assert response.status_code == 403


def test_nobody_is_booked_outside_their_working_hours_without_an_audited_override(client, session, specialist,
                                                                                  board, meeting_at, api_auth):
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    from app.audit.operations import write_now

    start = in_hours(48)
    # She works two hours that end just before the meeting, in her own zone.
    hours = {day: [[(start - timedelta(hours=2)).strftime("%H:%M"), start.strftime("%H:%M")]]
             for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    early = specialist("Dr Early", ["radiology"], hours=hours)
    meeting = meeting_at(start, board=board)
    headers = api_auth.headers(board.coordinator)
    url = f"/api/v1/meetings/{meeting.id}/invitations"
    refused = client.post(url, headers=headers, json={"user_id": early.id, "discipline": "radiology"})
    assert refused.status_code == 409 and refused.get_json()["outside_working_hours"] is True
    assert "does not work at this time" in refused.get_json()["detail"]
    no_reason = client.post(url, headers=headers, json={"user_id": early.id, "discipline": "radiology",
                                                        "override_working_hours": True})
    assert no_reason.status_code == 422
    assert "override_reason" in [e["field"] for e in no_reason.get_json()["errors"]]
    assert session.scalar(select(Invitation).where(Invitation.meeting_id == meeting.id)) is None
    booked = client.post(url, headers=headers, json={"user_id": early.id, "discipline": "radiology",
                                                     "override_working_hours": True,
                                                     "override_reason": "Only thoracic radiologist this week"})
    assert booked.status_code == 201
    assert booked.get_json()["outside_hours_reason"] == "Only thoracic radiologist this week"
    write_now(session)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.outside_hours_override"))
    assert event.actor_id == board.coordinator.id and event.target_id == str(meeting.id)


def test_booking_from_the_search_reads_the_seat_holders_licences_at_once(app, session, specialist, board,
                                                                           triaged_case):
    """`book_meeting` checks every seat holder's licence where the case was referred from one read of their
    profiles (not one per seat); someone licensed elsewhere is refused naming them and the country."""
    from sqlalchemy import func, select

    from app.errors import InvalidInput
    from app.extensions import db
    from app.meetings.models import Meeting
    from app.specialists.models import SpecialistProfile
    from tests.sql_statements import recorded_statements

    case = triaged_case(board)   # referred from China
    pathologists = [specialist("Dr Path One", ["pathology"]), specialist("Dr Path Two", ["pathology"])]
    licensed, abroad = specialist("Dr Licensed", ["radiology"]), specialist("Dr Abroad", ["radiology"])
    abroad_profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == abroad.id))
    abroad_profile.licences[0].jurisdiction = "KZ"
    session.commit()
    session.expire_all()

    def book(radiologist):
        return booking.book_meeting(
            session, title="Ad-hoc MDT", starts_at=in_hours(50), ends_at=in_hours(51), host_timezone="UTC",
            seats={"pathology": [p.id for p in pathologists], "radiology": [radiologist.id]}, at=now_utc(),
            board_id=board.id, created_by=board.coordinator, chair=board.coordinator, case=case)

    with recorded_statements(db.engine) as sent, pytest.raises(InvalidInput) as refused:
        book(abroad)
    assert refused.value.field == "seats"
    assert refused.value.message.startswith("Dr Abroad holds no valid licence in CN")
    profile_reads = [statement for statement, _ in sent
                     if "FROM specialist_profiles WHERE specialist_profiles.user_id" in " ".join(statement.split())]
    assert len(profile_reads) == 1, profile_reads
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Meeting)) == 0

    meeting = book(licensed)
    session.commit()
    assert {(i.user_id, i.discipline_code) for i in meeting.invitations if i.role == "seat"} == {
        (pathologists[0].id, "pathology"), (pathologists[1].id, "pathology"), (licensed.id, "radiology")}
    assert [item.case_id for item in meeting.agenda] == [case.id]
