"""Inviting someone outside their working hours is refused with their own time and zone in the reader's
language, on the invitations page and in the API's problem: the local time as the reader writes it and the
zone by the place that names it, never an ISO 8601 string or an IANA id such as "Asia/Shanghai"."""
from __future__ import annotations

import html as markup
import re

import pytest

from app.timekeeping import format_for_reader, to_local
from tests.conftest import check_problem
from tests.web.conftest import DEMO_PASSWORD
from tests.web.page_helpers import text

ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# The pathologist works in Asia/Shanghai; the meeting is at 02:00 there (tests/web/conftest.py night_review).
PLACE = {"en": "Shanghai", "ru": "Шанхай", "zh": "上海"}
DOES_NOT_WORK = {"en": "does not work at this time", "ru": "не работает в это время", "zh": "此时不在工作时间"}


def their_time(meeting, language: str) -> str:
    """The meeting's start on the pathologist's clock, as the reader's language writes a day and a time."""
    return format_for_reader(meeting.starts_at, "Asia/Shanghai", language, "short", name_zone=False)


def flashed(html: str) -> list[str]:
    return [markup.unescape(re.sub(r"<[^>]+>", "", found))
            for found in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.S)]


def assert_readable(said: str, meeting, pathologist, language: str) -> None:
    assert pathologist.name in said and DOES_NOT_WORK[language] in said
    assert their_time(meeting, language) in said and "02:00" in said
    assert PLACE[language] in said
    assert "Asia/" not in said and not ISO_INSTANT.search(said) and "+08:00" not in said


@pytest.mark.parametrize("language", ["en", "ru", "zh"])
def test_the_invitations_page_says_their_time_and_zone_in_the_readers_language(client, session, demo, night_review,
                                                                                 language):
    meeting, pathologist = night_review["meeting"], night_review["pathologist"]
    assert to_local(meeting.starts_at, "Asia/Shanghai").strftime("%H:%M") == "02:00"
    coordinator = demo["coordinator"]
    coordinator.locale = language
    session.commit()

    warned = client.post(f"/coordinator/meetings/{meeting.id}/invitations", data=night_review["form"])
    assert warned.status_code == 409
    html = text(warned)
    assert 'id="outside-hours-warning"' in html   # the way to invite them anyway is still offered
    [said] = [message for message in flashed(html) if pathologist.name in message]
    assert_readable(said, meeting, pathologist, language)
    session.expire_all()
    assert meeting.invitations == []
    # Said once: the page shown next does not repeat it.
    assert not any(pathologist.name in m for m in flashed(text(client.get(f"/coordinator/meetings/{meeting.id}/invitations"))))


@pytest.mark.parametrize("language", ["en", "ru", "zh"])
def test_the_api_problem_says_their_time_and_zone_in_the_readers_language(client, session, demo, night_review,
                                                                           api_auth, language):
    meeting, pathologist = night_review["meeting"], night_review["pathologist"]
    headers = {"Authorization": f"Bearer {api_auth.token_for(demo['coordinator'], DEMO_PASSWORD)}",
               "Accept-Language": language}
    refused = client.post(f"/api/v1/meetings/{meeting.id}/invitations", headers=headers,
                          json={"user_id": pathologist.id, "role": "seat", "discipline": "pathology"})
    body = check_problem(refused, 409)
    # Machine-readable members stay as they were: plain JSON values.
    assert body["outside_working_hours"] is True and body["user_id"] == pathologist.id
    assert_readable(body["detail"], meeting, pathologist, language)
    session.expire_all()
    assert meeting.invitations == []
