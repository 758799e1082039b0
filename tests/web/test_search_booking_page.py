"""Booking a slot from the time search (/coordinator/search → POST /coordinator/search/book): the meeting
is booked through app.meetings.booking with its invitations; a slot taken meanwhile is refused clearly."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.audit.models import AuditEvent
from app.accounts.models import User
from app.boards.models import Board
from app.meetings.models import Invitation, Meeting
from app.timekeeping import now_utc, parse_instant, to_local
from tests.web.page_helpers import error_beside, forms_posting_to, text


def search(client, **extra):
    today = to_local(now_utc(), "Asia/Shanghai").date()
    data = {"seats-radiology": "1", "seats-pathology": "1", "duration_minutes": "60",
            "from_date": (today + timedelta(days=2)).isoformat(), "to_date": (today + timedelta(days=9)).isoformat()}
    data.update(extra)
    response = client.post("/coordinator/search", data=data)
    assert response.status_code == 200, text(response)
    return response


def filled_in(html: str, action: str) -> MultiDict:
    """What the browser would post from the page's form to `action` as filled in (ticked boxes, chosen options)."""
    from html.parser import HTMLParser

    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S).group(0)
    data = MultiDict()

    class Reader(HTMLParser):
        select = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and attrs.get("name"):
                if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                    return
                data.add(attrs["name"], attrs.get("value", "y" if attrs.get("type") == "checkbox" else ""))
            elif tag == "select":
                self.select = attrs.get("name")
            elif tag == "option" and self.select and "selected" in attrs:
                data.add(self.select, attrs.get("value", ""))

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None

    Reader().feed(form)
    return data


def meetings(session) -> int:
    return session.scalar(select(func.count()).select_from(Meeting))


def test_each_slot_has_a_book_button_that_books_the_meeting_and_invites(demo, sign_in, client, session):
    coordinator = demo["coordinator"]
    sign_in(coordinator)
    board = session.scalar(select(Board).where(Board.name == "Thoracic Oncology MDT"))
    html = text(search(client, board_id=str(board.id)))
    forms = forms_posting_to(html, "/coordinator/search/book")
    assert forms and html.count("Book this time") == len(forms)
    chosen = forms[0]
    seats = sorted(chosen.getlist("seat"))
    assert [seat.split(":")[0] for seat in seats] == ["pathology", "radiology"]
    before = meetings(session)

    response = client.post("/coordinator/search/book", data=chosen)
    assert response.status_code == 302, text(response)
    assert meetings(session) == before + 1
    meeting = session.scalar(select(Meeting).order_by(Meeting.id.desc()))
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}")
    assert meeting.starts_at == parse_instant(chosen["slot_start"])
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=60)
    assert meeting.kind == "adhoc" and meeting.board_id == board.id and meeting.status == "scheduled"
    invitations = session.scalars(select(Invitation).where(Invitation.meeting_id == meeting.id)).all()
    assert sorted(f"{i.discipline_code}:{i.user_id}" for i in invitations if i.role == "seat") == seats
    (chair,) = [i for i in invitations if i.role == "chair"]
    assert chair.user_id == coordinator.id and chair.status == "accepted"  # nobody asks the booker
    assert all(i.status == "pending" for i in invitations if i.role == "seat")
    page = text(client.get(response.headers["Location"]))
    assert "Booked Ad-hoc Thoracic Oncology MDT" in page and "2 invitations sent" in page
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "meeting.booked"))
    assert event.target_id == str(meeting.id) and event.actor_id == coordinator.id


def test_a_slot_taken_meanwhile_is_refused_with_a_clear_message(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    chosen = forms_posting_to(text(search(client)), "/coordinator/search/book")[0]
    assert client.post("/coordinator/search/book", data=chosen).status_code == 302
    before = meetings(session)
    response = client.post("/coordinator/search/book", data=chosen)  # the same slot, again
    assert response.status_code == 409
    html = text(response)
    assert "Not booked:" in html and "is already booked into meeting #" in html
    assert meetings(session) == before
    # The search is shown again, as posted, with what is free now.
    assert 'id="duration_minutes"' in html and 'value="60"' in html and "Why these times" in html


def test_a_slot_that_cannot_be_read_is_refused(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    chosen = forms_posting_to(text(search(client)), "/coordinator/search/book")[0]
    before = meetings(session)
    tampered = chosen.copy()
    tampered["slot_start"] = "next tuesday"
    response = client.post("/coordinator/search/book", data=tampered)
    assert response.status_code == 422 and "could not be read" in text(response)
    tampered = chosen.copy()
    tampered.setlist("seat", ["radiology:nobody"])
    assert client.post("/coordinator/search/book", data=tampered).status_code == 422
    tampered = chosen.copy()
    tampered["duration_minutes"] = "5"
    response = client.post("/coordinator/search/book", data=tampered)
    assert response.status_code == 422
    assert "Between 15 and 480" in error_beside(text(response), "duration_minutes")
    assert meetings(session) == before


def test_a_board_the_coordinator_does_not_run_is_refused_beside_the_field(demo, sign_in, client, session):
    sign_in(demo["coordinator.almaty"])
    html = text(search(client))
    thoracic = session.scalar(select(Board).where(Board.name == "Thoracic Oncology MDT"))
    assert f'<option value="{thoracic.id}"' not in html.split('id="board_id"', 1)[1].split("</select>", 1)[0]
    chosen = forms_posting_to(html, "/coordinator/search/book")[0]
    chosen["board_id"] = str(thoracic.id)
    before = meetings(session)
    response = client.post("/coordinator/search/book", data=chosen)
    assert response.status_code == 422
    assert "Not a valid choice" in error_beside(text(response), "board_id")
    assert meetings(session) == before


@pytest.mark.parametrize("who", ["referrer", "surgeon.dubai"])
def test_booking_is_for_coordinators(demo, sign_in, client, session, who):
    sign_in(demo[who])
    before = meetings(session)
    assert client.post("/coordinator/search/book", data={"slot_start": "2031-03-03T01:00:00Z",
                                                         "seat": "radiology:1"}).status_code == 403
    assert meetings(session) == before


def test_find_a_time_for_a_case_prefills_the_search_and_books_the_case_onto_the_agenda(demo, sign_in, client,
                                                                                       session):
    from app.cases.models import Case
    from app.meetings.models import AgendaItem

    coordinator = demo["coordinator"]
    sign_in(coordinator)
    case = session.scalar(select(Case).where(Case.patient_reference == "FCG-2026-0287"))
    assert case.state == "triaged"
    case_page = text(client.get(f"/cases/{case.id}"))
    assert f'href="/coordinator/search?case={case.id}"' in case_page and "Find a time for this case" in case_page
    html = text(client.get(f"/coordinator/search?case={case.id}"))
    # The case's disciplines are ticked (and listed first), with how many specialists hold each.
    ticked = sorted(re.findall(r'name="discipline" value="([\w-]+)" id="[\w-]+" checked', html))
    assert ticked == sorted(d.code for d in case.disciplines)
    assert re.search(r'for="discipline-radiology">[^<]*<span class="muted">\(\d+\)</span>', html)
    assert f'name="case_id" type="hidden" value="{case.id}"' in html or f'value="{case.id}" name="case_id"' in html \
        or re.search(rf'<input[^>]*name="case_id"[^>]*value="{case.id}"', html)
    board = session.get(Board, case.board_id)
    assert re.search(rf'<option selected value="{board.id}"|<option value="{board.id}" selected', html)

    posted = filled_in(html, "/coordinator/search")
    assert posted["case_id"] == str(case.id) and posted["urgent"] == ("y" if case.urgency == "urgent" else None)
    assert posted["language"] == (case.language or "") and "licensed_in" not in posted
    # The licence follows the case: named, not a field to change.
    rule = re.search(r'<div class="field" id="licence-rule">(.*?)</div>', html, re.S).group(1)
    assert "<strong>China</strong> (CN)" in rule and "Fixed by the case" in rule
    # Nobody in the demo speaks the case's language, and no thoracic or clinical oncology seat can be held by
    # someone licensed in its country (a seat on an agenda listing the case needs a licence where it was
    # referred): the coordinator relaxes the language and asks for the seats that can be held there.
    posted["language"] = ""
    posted.setlist("discipline", ["radiology", "medical-oncology"])
    posted["to_date"] = (date.fromisoformat(posted["from_date"]) + timedelta(days=7)).isoformat()
    results = client.post("/coordinator/search", data=posted)
    assert results.status_code == 200, text(results)
    html = text(results)
    starts = re.findall(r'name="slot_start" value="([^"]+)"', html)
    assert starts and starts == sorted(starts)  # in time order
    assert "Why chosen" in html
    chosen = forms_posting_to(html, "/coordinator/search/book")[0]
    response = client.post("/coordinator/search/book", data=chosen)
    assert response.status_code == 302, text(response)
    meeting = session.scalar(select(Meeting).order_by(Meeting.id.desc()))
    items = session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)).all()
    assert [item.case_id for item in items] == [case.id]
    session.expire_all()
    assert session.get(Case, case.id).state == "scheduled"
    chair = session.scalar(select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.role == "chair"))
    assert chair.user_id == coordinator.id and chair.status == "accepted"


def test_a_case_the_coordinator_cannot_see_is_not_found(demo, sign_in, client):
    sign_in(demo["coordinator"])
    assert client.get("/coordinator/search?case=99999999").status_code == 404
    assert client.get("/coordinator/search?case=abc").status_code == 404


def test_a_search_for_a_case_asks_for_a_licence_where_it_was_referred_whatever_is_posted(demo, sign_in, client,
                                                                                          session):
    """Booking a seat on a case's meeting needs a licence in its referring site's country, so the search for
    the case asks for one there even when the post clears or changes the country: it never proposes a seat
    the booking would refuse. A crafted booking is refused all the same, and nothing is booked."""
    from app.cases.models import Case
    from app.meetings.models import AgendaItem

    sign_in(demo["coordinator"])
    case = session.scalar(select(Case).where(Case.patient_reference == "FCG-2026-0287"))
    assert case.organization.country == "CN"
    html = text(client.get(f"/coordinator/search?case={case.id}"))
    posted = filled_in(html, "/coordinator/search")
    posted["language"] = ""
    posted.setlist("discipline", ["thoracic-surgery"])    # nobody licensed in China practises it
    posted["to_date"] = (date.fromisoformat(posted["from_date"]) + timedelta(days=7)).isoformat()
    for asked in ("", "KE"):   # any licence, another country: the case's rule stands
        posted["licensed_in"] = asked
        results = text(client.post("/coordinator/search", data=posted))
        assert not forms_posting_to(results, "/coordinator/search/book")
        explanation = re.search(r'<section [^>]*id="explanation">(.*?)</section>', results, re.S).group(1)
        assert "Dr Rustam Yusupov: no valid licence in China" in explanation
        assert "Dr Omar Haddad: no valid licence in China" in explanation

    posted.setlist("discipline", ["radiology"])
    posted["licensed_in"] = ""
    results = text(client.post("/coordinator/search", data=posted))
    chosen = forms_posting_to(results, "/coordinator/search/book")[0]
    kolkata, almaty = demo["radiologist.kolkata"], demo["radiologist.almaty"]   # licensed in China; not
    assert str(almaty.id) not in " ".join(seat.split(":")[1] for form in forms_posting_to(
        results, "/coordinator/search/book") for seat in form.getlist("seat"))
    before, agenda_rows = meetings(session), session.scalar(select(func.count()).select_from(AgendaItem))

    # A crafted post giving a seat to someone licensed elsewhere is refused.
    crafted = chosen.copy()
    crafted.setlist("seat", [f"radiology:{almaty.id}"])
    response = client.post("/coordinator/search/book", data=crafted)
    assert response.status_code == 422
    assert f"Not booked: {almaty.name} holds no valid licence in CN" in text(response)
    assert meetings(session) == before
    assert session.scalar(select(func.count()).select_from(AgendaItem)) == agenda_rows
    session.expire_all()
    assert session.get(Case, case.id).state == "triaged"
    crafted.setlist("seat", [f"radiology:{kolkata.id}"])   # the rule lets a seat licensed there through
    allowed = client.post("/coordinator/search/book", data=crafted)
    assert allowed.status_code in (302, 409) and "holds no valid licence" not in text(allowed)


@pytest.mark.parametrize("language, licence_in_china", [
    ("ru", "нет действующей лицензии в стране: Китай"), ("zh", "在中国没有有效执照")])
def test_why_someone_was_ruled_out_is_said_in_the_reader_s_language(demo, sign_in, client, session, language,
                                                                    licence_in_china):
    """The explanation's reasons are the reader's words, with the licence's country by its name."""
    from app.cases.models import Case

    sign_in(demo["coordinator"])
    case = session.scalar(select(Case).where(Case.patient_reference == "FCG-2026-0287"))
    html = text(client.get(f"/coordinator/search?case={case.id}"))
    posted = filled_in(html, "/coordinator/search")
    posted["language"] = ""
    posted.setlist("discipline", ["thoracic-surgery"])
    posted["to_date"] = (date.fromisoformat(posted["from_date"]) + timedelta(days=7)).isoformat()
    results = text(client.post("/coordinator/search", data=posted, headers={"Accept-Language": language}))
    explanation = re.search(r'<section [^>]*id="explanation">(.*?)</section>', results, re.S).group(1)
    assert f"Dr Rustam Yusupov: {licence_in_china}" in explanation
    assert "no valid licence" not in explanation
