"""The coordinator's workspace pages through the Flask test client: boards (list, create, edit members by
role; only the board's own coordinators), a meeting's invitations with every answer and its note, the
next eligible person in one click, withdrawing, moving and cancelling; the specialists directory and a
profile with hours in both zones. Errors sit beside their control and nothing typed is lost."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.boards.models import Board
from app.meetings.models import Invitation, Meeting
from app.notifications.models import Notification
from app.timekeeping import now_utc, to_local
from tests.web.page_helpers import csrf_of, error_beside, main_of, text


def board_form(html: str, **changes) -> dict:
    host_select = html.split('id="host_organization_id"')[1].split("</select>")[0]
    chosen = re.search(r'<option[^>]*\bselected\b[^>]*>', host_select).group(0)
    data = {"csrf_token": csrf_of(html), "name": "Head and Neck MDT",
            "host_organization_id": re.search(r'value="(\d+)"', chosen).group(1),
            "timezone": "", "weekday": "2", "start_time": "15:00", "duration_minutes": "90", "interval_weeks": "1",
            "cases_per_meeting": "8", "minutes_per_case": "10", "agenda_cutoff_hours": "24",
            "replace_declines": "manual"}
    data.update(changes)
    return data


def test_a_coordinator_creates_a_board_with_members_by_role_and_edits_it(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    listing = client.get("/coordinator/boards")
    assert listing.status_code == 200 and "Thoracic Oncology MDT" in text(listing)
    page = text(client.get("/coordinator/boards/new"))
    data = board_form(page, **{
        "quorum-0-discipline": "radiology", "quorum-0-count": "1",
        "quorum-1-discipline": "pathology", "quorum-1-count": "1",
        "member-0-user": str(demo["coordinator"].id), "member-0-role": "coordinator",
        "member-1-user": str(demo["radiologist.kolkata"].id), "member-1-role": "core", "member-1-discipline": "radiology",
        "member-2-user": str(demo["pathologist.fcg"].id), "member-2-role": "deputy", "member-2-discipline": "pathology",
        "member-3-user": str(demo["referrer"].id), "member-3-role": "observer"})
    created = client.post("/coordinator/boards/new", data=data)
    assert created.status_code == 302, text(created)
    board = session.scalar(select(Board).where(Board.name == "Head and Neck MDT"))
    assert board.replace_declines == "manual" and board.weekday == 2
    assert sorted((m.user_id, m.role) for m in board.members) == sorted([
        (demo["coordinator"].id, "coordinator"), (demo["radiologist.kolkata"].id, "core"),
        (demo["pathologist.fcg"].id, "deputy"), (demo["referrer"].id, "observer")])
    assert session.scalar(select(Meeting.id).where(Meeting.board_id == board.id)) is not None

    edit = text(client.get(created.headers["Location"]))
    assert "Head and Neck MDT" in edit
    # A core member without a discipline: refused beside that row's control, the rest kept.
    bad = board_form(edit, name="Head and Neck MDT", **{
        "quorum-0-discipline": "radiology", "quorum-0-count": "2",
        "member-0-user": str(demo["coordinator"].id), "member-0-role": "coordinator",
        "member-1-user": str(demo["radiologist.kolkata"].id), "member-1-role": "core"})
    refused = client.post(created.headers["Location"], data=bad)
    assert refused.status_code == 422
    assert error_beside(text(refused), "member-1-discipline") or error_beside(text(refused), "member-1-user")
    assert 'value="2"' in text(refused)
    session.refresh(board)
    assert len(board.quorum) == 2
    good = dict(bad, **{"member-1-discipline": "radiology", "start_time": "16:30", "replace_declines": "automatic"})
    assert client.post(created.headers["Location"], data=good).status_code == 302
    session.expire_all()
    assert board.start_time.strftime("%H:%M") == "16:30" and board.replace_declines == "automatic"
    assert [q.discipline_code for q in board.quorum] == ["radiology"]


def test_only_a_boards_own_coordinators_or_an_admin_edit_it(demo, sign_in, client, session):
    almaty = session.scalar(select(Board).join(Board.members).where(Board.name != "Thoracic Oncology MDT"))
    sign_in(demo["coordinator.almaty"])
    thoracic = session.scalar(select(Board).where(Board.name == "Thoracic Oncology MDT"))
    if any(m.user_id == demo["coordinator.almaty"].id for m in thoracic.members):
        pytest.skip("the demo made this coordinator a member")
    assert client.get(f"/coordinator/boards/{thoracic.id}").status_code == 403
    assert client.post(f"/coordinator/boards/{thoracic.id}", data={"name": "Taken over"}).status_code in (400, 403)
    assert client.get("/coordinator/boards/99999999999999999999").status_code == 404
    assert almaty is not None


def thoracic_meeting_with_a_decline(session, demo):
    """A Thoracic meeting whose board replaces by hand, with the demo's decline (or one made here)."""
    declined = session.scalar(select(Invitation).where(Invitation.status == "declined", Invitation.note.is_not(None)))
    assert declined is not None, "the demo shows a declined invitation with a note"
    return declined.meeting, declined


def test_the_coordinator_sees_every_answer_with_its_note_and_replaces_a_decline_in_one_click(
        demo, sign_in, client, session):
    meeting, declined = thoracic_meeting_with_a_decline(session, demo)
    sign_in(demo["coordinator"])
    page = client.get(f"/coordinator/meetings/{meeting.id}/invitations")
    html = text(page)
    assert page.status_code == 200 and declined.note in html and declined.user.name in html
    told = session.scalar(select(Notification).where(Notification.user_id == demo["coordinator"].id,
                                                     Notification.kind == "meeting.declined"))
    assert told is not None and told.params["note"] == declined.note
    replaced = client.post(f"/coordinator/meetings/{meeting.id}/invitations/{declined.id}/replace",
                           data={"csrf_token": csrf_of(html)})
    assert replaced.status_code == 302
    after = text(client.get(replaced.headers["Location"]))
    assert f"seat in place of {declined.user.name}" in after
    session.expire_all()
    seat = [i for i in meeting.invitations if i.discipline_code == declined.discipline_code and i.status == "pending"]
    assert seat and seat[-1].user_id != declined.user_id


def test_moving_and_cancelling_a_meeting_from_its_page(demo, sign_in, client, session):
    meeting, _ = thoracic_meeting_with_a_decline(session, demo)
    coordinator = demo["coordinator"]
    sign_in(coordinator)
    html = text(client.get(f"/coordinator/meetings/{meeting.id}/invitations"))
    later = to_local(meeting.starts_at + timedelta(days=1), coordinator.timezone)
    refused = client.post(f"/coordinator/meetings/{meeting.id}/reschedule",
                          data={"csrf_token": csrf_of(html), "date": "2026-13-45", "start_time": "25:00",
                                "duration_minutes": "60"})
    assert refused.status_code == 422 and error_beside(text(refused), "start_time")
    moved = client.post(f"/coordinator/meetings/{meeting.id}/reschedule",
                        data={"csrf_token": csrf_of(html), "date": later.date().isoformat(),
                              "start_time": later.strftime("%H:%M"), "duration_minutes": "90"})
    assert moved.status_code == 302, text(moved)
    session.expire_all()
    assert meeting.starts_at == (meeting.starts_at.replace(second=0))
    booked = [i for i in meeting.invitations if i.status in ("pending", "accepted", "tentative")]
    assert booked and {i.status for i in booked} == {"pending"}
    assert session.scalar(select(Notification).where(Notification.kind == "meeting.rescheduled")) is not None
    no_reason = client.post(f"/coordinator/meetings/{meeting.id}/cancel", data={"csrf_token": csrf_of(html), "reason": ""})
    assert no_reason.status_code == 422 and error_beside(text(no_reason), "reason")
    cancelled = client.post(f"/coordinator/meetings/{meeting.id}/cancel",
                            data={"csrf_token": csrf_of(html), "reason": "The host hospital is closed for a holiday"})
    assert cancelled.status_code == 302
    session.expire_all()
    assert meeting.status == "cancelled"


def test_an_ad_hoc_meeting_then_an_invitation(demo, sign_in, client, session):
    coordinator = demo["coordinator"]
    sign_in(coordinator)
    html = text(client.get("/coordinator/meetings/new"))
    day = (to_local(now_utc(), coordinator.timezone) + timedelta(days=3)).date()
    day = (day + timedelta(days=max(0, 7 - day.weekday()))).isoformat()   # a weekday: inside working hours
    past = client.post("/coordinator/meetings/new", data={"csrf_token": csrf_of(html), "title": "Second opinion",
                                                          "board_id": "", "date": "2020-01-01", "start_time": "10:00",
                                                          "duration_minutes": "60"})
    assert past.status_code == 422 and error_beside(text(past), "date") and 'value="Second opinion"' in text(past)
    created = client.post("/coordinator/meetings/new", data={"csrf_token": csrf_of(html), "title": "Second opinion",
                                                             "board_id": "", "date": day, "start_time": "10:00",
                                                             "duration_minutes": "60"})
    assert created.status_code == 302
    meeting = session.scalar(select(Meeting).where(Meeting.title == "Second opinion"))
    assert meeting.chair_id == coordinator.id
    page = text(client.get(created.headers["Location"]))
    no_seat = client.post(f"/coordinator/meetings/{meeting.id}/invitations",
                          data={"csrf_token": csrf_of(page), "user_id": str(demo["pathologist.fcg"].id),
                                "role": "seat", "discipline": ""})
    assert no_seat.status_code == 422 and error_beside(text(no_seat), "discipline")
    not_a_specialist = client.post(f"/coordinator/meetings/{meeting.id}/invitations",
                                   data={"csrf_token": csrf_of(page), "user_id": demo["referrer"].email,
                                         "role": "observer", "discipline": ""})
    assert not_a_specialist.status_code == 422 and error_beside(text(not_a_specialist), "user_id")
    invited = client.post(f"/coordinator/meetings/{meeting.id}/invitations",   # named by e-mail, as typed
                          data={"csrf_token": csrf_of(page), "user_id": demo["pathologist.fcg"].email.upper(),
                                "role": "observer", "discipline": ""})
    assert invited.status_code == 302
    session.expire_all()
    [invitation] = meeting.invitations
    withdrawn = client.post(f"/coordinator/meetings/{meeting.id}/invitations/{invitation.id}/withdraw",
                            data={"csrf_token": csrf_of(page)})
    assert withdrawn.status_code == 302
    session.expire_all()
    assert invitation.status == "withdrawn"


def test_the_specialists_directory_filters_and_a_profile_shows_hours_in_both_zones(demo, sign_in, client):
    sign_in(demo["coordinator"])
    everyone = text(client.get("/coordinator/specialists"))
    assert "Dr Ananya Sen" in everyone and "Dr Zhou Min" in everyone
    pathology = main_of(text(client.get("/coordinator/specialists?discipline=pathology")))
    assert "Dr Zhou Min" in pathology and "Dr Ananya Sen" not in pathology
    india = main_of(text(client.get("/coordinator/specialists?country=IN")))
    assert "Dr Ananya Sen" in india and "Dr Zhou Min" not in india
    russian = main_of(text(client.get("/coordinator/specialists?language=ru")))
    assert "Dr Elena Sokolova" in russian and "Dr Zhou Min" not in russian
    bad = client.get("/coordinator/specialists?country=India")
    assert bad.status_code == 422 and error_beside(text(bad), "country")
    assert client.get("/coordinator/specialists?after=garbage").status_code == 404
    assert client.get("/coordinator/specialists?on_call=y").status_code == 200
    profile = client.get(f"/coordinator/specialists/{demo['radiologist.kolkata'].id}")
    html = main_of(text(profile))
    assert profile.status_code == 200 and "Kolkata" in html and "Shanghai" in html
    assert client.get(f"/coordinator/specialists/{demo['coordinator'].id}").status_code == 404


def test_specialists_and_referrers_do_not_see_the_workspace(demo, sign_in, client):
    sign_in(demo["radiologist.kolkata"])
    for url in ("/coordinator/boards", "/coordinator/boards/new", "/coordinator/specialists",
                "/coordinator/meetings/new"):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("language", ["zh", "ru"])
def test_the_workspace_pages_speak_the_readers_language(demo, sign_in, client, session, language):
    from app.boards.models import BoardMember
    from tests.web.test_pages_in_each_language import (ISO_INSTANT, MONTHS_AND_WEEKDAYS, WORD, catalogue_words,
                                                       data_words, reader_text)

    english, kept = catalogue_words(language)
    known_data = data_words(session)
    person = demo["coordinator"]
    person.locale = language
    session.commit()
    sign_in(person)
    board_id = session.scalar(select(BoardMember.board_id).where(BoardMember.user_id == person.id,
                                                                 BoardMember.role == "coordinator"))
    meeting, _ = thoracic_meeting_with_a_decline(session, demo)
    leftovers = {}
    for path in ("/coordinator/boards", "/coordinator/boards/new", f"/coordinator/boards/{board_id}",
                 "/coordinator/meetings/new", f"/coordinator/meetings/{meeting.id}/invitations",
                 "/coordinator/specialists", f"/coordinator/specialists/{demo['radiologist.kolkata'].id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        reader = reader_text(text(response))
        words = {w.lower() for w in WORD.findall(reader)}
        found = sorted((words & english) - kept - known_data)
        found += sorted(set(MONTHS_AND_WEEKDAYS.findall(reader)) - {w.capitalize() for w in known_data})
        found += ISO_INSTANT.findall(reader)
        if found:
            leftovers[path] = found
    assert not leftovers, leftovers


@pytest.mark.parametrize("path", [
    "/coordinator/boards/99999999999999999999", "/coordinator/meetings/99999999999999999999/invitations",
    "/coordinator/specialists/99999999999999999999", "/coordinator/boards?after=%FF%00",
    "/coordinator/specialists?discipline=nonsense&country=%00", "/coordinator/meetings/1/invitations/99999999999999999999/replace",
])
def test_typed_addresses_answer_4xx_never_5xx(demo, sign_in, client, path):
    sign_in(demo["coordinator"])
    response = client.post(path) if path.endswith("/replace") else client.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)


def test_the_boards_call_link_is_set_on_its_page_and_its_coming_meetings_follow(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    zoom, webex = "https://zoom.us/j/93100456789", "https://example.webex.com/meet/head-and-neck"
    members = {"quorum-0-discipline": "radiology", "quorum-0-count": "1",
               "member-0-user": str(demo["coordinator"].id), "member-0-role": "coordinator"}
    created = client.post("/coordinator/boards/new", data=board_form(
        text(client.get("/coordinator/boards/new")), conference_url=zoom, **members))
    assert created.status_code == 302, text(created)
    board = session.scalar(select(Board).where(Board.name == "Head and Neck MDT"))
    assert board.conference_url == zoom
    coming = session.scalars(select(Meeting).where(Meeting.board_id == board.id)).all()
    assert coming and all(meeting.sequence == 0 for meeting in coming)

    edit = text(client.get(created.headers["Location"]))
    assert f'value="{zoom}"' in edit
    refused = client.post(created.headers["Location"],
                          data=board_form(edit, conference_url="http://zoom.us/j/1", is_active="y", **members))
    assert refused.status_code == 422
    assert "https://" in error_beside(text(refused), "conference_url")
    assert 'value="http://zoom.us/j/1"' in text(refused)  # what was typed is kept
    assert client.post(created.headers["Location"],
                       data=board_form(edit, conference_url=webex, is_active="y", **members)).status_code == 302
    session.expire_all()
    assert board.conference_url == webex
    assert all(meeting.sequence == 1 for meeting in coming)  # calendars replace the old link
def test_inviting_outside_working_hours_warns_and_invites_anyway_with_a_reason(client, session, night_review):
    # 02:00 in the pathologist's own zone, a few days ahead: nobody's working hours
    meeting, pathologist, page = night_review["meeting"], night_review["pathologist"], night_review["page"]
    assert "Invite anyway" not in page
    form = {"csrf_token": csrf_of(page), "user_id": str(pathologist.id), "role": "seat", "discipline": "pathology"}

    warned = client.post(f"/coordinator/meetings/{meeting.id}/invitations", data=form)
    assert warned.status_code == 409
    warning = text(warned)
    assert "does not work at the meeting's time" in warning and "Invite anyway" in warning
    session.expire_all()
    assert meeting.invitations == []

    no_reason = client.post(f"/coordinator/meetings/{meeting.id}/invitations",
                            data={**form, "override_working_hours": "y", "override_reason": " "})
    assert no_reason.status_code == 422 and error_beside(text(no_reason), "override_reason")

    invited = client.post(f"/coordinator/meetings/{meeting.id}/invitations",
                          data={**form, "override_working_hours": "y", "override_reason": "Only pathologist on the case"})
    assert invited.status_code == 302
    session.expire_all()
    [invitation] = meeting.invitations
    assert invitation.user_id == pathologist.id and invitation.status == "pending"


def test_board_members_are_named_by_e_mail_with_suggestions_as_one_types(demo, sign_in, client):
    sign_in(demo["coordinator"])
    form = text(client.get("/coordinator/boards/new"))
    assert "<select id=\"member-0-user\"" not in form and 'list="people-suggestions"' in form
    assert f'value="{demo["coordinator"].email}"' in form   # the creator's own row, by e-mail
    suggested = text(client.get("/coordinator/people-suggestions?member-1-user=Dr Anan"))
    assert f'value="{demo["radiologist.kolkata"].email}"' in suggested and suggested.count("<option") <= 15
    assert "<option" not in text(client.get("/coordinator/people-suggestions?member-1-user=D"))  # two letters first
    refused = client.post("/coordinator/boards/new", data=board_form(form, **{
        "name": "Sarcoma MDT", "quorum-0-discipline": "radiology", "quorum-0-count": "1",
        "member-0-user": demo["coordinator"].email.upper(), "member-0-role": "coordinator",
        "member-1-user": "nobody@nowhere.example", "member-1-role": "core", "member-1-discipline": "radiology"}))
    assert refused.status_code == 422
    page = text(refused)
    assert error_beside(page, "member-1-user") and "nobody@nowhere.example" in page   # what was typed stays


def test_the_meetings_list_shows_a_page_of_upcoming_and_of_recent_meetings_with_links_to_more(
        demo, sign_in, client, session, monkeypatch):
    import html as markup

    from app.web import coordinator_views

    monkeypatch.setattr(coordinator_views, "MEETINGS_PER_PAGE", 3)
    sign_in(demo["coordinator"])
    at = now_utc()

    def sections(path):
        page = text(client.get(path))
        upcoming, recent = page.split('id="recent-heading"')
        ids = [[int(found) for found in re.findall(r'data-meeting-id="(\d+)"', part)] for part in (upcoming, recent)]
        links = [re.search(r'href="([^"]+)">' + name, page) for name in ("Later upcoming meetings", "Earlier recent meetings")]
        return ids, [markup.unescape(link.group(1)) if link else None for link in links]

    def starts(ids):
        return [session.get(Meeting, meeting_id).starts_at for meeting_id in ids]

    (upcoming, recent), (later, earlier) = sections("/coordinator/meetings")
    every_upcoming = session.scalars(select(Meeting.id).where(
        Meeting.ends_at > at, Meeting.starts_at < at + coordinator_views.MEETINGS_AHEAD)
        .order_by(Meeting.starts_at, Meeting.id)).all()
    assert len(every_upcoming) > 3 and upcoming == every_upcoming[:3]
    assert len(recent) == 3 and starts(recent) == sorted(starts(recent), reverse=True) and all(
        start <= at for start in starts(recent))
    assert later and earlier

    # The next page of upcoming meetings carries on from the last shown; the recent ones stay where they were.
    (more_upcoming, same_recent), _ = sections(later)
    assert more_upcoming == every_upcoming[3:6] and same_recent == recent
    (_, older), _ = sections(earlier)
    assert not set(older) & set(recent) and max(starts(older)) <= min(starts(recent))
    assert client.get("/coordinator/meetings?upcoming_after=garbage").status_code == 404
