"""Who a coordinator may invite by name, over the API (the invitations page calls the same operation,
tests/web/test_invitation_rules_pages.py): an invitation opens the agenda's cases to its holder, so only
an active specialist is invited, and a seat only to someone licensed in every country whose cases the
agenda lists. Anyone else is refused with 422 naming `user_id`, and gains no access to the cases."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.meetings import agenda, booking
from app.meetings.models import Invitation
from app.specialists.models import SpecialistProfile
from app.timekeeping import now_utc
from tests.conftest import check_problem
from tests.meetings.conftest import in_hours


def _meeting_with_a_case(session, board, meeting_at, triaged_case):
    """A board meeting two days ahead with a case of the Chinese site on its agenda."""
    meeting = meeting_at(in_hours(50), board=board)
    case = triaged_case(board)
    agenda.add_case(session, meeting, case, None, at=now_utc(), as_coordinator=True)
    session.commit()
    return meeting, case


def _licensed_only_in(session, user, country):
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == user.id))
    for licence in profile.licences:
        licence.jurisdiction = country
    session.commit()


def test_a_referrer_abroad_an_admin_or_a_coordinator_is_not_invited_and_sees_no_case(
        client, session, board, meeting_at, triaged_case, make_user, make_org, api_auth):
    meeting, case = _meeting_with_a_case(session, board, meeting_at, triaged_case)
    tashkent = make_org("Tashkent Republican Clinical Hospital", "UZ", "Asia/Tashkent", "uz")
    people = [make_user("referrer", organization_=tashkent, name="Dr Referrer Abroad"),
              make_user("admin", name="Site Admin"),
              make_user("coordinator", organization_=tashkent, name="Another Coordinator")]
    coordinator = api_auth.headers(board.coordinator)
    for person in people:
        refused = client.post(f"/api/v1/meetings/{meeting.id}/invitations", headers=coordinator,
                              json={"user_id": person.id, "role": "observer"})
        body = check_problem(refused, 422)
        assert [error["field"] for error in body["errors"]] == ["user_id"]
        assert person.name in body["detail"] and "not a specialist" in body["detail"]
        # ... and the refused invitation opened nothing.
        assert client.get(f"/api/v1/cases/{case.id}", headers=api_auth.headers(person)).status_code == 404
    session.expire_all()
    assert session.scalars(select(Invitation).where(Invitation.meeting_id == meeting.id)).all() == []


def test_an_unknown_or_inactive_person_is_refused_naming_user_id(client, session, board, meeting_at, triaged_case,
                                                                  specialist, api_auth):
    meeting, _case = _meeting_with_a_case(session, board, meeting_at, triaged_case)
    gone = specialist("Dr Gone", ["radiology"])
    gone.is_active = False
    session.commit()
    coordinator = api_auth.headers(board.coordinator)
    for user_id in (gone.id, 987654):
        refused = client.post(f"/api/v1/meetings/{meeting.id}/invitations", headers=coordinator,
                              json={"user_id": user_id, "role": "observer"})
        assert check_problem(refused, 422)["errors"][0]["field"] == "user_id"


def test_a_specialist_is_invited_and_then_sees_the_case(client, session, board, meeting_at, triaged_case, specialist,
                                                        api_auth):
    meeting, case = _meeting_with_a_case(session, board, meeting_at, triaged_case)
    observer = specialist("Dr Observer", ["radiology"])
    invited = client.post(f"/api/v1/meetings/{meeting.id}/invitations", headers=api_auth.headers(board.coordinator),
                          json={"user_id": observer.id, "role": "observer"})
    assert invited.status_code == 201, invited.get_json()
    assert invited.get_json()["user_id"] == observer.id
    assert client.get(f"/api/v1/cases/{case.id}", headers=api_auth.headers(observer)).status_code == 200


def test_a_seat_needs_a_licence_in_the_country_of_the_agendas_cases(client, session, board, meeting_at, triaged_case,
                                                                    specialist, api_auth):
    meeting, _case = _meeting_with_a_case(session, board, meeting_at, triaged_case)   # a case of a site in CN
    abroad = specialist("Dr Licensed Abroad", ["radiology"])
    _licensed_only_in(session, abroad, "IN")
    licensed = specialist("Dr Licensed In China", ["radiology"])
    coordinator = api_auth.headers(board.coordinator)
    url = f"/api/v1/meetings/{meeting.id}/invitations"

    refused = client.post(url, headers=coordinator, json={"user_id": abroad.id, "role": "seat", "discipline": "radiology"})
    body = check_problem(refused, 422)
    assert body["errors"][0]["field"] == "user_id" and "CN" in body["detail"] and "Dr Licensed Abroad" in body["detail"]
    # The seats given automatically follow the same rule: the next eligible radiologist is the licensed one.
    filled = booking.fill_seats(session, meeting, at=now_utc())
    assert [i.user_id for i in filled if i.discipline_code == "radiology"] == [licensed.id]
    session.rollback()

    seated = client.post(url, headers=coordinator, json={"user_id": licensed.id, "role": "seat", "discipline": "radiology"})
    assert seated.status_code == 201, seated.get_json()
    # A discipline that is not one is still named first, whoever is named.
    wrong = client.post(url, headers=coordinator, json={"user_id": abroad.id, "role": "seat", "discipline": "astrology"})
    assert check_problem(wrong, 422)["errors"][0]["field"] == "discipline"


def test_a_seat_on_an_empty_agenda_still_needs_a_valid_licence(client, session, board, meeting_at, specialist,
                                                              api_auth):
    meeting = meeting_at(in_hours(50), board=board)
    lapsed = specialist("Dr Lapsed", ["pathology"])
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == lapsed.id))
    for licence in profile.licences:
        licence.expires_on = date(2001, 1, 1)
    session.commit()
    url = f"/api/v1/meetings/{meeting.id}/invitations"
    headers = api_auth.headers(board.coordinator)
    refused = client.post(url, headers=headers, json={"user_id": lapsed.id, "role": "seat", "discipline": "pathology"})
    body = check_problem(refused, 422)
    assert body["errors"][0]["field"] == "user_id" and "no valid licence" in body["detail"]
    # Without a seat (no outcome to sign) they may still attend.
    assert client.post(url, headers=headers, json={"user_id": lapsed.id, "role": "attendee"}).status_code == 201


def test_a_seat_goes_only_to_someone_who_practises_its_discipline(client, session, board, meeting_at, triaged_case,
                                                                  specialist, api_auth):
    meeting, _case = _meeting_with_a_case(session, board, meeting_at, triaged_case)
    radiologist = specialist("Dr Only Radiology", ["radiology"])
    url = f"/api/v1/meetings/{meeting.id}/invitations"
    headers = {**api_auth.headers(board.coordinator), "Accept-Language": "ru"}
    refused = client.post(url, headers=headers, json={"user_id": radiologist.id, "role": "seat",
                                                      "discipline": "pathology"})
    body = check_problem(refused, 422)
    assert body["errors"][0]["field"] == "discipline" and "Dr Only Radiology" in body["detail"]
    assert "pathology" not in body["detail"]  # the discipline by its Russian name
    session.expire_all()
    assert session.scalars(select(Invitation).where(Invitation.user_id == radiologist.id)).all() == []
    # the seat of their own discipline is theirs to take
    seated = client.post(url, headers=headers, json={"user_id": radiologist.id, "role": "seat",
                                                     "discipline": "radiology"})
    assert seated.status_code == 201, seated.get_json()
