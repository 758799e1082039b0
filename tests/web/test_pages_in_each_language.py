"""Every page, for each role, in Chinese and in Russian: no English interface words left (navigation,
buttons, labels, table heads, headings, hidden labels), no English month or weekday names and no raw
ISO instants.

English words that are data (names, titles, diagnoses typed in English) are told apart by reading
every text value stored in the database; words the translations keep on purpose (UTC, MDT, PDF, ...)
by reading the catalogue itself."""
from __future__ import annotations

import html as html_lib
import re

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import JSON, String, Text, select

from app.i18n_catalogues import TRANSLATIONS

ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
MONTHS_AND_WEEKDAYS = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Monday|Tuesday|Wednesday|Thursday|Friday|"
    r"Saturday|Sunday|Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b")


def catalogue_words(language: str) -> tuple[set[str], set[str]]:
    """(words of the English msgids, words the translations keep as they are)"""
    with open(f"{TRANSLATIONS}/{language}/LC_MESSAGES/messages.po", "rb") as handle:
        catalogue = read_po(handle, locale=language)
    english, kept = set(), set()
    for message in catalogue:
        if not message.id:
            continue
        for text in (message.id if isinstance(message.id, tuple) else (message.id,)):
            english |= {w.lower() for w in WORD.findall(re.sub(r"%\(\w+\)s|<[^>]+>", " ", text))}
        for text in (message.string if isinstance(message.string, tuple) else (message.string,)):
            kept |= {w.lower() for w in WORD.findall(re.sub(r"%\(\w+\)s|<[^>]+>", " ", text or ""))}
    return english, kept


def data_words(session) -> set[str]:
    """Every word stored in any text column: people's names, titles, diagnoses, notes, codes..."""
    from app.db import Base

    words = set()
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for value in row:
                if value is not None:
                    words |= {w.lower() for w in WORD.findall(str(value))}
    return words


def reader_text(page: str) -> str:
    """What a person reads or hears: the text of <body> without scripts, plus labels in attributes."""
    body = page.split("<body", 1)[1]
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    # machine codes (audit actions, the CSV columns a file must name) stay codes
    body = re.sub(r"<code\b[^>]*>.*?</code>", " ", body, flags=re.S)
    spoken = " ".join(re.findall(r'(?:aria-label|placeholder|title|alt)="([^"]*)"', body))
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body) + " " + spoken)


def pages_for(session, demo, role: str) -> list[str]:
    from app.boards.models import BoardMember
    from app.cases.models import Case
    from app.meetings.models import Meeting

    from app.rotas.models import Rota, RotaMember
    from app.accounts.models import Organization
    from app.specialists.models import Discipline

    boards = select(BoardMember.board_id).where(BoardMember.user_id == demo[PEOPLE["coordinator"]].id)
    board_id = session.scalar(boards.order_by(BoardMember.board_id))
    meeting = session.scalars(select(Meeting).where(Meeting.board_id.in_(boards)).order_by(Meeting.starts_at)).first()
    case = session.scalars(select(Case).where(Case.referrer_id == demo["referrer"].id, Case.board_id.in_(boards))
                           .order_by(Case.id)).first()
    draft = session.scalars(select(Case).where(Case.referrer_id == demo["referrer"].id, Case.state == "draft")
                            .order_by(Case.id)).first()
    rota = session.scalars(select(Rota).order_by(Rota.id)).first()
    on_call = session.scalar(select(RotaMember.user_id).order_by(RotaMember.id))
    site = session.scalars(select(Organization).order_by(Organization.id)).first()
    discipline = session.scalars(select(Discipline).order_by(Discipline.code)).first()
    common = ["/", "/inbox", "/profile", "/me/password"]
    return {
        "referrer": common + ["/cases", "/cases/new", f"/cases/{case.id}", f"/cases/{draft.id}/edit"],
        "specialist": common + ["/schedule", "/me/availability", "/me/licences", "/me/calendar", "/my/shifts",
                                f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/live",
                                f"/meetings/{meeting.id}/preparation"],
        "coordinator": common + ["/coordinator", "/coordinator/cases", "/coordinator/meetings", "/coordinator/search",
                                 "/coordinator/rotas", "/coordinator/rotas/new", f"/coordinator/rotas/{rota.id}",
                                 f"/cases/{case.id}", f"/cases/{case.id}/audit",
                                 f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/agenda",
                                 f"/meetings/{meeting.id}/attendance", f"/meetings/{meeting.id}/live",
                                 f"/meetings/{meeting.id}/preparation", "/reports", f"/reports/boards/{board_id}"],
        "admin": common + [f"/cases/{case.id}/audit", "/reports", f"/reports/boards/{board_id}",
                           "/admin/sites", "/admin/sites/new", f"/admin/sites/{site.id}",
                           "/admin/users", "/admin/users/invite", f"/admin/users/{demo[PEOPLE['specialist']].id}",
                           f"/admin/users/{on_call}", "/admin/licences", "/admin/disciplines",
                           f"/admin/disciplines/{discipline.code}", "/admin/onboarding"],
    }[role]


PEOPLE = {"referrer": "referrer", "specialist": "oncologist.moscow", "coordinator": "coordinator.fcg",
          "admin": "admin"}


@pytest.mark.parametrize("language", ["zh", "ru"])
@pytest.mark.parametrize("role", sorted(PEOPLE))
def test_every_page_of_a_role_speaks_the_readers_language(demo, sign_in, client, session, role, language):
    english, kept = catalogue_words(language)
    known_data = data_words(session)
    person = demo[PEOPLE[role]]
    person.locale = language
    session.commit()
    sign_in(person)
    leftovers = {}
    for path in pages_for(session, demo, role):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert f'<html lang="{"zh-Hans" if language == "zh" else "ru"}" dir="ltr">' in page
        text = reader_text(page)
        words = {w.lower() for w in WORD.findall(text)}
        interface = sorted((words & english) - kept - known_data)
        dates = sorted(set(MONTHS_AND_WEEKDAYS.findall(text)) - {w.capitalize() for w in known_data})
        dates += ISO_INSTANT.findall(text)  # and no raw ISO instant, anywhere a person reads
        if interface or dates:
            leftovers[path] = interface + dates
    assert not leftovers, leftovers


@pytest.mark.parametrize("language,expected", [("zh", "登录"), ("ru", "Войти")])
def test_sign_in_page_in_the_browsers_language(client, language, expected):
    page = client.get("/login", headers={"Accept-Language": language}).get_data(as_text=True)
    english, kept = catalogue_words(language)
    assert expected in page
    assert not sorted({w.lower() for w in WORD.findall(reader_text(page))} & english - kept - {"meridian"})
