"""One stored notification, read in English, Chinese and Russian and in two zones: the inbox page,
the API, the e-mail and the live event all render it for the reader; no ISO instant reaches anyone."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.notifications.delivery import email_for
from app.notifications.models import Notification
from app.notifications.operations import notify
from tests.conftest import PASSWORD

AT = datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc)
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
QUORUM = {"state": "at_risk", "title": "Thoracic Oncology MDT", "starts_at": "2026-11-26T06:00:00Z",
          "disciplines": ["pathology", "radiology"]}

# (language, zone) -> what the reader sees in the subject
EXPECTED = {
    ("en", "Asia/Shanghai"): "Quorum at risk: Thoracic Oncology MDT at Thu, 26 Nov 2026, 14:00 (Asia/Shanghai, UTC+08:00)",
    ("en", "Europe/Moscow"): "Quorum at risk: Thoracic Oncology MDT at Thu, 26 Nov 2026, 09:00 (Europe/Moscow, UTC+03:00)",
    ("zh", "Asia/Shanghai"): "法定人数存在风险：Thoracic Oncology MDT，2026年11月26日周四 14:00 (上海, UTC+08:00)",
    ("zh", "Europe/Moscow"): "法定人数存在风险：Thoracic Oncology MDT，2026年11月26日周四 09:00 (莫斯科, UTC+03:00)",
    ("ru", "Asia/Shanghai"): "Кворум под угрозой: Thoracic Oncology MDT, чт, 26 нояб. 2026\u202fг., 14:00 (Шанхай, UTC+08:00)",
    ("ru", "Europe/Moscow"): "Кворум под угрозой: Thoracic Oncology MDT, чт, 26 нояб. 2026\u202fг., 09:00 (Москва, UTC+03:00)",
}
BODY_WORDS = {"en": "Not yet confirmed: Pathology, Radiology.", "zh": "尚未确认：病理科、放射科。",
              "ru": "Ещё не подтверждено: Патоморфология, Лучевая диагностика."}


@pytest.fixture
def reader(make_user, session):
    user = make_user("coordinator", email="reader@example.org")
    notify(session, user_id=user.id, kind="meeting.quorum_at_risk", dedupe_key="quorum:1", params=QUORUM,
           link="/meetings/1", at=AT)
    session.commit()
    return user


def as_reader(session, user, language, zone):
    user.locale, user.display_timezone = language, zone
    session.commit()


@pytest.mark.parametrize("language,zone", sorted(EXPECTED))
def test_inbox_page_api_and_email_render_one_stored_notification_for_the_reader(
        client, session, reader, language, zone):
    as_reader(session, reader, language, zone)
    assert client.post("/login", data={"email": reader.email, "password": PASSWORD}).status_code == 302

    page = client.get("/inbox").get_data(as_text=True)
    assert EXPECTED[(language, zone)] in page.replace("&#39;", "'")
    assert BODY_WORDS[language] in page
    assert not ISO_INSTANT.search(re.sub(r'datetime="[^"]*"', "", page.split('<main id="main"', 1)[1]))

    listed = client.get("/api/v1/notifications").get_json()["notifications"][0]
    assert listed["subject"] == EXPECTED[(language, zone)]
    assert listed["params"]["starts_at"] == "2026-11-26T06:00:00Z"  # machine-readable data stays stable

    stored = session.scalars(select(Notification)).one()
    message = email_for(stored, reader, base_url="https://meridian.example", sender="m@example.org")
    assert message["Subject"] == f"[Meridian] {EXPECTED[(language, zone)]}"
    content = message.get_content()
    assert BODY_WORDS[language] in content and "https://meridian.example/meetings/1" in content
    assert not ISO_INSTANT.search(content)


def test_email_follows_a_spoken_language_when_none_is_saved_else_the_default(session, reader):
    reader.locale, reader.languages, reader.display_timezone = None, ["kk", "ru"], "Europe/Moscow"
    session.commit()
    stored = session.scalars(select(Notification)).one()
    assert email_for(stored, reader, base_url="https://m", sender="m@x")["Subject"].endswith(EXPECTED[("ru", "Europe/Moscow")])
    reader.languages = ["sw"]
    session.commit()
    assert email_for(stored, reader, base_url="https://m", sender="m@x", default_locale="zh")["Subject"].endswith(
        "(莫斯科, UTC+03:00)")


@pytest.mark.parametrize("language,zone", [("en", "Asia/Shanghai"), ("zh", "Asia/Shanghai"), ("ru", "Europe/Moscow")])
def test_the_live_event_carries_the_subject_as_the_recipient_reads_it(session, make_user, language, zone):
    from app.live.models import LiveEvent

    user = make_user("coordinator", locale=language, display_timezone=zone)
    notify(session, user_id=user.id, kind="meeting.quorum_at_risk", dedupe_key=f"quorum:live:{user.id}",
           params=QUORUM, link="/meetings/1", at=AT)
    session.commit()
    event = session.scalars(select(LiveEvent).where(LiveEvent.room == f"user:{user.id}")).one()
    assert event.type == "notification.created"
    assert event.data["subject"] == EXPECTED[(language, zone)] and event.data["unread"] == 1


def test_rows_written_before_keep_their_words_and_show_their_instants_in_the_readers_zone():
    from app.notifications.texts import render
    stored_params = migration_0009().stored_params

    params = stored_params("Quorum at risk: Thoracic Oncology MDT at 2026-11-26T06:00:00Z",
                           "The earliest possible time is 2026-11-27T05:04:14Z.")
    assert params["at_1"] == "2026-11-26T06:00:00Z" and "{at_1}" in params["subject"]
    shown = render("meeting.quorum_at_risk", params, locale="ru", zone="Europe/Moscow")
    assert shown.subject == "Quorum at risk: Thoracic Oncology MDT at чт, 26 нояб. 2026\u202fг., 09:00 (Москва, UTC+03:00)"
    assert "пт, 27 нояб. 2026\u202fг., 08:04 (Москва, UTC+03:00)" in shown.body
    assert not ISO_INSTANT.search(shown.subject + shown.body)


def migration_0009():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[2] / "migrations" / "versions" / "0014_notifications_stored_as_data.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_replayed_live_notification_is_rendered_for_its_reader_at_replay_time(session, make_user):
    """The live event was sent in Russian; the reader now reads Chinese: the replay says it in Chinese."""
    from sqlalchemy import select

    from app.live.models import LiveEvent
    from app.live.publish import payload_of
    from app.notifications.operations import notify, replayed_for_reader

    reader = make_user("specialist", locale="ru", display_timezone="Europe/Moscow")
    notify(session, user_id=reader.id, kind="meeting.reminder", dedupe_key="replay-language",
           params={"text": "meeting.reminder", "title": "Thoracic MDT", "starts_at": "2027-02-10T06:00:00Z",
                   "starts_at_utc": "2027-02-10T06:00:00Z"}, link="/meetings/1")
    session.commit()
    event = session.scalar(select(LiveEvent).where(LiveEvent.type == "notification.created"))
    assert event.data["subject"].startswith("Напоминание")
    other = {"seq": 0, "prev": 0, "room": f"user:{reader.id}", "type": "inbox.read", "data": {}, "at": ""}
    replayed = replayed_for_reader(session, [payload_of(event), other], reader, locale="zh")
    assert replayed[0]["data"]["subject"].startswith("提醒") and "09:00" in replayed[0]["data"]["subject"]
    assert replayed[0]["data"]["id"] == event.data["id"] and replayed[1] == other
