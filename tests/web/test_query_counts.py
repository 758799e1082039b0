"""The main pages and API lists run the same number of SQL statements whatever the size of the data.

Each is measured on the demo network, then again after the network has been copied over several
times (more boards with meetings, quorum and members, rotas, cases on agendas, notifications and
audit events) and the coming week's meetings repeated (longer schedules and pages of meetings), and
the counts must not grow.
"""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import insert, select

from app.boards.quorum import meeting_quorum, meetings_quorum
from app.cases.models import Case
from app.extensions import db
from app.meetings.models import Meeting
from app.rotas.models import Rota
from app.notifications.operations import notify
from app.timekeeping import now_utc
from tests.sql_statements import recorded_statements
from tests.web.conftest import DEMO_PASSWORD, demo_meeting

# table -> {column: how a copy's value is made from the original's (given the copy number and id maps)}
COPIED = [
    ("boards", {"name": lambda v, n, ids: f"{v} ({n})"}),
    ("board_members", {"board_id": "boards"}),
    ("board_quorum", {"board_id": "boards"}),
    ("cases", {"board_id": "boards"}),
    ("case_disciplines", {"case_id": "cases"}),
    ("meetings", {"board_id": "boards", "current_case_id": lambda v, n, ids: None,
                  "starts_at": "later", "ends_at": "later", "occurrence_date": "later",
                  "started_at": "later", "finished_at": "later"}),
    ("invitations", {"meeting_id": "meetings", "busy_from": "later", "busy_until": "later"}),
    ("agenda_items", {"meeting_id": "meetings", "case_id": "cases", "rolled_from_meeting_id": "meetings"}),
    ("rotas", {"board_id": "boards"}),
    ("rota_members", {"rota_id": "rotas"}),
]


def copy_network(session, copy: int) -> None:
    """Doubles the network: a copy of every board, its meetings (far enough ahead not to overlap
    anyone's), cases, agendas and rotas."""
    shift = timedelta(days=400 * copy)
    ids: dict[str, dict] = {}
    connection = session.connection()
    for name, rules in COPIED:
        table = db.metadata.tables[name]
        ids[name] = {}
        for row in connection.execute(select(table)).mappings().all():
            values = dict(row)
            for column, rule in rules.items():
                value = values.get(column)
                if value is None:
                    continue
                if rule == "later":
                    values[column] = value + shift
                elif isinstance(rule, str):
                    values[column] = ids[rule].get(value, value)
                else:
                    values[column] = rule(value, copy, ids)
            old_id = values.pop("id", None)
            result = connection.execute(insert(table).values(**values))
            if old_id is not None:
                ids[name][old_id] = result.inserted_primary_key[0]


def repeat_coming_meetings(session, days: int) -> None:
    """More meetings in everyone's coming weeks: each meeting of the next seven days again `days` later,
    with its invitations declined (so they take no one's time)."""
    connection = session.connection()
    meetings, invitations = db.metadata.tables["meetings"], db.metadata.tables["invitations"]
    at, shift = now_utc(), timedelta(days=days)
    for meeting in connection.execute(select(meetings).where(
            meetings.c.starts_at > at, meetings.c.starts_at < at + timedelta(days=7))).mappings().all():
        values = dict(meeting)
        original = values.pop("id")
        for column in ("starts_at", "ends_at", "occurrence_date"):
            if values[column] is not None:   # an ad-hoc meeting has no occurrence date
                values[column] += shift
        meeting_id = connection.execute(insert(meetings).values(**values)).inserted_primary_key[0]
        for invitation in connection.execute(select(invitations).where(
                invitations.c.meeting_id == original)).mappings().all():
            copied = {**invitation, "meeting_id": meeting_id, "status": "declined",
                      "busy_from": invitation["busy_from"] + shift, "busy_until": invitation["busy_until"] + shift}
            copied.pop("id")
            connection.execute(insert(invitations).values(**copied))


def fill_the_pages_measured(session, demo, case_id: int, meeting, people: slice) -> None:
    """Rows on the pages measured, each shown with its person: comments on the case and people invited
    to the meeting (declined, so they take no one's time), by the `people` of the demo."""
    connection = session.connection()
    comments, invitations = db.metadata.tables["case_comments"], db.metadata.tables["invitations"]
    at = now_utc()
    invited = set(connection.execute(select(invitations.c.user_id).where(invitations.c.meeting_id == meeting.id)).scalars())
    for n, user in enumerate(sorted(demo.values(), key=lambda user: user.id)[people]):
        connection.execute(insert(comments).values(case_id=case_id, author_id=user.id, body=f"Note {n}", created_at=at))
        if user.id not in invited:
            connection.execute(insert(invitations).values(
                meeting_id=meeting.id, user_id=user.id, role="observer", status="declined", invited_at=at,
                busy_from=meeting.starts_at, busy_until=meeting.ends_at))


def grow(session, demo, case_id, meeting, copies=2):
    """The network copied over `copies` times, more meetings in the coming days, more rows on the pages
    measured, and more notifications."""
    for copy in range(1, copies + 1):
        copy_network(session, copy)
    for days in (1, 2):
        repeat_coming_meetings(session, days)
    fill_the_pages_measured(session, demo, case_id, meeting, slice(3, 15))
    at = now_utc()
    for n in range(60):
        notify(session, user_id=demo["coordinator"].id, kind="test", dedupe_key=f"grow:{n}",
               subject=f"Note {n}", at=at)
    session.commit()


def get_in_own_session(client, url):
    """One request with a session of its own, as every request has in production. Under the test's
    app context, requests would share the test's session, and whether an object an earlier request
    loaded is still in its (weakly held) identity map would depend on when the garbage collector ran."""
    with client.application.app_context():
        response = client.get(url)
        response.close()
    return response


def statements(client, url) -> int:
    # Warm: first-use lookups are not what is measured. Closed here, so work it leaves for after the
    # response (a token's first use recorded on close) never lands in a later request's count.
    get_in_own_session(client, url)
    with recorded_statements(db.engine) as seen:
        response = get_in_own_session(client, url)
    assert response.status_code == 200, (url, response.status_code)
    return len(seen)


def token_client(app, user):
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": DEMO_PASSWORD}).get_json()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token['token']}"
    return client


PAGES = {
    "coordinator": ["/coordinator", "/coordinator/cases", "/api/v1/cases", "/api/v1/cases?state=submitted&limit=5",
                    "/api/v1/notifications", "/api/v1/users", "/api/v1/me", "/cases/{case}/audit",
                    "/api/v1/cases/{case}", "/meetings/{meeting}/live", "/api/v1/meetings/{meeting}/live",
                    "/api/v1/boards/{board}/meetings?limit=5", "/cases/{case}", "/meetings/{meeting}",
                    "/meetings/{meeting}/agenda", "/meetings/{meeting}/attendance", "/meetings/{meeting}/preparation",
                    "/coordinator/meetings/{meeting}/invitations", "/coordinator/boards", "/coordinator/meetings",
                    "/coordinator/rotas", "/coordinator/specialists", "/reports", "/inbox", "/api/v1/rotas",
                    "/api/v1/rotas/{rota}/cover-requests", "/api/v1/boards",
                    "/coordinator/boards/{board}", "/coordinator/rotas/{rota}", "/coordinator/cases/columns",
                    "/api/v1/boards/{board}", "/api/v1/meetings/{meeting}", "/api/v1/meetings/{meeting}/agenda",
                    "/api/v1/meetings/{meeting}/invitations", "/api/v1/meetings/{meeting}/attendance",
                    "/api/v1/meetings/{meeting}/quorum", "/api/v1/meetings/{meeting}/preparation?discipline=radiology",
                    "/api/v1/rotas/{rota}/shifts", "/api/v1/specialists", "/api/v1/cases/{case}/comments",
                    "/api/v1/cases/{case}/attachments", "/api/v1/cases/{case}/outcome", "/api/v1/licences",
                    "/reports/boards/{board}"],
    "radiologist.kolkata": ["/api/v1/me/invitations?limit=5", "/schedule", "/my/shifts", "/me/availability",
                            "/me/licences"],
    "referrer.nairobi": ["/cases", "/api/v1/cases"],
    "admin": ["/api/v1/audit-events", "/api/v1/users?limit=10", "/admin/users", "/admin/sites", "/admin/licences",
              "/admin/disciplines", "/api/v1/organizations"],
}


def measure(app, demo, case_id, meeting, rota_id):
    counts = {}
    for who, urls in PAGES.items():
        page_client = app.test_client()
        page_client.post("/login", data={"email": demo[who].email, "password": DEMO_PASSWORD})
        api_client = token_client(app, demo[who])
        for url in urls:
            url = url.format(case=case_id, meeting=meeting.id, board=meeting.board_id, rota=rota_id)
            counts[(who, url)] = statements(api_client if url.startswith("/api/") else page_client, url)
    return counts


def test_queries_per_request_do_not_grow_with_the_data(app, demo, session):
    case_id = session.scalar(select(Case.id).where(Case.patient_reference == "FCG-2026-0287"))
    meeting = demo_meeting(session)
    rota_id = session.scalar(select(Rota.id).order_by(Rota.id))
    # One instant for both sizes: pages that show what is upcoming (a specialist's schedule) must see
    # the same window at both, or a meeting crossing its edge as the test runs would count as growth.
    with time_machine.travel(now_utc(), tick=False):
        fill_the_pages_measured(session, demo, case_id, meeting, slice(0, 3))   # a few rows, then many
        session.commit()
        small = measure(app, demo, case_id, meeting, rota_id)
        before = session.scalar(select(db.func.count()).select_from(Case))
        grow(session, demo, case_id, meeting)
        assert session.scalar(select(db.func.count()).select_from(Case)) == 4 * before
        large = measure(app, demo, case_id, meeting, rota_id)
    # Fewer is fine (a lookup cached by an earlier page); more would grow with the data.
    grown = {page: (small[page], large[page]) for page in small if large[page] > small[page]}
    assert grown == {}, f"statements per request grew with the data: {grown}"


def test_the_dashboard_quorum_in_bulk_matches_one_meeting_at_a_time(demo, session):
    meetings = session.scalars(select(Meeting)).all()
    assert meetings_quorum(session, meetings) == {m.id: meeting_quorum(session, m) for m in meetings}


def test_case_board_columns_show_the_first_cards_and_count_the_rest(app, demo, session, monkeypatch):
    import re

    from app.web import case_board_views

    monkeypatch.setattr(case_board_views, "COLUMN_CARDS", 1)
    copy_network(session, 1)  # every column the demo fills now has two or more cases
    session.commit()
    client = app.test_client()
    client.post("/login", data={"email": demo["coordinator"].email, "password": DEMO_PASSWORD})
    html = client.get("/coordinator/cases").get_data(as_text=True)
    for state, total in re.findall(r'data-state="(\w+)".*?<span class="badge">(\d+)</span>', html, re.S):
        column = html.split(f'data-state="{state}"', 1)[1].split("</section>", 1)[0]
        assert column.count("data-case-id=") == min(1, int(total))
        if int(total) > 1:
            assert f"and {int(total) - 1} more" in column
    assert "more</li>" in html


def test_a_case_outcome_is_read_in_the_same_statements_however_many_versions_it_has(app, demo, session):
    """Each amendment adds a version with its own signatures; the outcome API shows them all."""
    from app.outcomes.models import Outcome, OutcomeSignature

    client = token_client(app, demo["coordinator"])
    case = next(case for case in session.scalars(select(Case).join(Outcome, Outcome.case_id == Case.id)
                                                 .order_by(Case.id).distinct())
                if "versions" in client.get(f"/api/v1/cases/{case.id}/outcome").get_json())   # full access
    url = f"/api/v1/cases/{case.id}/outcome"
    before = statements(client, url)
    signers = sorted(demo.values(), key=lambda user: user.id)
    for n in range(4):   # signed versions are immutable through the ORM: written as rows
        last = session.scalars(select(Outcome).where(Outcome.case_id == case.id)
                               .order_by(Outcome.version.desc())).first()
        version_id = session.execute(insert(Outcome.__table__).values(
            case_id=case.id, meeting_id=last.meeting_id, version=last.version + 1, supersedes_id=last.id,
            recommendation=f"Amended {n}.", category=last.category, drafted_by_id=last.drafted_by_id,
            actions=last.actions, created_at=last.created_at,
            signed_at=last.signed_at).returning(Outcome.__table__.c.id)).scalar_one()
        for signer in signers[3 * n:3 * n + 3]:
            session.execute(insert(OutcomeSignature.__table__).values(
                outcome_id=version_id, user_id=signer.id, discipline_code="radiology",
                signed_at=last.signed_at or last.created_at))
        session.commit()
    shown = client.get(url).get_json()
    assert len(shown["versions"]) >= 5 and all(version["signatures"] for version in shown["versions"][-4:])
    assert statements(client, url) <= before
