"""A call to join every meeting: an external link per board or meeting, or a Jitsi Meet room entered with a
token of one's own; shown only to people who take part; warnings for the chair about absent disciplines."""
from __future__ import annotations

from datetime import timedelta

import jwt
import time_machine
from sqlalchemy import select

from app.conferencing import operations as conferencing
from app.live.models import LiveEvent
from app.notifications.models import Notification
from tests.conferencing.conftest import END, START

ZOOM = "https://zoom.us/j/93100456789?pwd=abc"
TEAMS = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_thoracic"


def _call(client, api_auth, user, meeting):
    return client.get(f"/api/v1/meetings/{meeting.id}/call", headers=api_auth.headers(user))


def test_board_link_is_validated_and_reaches_only_people_who_take_part(client, session, world, api_auth,
                                                                        assert_problem):
    headers = api_auth.headers(world.coordinator)
    for bad in ("http://zoom.us/j/1", "zoom.us/j/1", "https://", "javascript:alert(1)", "https://user:pw@zoom.us/j/1"):
        problem = assert_problem(client.patch(f"/api/v1/boards/{world.board.id}", json={"conference_url": bad},
                                              headers=headers), 422)
        assert problem["errors"][0]["field"] == "conference_url"
        assert "https://" in problem["errors"][0]["message"]
    answer = client.patch(f"/api/v1/boards/{world.board.id}", json={"conference_url": ZOOM}, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["conference_url"] == ZOOM

    with time_machine.travel(START - timedelta(days=1), tick=False):
        mine = _call(client, api_auth, world.radiologist, world.meeting).get_json()
        assert mine == {**mine, "kind": "link", "url": ZOOM, "service": "Zoom"}
        assert _call(client, api_auth, world.pathologist, world.meeting).status_code == 200  # pending still holds
        assert _call(client, api_auth, world.decliner, world.meeting).status_code == 404
        assert _call(client, api_auth, world.outsider, world.meeting).status_code == 404
    # Specialists see the board without its link; coordinators see it.
    board = client.get(f"/api/v1/boards/{world.board.id}", headers=api_auth.headers(world.outsider)).get_json()
    assert board["conference_url"] is None


def test_a_meeting_link_overrides_the_boards_and_only_its_managers_set_it(client, session, world, api_auth,
                                                                         assert_problem):
    world.board.conference_url = ZOOM
    session.commit()
    url = f"/api/v1/meetings/{world.meeting.id}/call-link"
    assert_problem(client.put(url, json={"conference_url": TEAMS}, headers=api_auth.headers(world.radiologist)), 403)
    problem = assert_problem(client.put(url, json={"conference_url": "ftp://x.org"},
                                        headers=api_auth.headers(world.coordinator)), 422)
    assert problem["errors"][0]["field"] == "conference_url"
    answer = client.put(url, json={"conference_url": TEAMS}, headers=api_auth.headers(world.coordinator))
    assert answer.get_json() == {"meeting_id": world.meeting.id, "conference_url": TEAMS}
    session.refresh(world.meeting)
    assert world.meeting.sequence == 1  # calendar clients pick up the new link
    with time_machine.travel(START - timedelta(days=1), tick=False):
        assert _call(client, api_auth, world.radiologist, world.meeting).get_json()["service"] == "Microsoft Teams"
    client.put(url, json={"conference_url": None}, headers=api_auth.headers(world.coordinator))
    with time_machine.travel(START - timedelta(days=1), tick=False):
        assert _call(client, api_auth, world.radiologist, world.meeting).get_json()["url"] == ZOOM


def test_no_link_and_no_jitsi_means_no_call(client, world, api_auth):
    with time_machine.travel(START - timedelta(days=1), tick=False):
        assert _call(client, api_auth, world.radiologist, world.meeting).status_code == 404


def test_jitsi_tokens_name_the_room_the_person_and_the_meeting_window(client, session, world, api_auth, jitsi):
    traveller = time_machine.travel(START - timedelta(minutes=10), tick=False)
    traveller.start()  # PyJWT checks nbf/exp against the same clock
    chair = _call(client, api_auth, world.chair, world.meeting).get_json()
    seat = _call(client, api_auth, world.radiologist, world.meeting).get_json()
    assert chair["kind"] == "jitsi" and chair["domain"] == "meet.meridian.example"
    assert chair["room"] == seat["room"] and chair["url"] == f"{jitsi['url']}/{chair['room']}"
    assert str(world.meeting.id) not in chair["room"] and len(chair["room"]) >= 30  # not guessable from the id
    claims = jwt.decode(chair["token"], jitsi["secret"], algorithms=["HS256"], audience=jitsi["app_id"])
    assert claims["room"] == chair["room"] and claims["iss"] == jitsi["app_id"]
    assert claims["sub"] == "meet.meridian.example"
    assert claims["moderator"] is True and claims["context"]["user"]["name"] == "Dr Das (medical oncology)"
    assert claims["nbf"] == int((START - timedelta(minutes=15)).timestamp())
    assert claims["exp"] == int((END + timedelta(minutes=15)).timestamp())
    seat_claims = jwt.decode(seat["token"], jitsi["secret"], algorithms=["HS256"], audience=jitsi["app_id"])
    assert seat_claims["moderator"] is False and seat_claims["context"]["user"]["name"] == "Dr Sen (radiology)"
    # A token signed with another secret is refused by the server (and PyJWT alike).
    try:
        jwt.decode(seat["token"], "another-secret", algorithms=["HS256"], audience=jitsi["app_id"])
        raise AssertionError("a token must not verify with another secret")
    except jwt.InvalidSignatureError:
        pass
    traveller.stop()
    # After the window the server refuses the token.
    with time_machine.travel(END + timedelta(minutes=16), tick=False):
        try:
            jwt.decode(seat["token"], jitsi["secret"], algorithms=["HS256"], audience=jitsi["app_id"])
            raise AssertionError("an expired token must be refused")
        except jwt.ExpiredSignatureError:
            pass
    # Too early: the room is named but no token is issued.
    with time_machine.travel(START - timedelta(hours=3), tick=False):
        early = _call(client, api_auth, world.radiologist, world.meeting).get_json()
    assert early["token"] is None and early["opens_at"] == "2027-02-10T05:45:00Z"
    # Another meeting, another room.
    from app.meetings.models import Meeting

    other = Meeting(title="Other", kind="adhoc", starts_at=START, ends_at=END, host_timezone="UTC", status="scheduled")
    session.add(other)
    session.commit()
    assert conferencing.room_name(other, conferencing.jitsi_server()) != chair["room"]


def test_the_csp_allows_exactly_the_jitsi_origin(client, jitsi):
    policy = client.get("/login").headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ") if part}
    assert directives["script-src"] == ["'self'", jitsi["url"]]
    assert directives["frame-src"] == [jitsi["url"]]


def test_without_jitsi_the_csp_allows_no_other_origin(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "frame-src" not in policy and "script-src 'self';" in policy + ";"


def test_live_page_embeds_the_room_for_a_participant_only(client, session, world, api_auth, jitsi):
    from tests.conftest import PASSWORD

    def sign_in(user):
        client.get("/logout")
        client.post("/login", data={"email": user.email, "password": PASSWORD})

    with time_machine.travel(START - timedelta(minutes=5), tick=False):
        sign_in(world.radiologist)
        html = client.get(f"/meetings/{world.meeting.id}/live").get_data(as_text=True)
        assert f'src="{jitsi["url"]}/external_api.js"' in html
        assert "data-conference" in html and "Join the call" in html
        room = conferencing.room_name(world.meeting, conferencing.jitsi_server())
        assert f'data-room="{room}"' in html
        details = client.get(f"/meetings/{world.meeting.id}").get_data(as_text=True)
        assert f'/meetings/{world.meeting.id}/live" data-join-call' in details
        sign_in(world.decliner)
        html = client.get(f"/meetings/{world.meeting.id}/live").get_data(as_text=True)
        assert "external_api.js" not in html and "data-conference" not in html


def test_invitations_and_reminders_carry_the_call_in_the_readers_language(session, world):
    from app.meetings import jobs
    from app.notifications.texts import render

    world.board.conference_url = ZOOM
    session.commit()
    assert jobs.send_reminders(session, START - timedelta(minutes=14)) >= 1
    session.commit()
    reminder = session.scalar(select(Notification).where(Notification.user_id == world.radiologist.id))
    assert reminder.params["call"] == ZOOM
    assert f"Join the call: {ZOOM}" in render(reminder.kind, reminder.params, locale="en", zone="Asia/Kolkata").body
    assert f"加入通话：{ZOOM}" in render(reminder.kind, reminder.params, locale="zh", zone="Asia/Shanghai").body
    assert f"Подключиться к звонку: {ZOOM}" in render(reminder.kind, reminder.params, locale="ru",
                                                      zone="Europe/Moscow").body


def test_an_invitation_carries_the_meetings_call(session, world):
    from app.meetings import booking
    from app.notifications.texts import render

    world.meeting.conference_url = ZOOM
    booking.invite(session, world.meeting, world.outsider, role="attendee", at=START - timedelta(days=3),
                   override_working_hours=True, override_reason="Guest speaker", actor=world.coordinator)
    session.commit()
    invitation = session.scalar(select(Notification).where(Notification.user_id == world.outsider.id))
    assert invitation.kind == "meeting.invitation" and invitation.params["call"] == ZOOM
    assert f"Join the call: {ZOOM}" in render(invitation.kind, invitation.params, locale="en", zone="UTC").body


def test_jitsi_invitations_point_to_the_live_page(session, world, jitsi):
    from app.notifications.texts import render

    assert conferencing.call_link(session, world.meeting) == f"/meetings/{world.meeting.id}/live"
    body = render("meeting.reminder", {"title": "T", "starts_at": "2027-02-10T06:00:00Z",
                                       "call": f"/meetings/{world.meeting.id}/live"},
                  locale="en", zone="UTC", base_url="https://meridian.example/").body
    assert f"Join the call: https://meridian.example/meetings/{world.meeting.id}/live" in body


# --- the chair's warnings -------------------------------------------------------------------------


def test_the_chair_is_warned_of_absent_disciplines_and_unsignable_cases(client, session, world, api_auth):
    from app.meetings import live
    from app.meetings import attendance

    attendance.mark_joined(session, world.meeting, world.chair, at=START - timedelta(minutes=2))
    attendance.mark_joined(session, world.meeting, world.radiologist, at=START - timedelta(minutes=1))
    session.commit()
    live.start(session, world.meeting, world.chair, at=START)
    session.commit()
    warning = session.scalars(select(LiveEvent).where(LiveEvent.type == "meeting.chair_warning")).all()
    assert [event.data["absent_disciplines"] for event in warning] == [["pathology"]]

    warnings = live.chair_warnings(session, world.meeting, at=START + timedelta(minutes=1))
    assert warnings["absent_disciplines"] == ["pathology"]
    # The pathologist joins: the warning clears, and a live event says so.
    live.join(session, world.meeting, world.pathologist, at=START + timedelta(minutes=5))
    session.commit()
    latest = session.scalars(select(LiveEvent).where(LiveEvent.type == "meeting.chair_warning")
                             .order_by(LiveEvent.seq.desc())).first()
    assert latest.data["absent_disciplines"] == []
    # The radiologist leaves: radiology is absent again, but what they could sign stays signable.
    live.leave(session, world.meeting, world.radiologist, at=START + timedelta(minutes=20))
    session.commit()
    warnings = live.chair_warnings(session, world.meeting, at=START + timedelta(minutes=21))
    assert warnings["absent_disciplines"] == ["radiology"]
    assert warnings["unsignable_cases"] == []


def _case_on_agenda(session, world, disciplines):
    from app.cases import operations, workflow
    from app.meetings.models import AgendaItem

    created = START - timedelta(days=10)
    case = operations.create_case(session, world.referrer, {
        "patient_reference": "FCG-2027-0007", "year_of_birth": 1961, "sex": "female", "country_of_residence": "CN",
        "icd10_code": "C34.1", "diagnosis": "Adenocarcinoma of the right upper lobe", "performance_status": 1,
        "clinical_summary": "3 cm RUL mass.", "question": "Surgery or SBRT?", "urgency": "routine",
        "disciplines": list(disciplines), "language": "zh", "board_id": world.board.id,
        "cross_border_consent": True}, at=created)
    targets = workflow.SubmissionTargets(urgent=timedelta(hours=72), routine=timedelta(days=14))
    workflow.transition(session, case, "submitted", world.referrer, at=created, targets=targets)
    workflow.transition(session, case, "triaged", world.coordinator, at=created + timedelta(days=1))
    session.add(AgendaItem(meeting_id=world.meeting.id, case_id=case.id, position=0, status="listed",
                           added_by_id=world.coordinator.id))
    workflow.transition(session, case, "scheduled", world.coordinator, at=created + timedelta(days=2))
    session.commit()
    return case


def test_warnings_name_the_cases_that_cannot_be_signed_in_the_readers_language(client, session, world, api_auth):
    from app.meetings import live
    from app.meetings import attendance

    case = _case_on_agenda(session, world, ("radiology", "thoracic-surgery"))
    attendance.mark_joined(session, world.meeting, world.chair, at=START - timedelta(minutes=2))
    attendance.mark_joined(session, world.meeting, world.radiologist, at=START - timedelta(minutes=1))
    session.commit()
    with time_machine.travel(START + timedelta(minutes=3), tick=False):
        chair = client.get(f"/api/v1/meetings/{world.meeting.id}/live", headers={
            **api_auth.headers(world.chair), "Accept-Language": "ru"}).get_json()
        seat = client.get(f"/api/v1/meetings/{world.meeting.id}/live",
                          headers=api_auth.headers(world.radiologist)).get_json()
    warnings = chair["warnings"]
    assert warnings["absent_disciplines"] == ["pathology", "thoracic-surgery"]
    assert warnings["unsignable_cases"] == [{"case_id": case.id, "disciplines": ["pathology", "thoracic-surgery"]}]
    assert len(warnings["messages"]) == 2 and f"#{case.id}" in warnings["messages"][1]
    assert all("nobody" not in message.lower() for message in warnings["messages"])  # Russian, not English
    # The meeting's room hears of the case by its agenda position: not everyone in it may see the case.
    live.start(session, world.meeting, world.chair, at=START + timedelta(minutes=4))
    session.commit()
    event = session.scalars(select(LiveEvent).where(LiveEvent.type == "meeting.chair_warning")
                            .order_by(LiveEvent.seq.desc())).first()
    assert event.data["unsignable_cases"] == [{"position": 0, "disciplines": ["pathology", "thoracic-surgery"]}]
    assert seat["warnings"] is None
    zones = {person["user_id"]: person["zone_name"] for person in chair["present"]}
    assert zones[world.radiologist.id] != "Asia/Kolkata"
