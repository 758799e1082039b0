"""The coordinator's case board through the Flask test client: columns, filters, time left, live wiring."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.boards.models import Board
from app.cases.models import Case


def text(response) -> str:
    return response.get_data(as_text=True)


def column_of(html: str, case_id: int) -> str | None:
    for state, body in re.findall(r'data-state="([a-z_]+)">(.*?)</section>', html, re.S):
        if f'data-case-id="{case_id}"' in body:
            return state
    return None


@pytest.mark.parametrize("who", ["referrer", "surgeon.dubai"])
def test_case_board_refuses_non_coordinators(demo, sign_in, client, who):
    sign_in(demo[who])
    assert client.get("/coordinator/cases").status_code == 403
    assert client.get("/coordinator/cases/columns").status_code == 403


def test_case_board_columns_by_state_with_time_left_in_my_zone(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    html = text(client.get("/coordinator/cases"))
    submitted = session.scalar(select(Case).where(Case.patient_reference == "KNH-2026-5490"))
    returned = session.scalar(select(Case).where(Case.patient_reference == "TSH-RCH-2026-114"))
    assert column_of(html, submitted.id) == "submitted"
    assert column_of(html, returned.id) == "returned"
    assert re.search(r"(\d+ d )?\d+ h \d\d min left|overdue by", html)
    assert "(Asia/Shanghai, UTC+08:00)" in html
    assert "times in <strong data-viewer-zone>Asia/Shanghai</strong>" in html
    draft = session.scalar(select(Case).where(Case.state == "draft"))
    assert f'data-case-id="{draft.id}"' not in html  # drafts stay with the referrer


def test_case_board_filters_by_board_urgency_and_site(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    boards = {board.id: board for board in session.scalars(select(Board))}
    cases = list(session.scalars(select(Case).where(Case.state.not_in(("draft", "closed", "withdrawn")))))
    some_board = next(case.board_id for case in cases if case.board_id)
    html = text(client.get(f"/coordinator/cases?board={some_board}"))
    for case in cases:
        assert (f'data-case-id="{case.id}"' in html) == (case.board_id == some_board), boards[case.board_id].name
    html = text(client.get("/coordinator/cases?urgency=urgent"))
    for case in cases:
        assert (f'data-case-id="{case.id}"' in html) == (case.urgency == "urgent")
    site = cases[0].organization_id
    html = text(client.get(f"/coordinator/cases/columns?site={site}"))
    assert "<html" not in html  # the fragment alone
    for case in cases:
        assert (f'data-case-id="{case.id}"' in html) == (case.organization_id == site)
    assert client.get("/coordinator/cases?urgency=nonsense&board=x").status_code == 200


def test_case_board_subscribes_to_the_boards_it_runs(demo, sign_in, client, session):
    sign_in(demo["coordinator"])
    html = text(client.get("/coordinator/cases"))
    assert "vendor/socket.io.min.js" in html and "js/live.js" in html and "js/pages/case_board.js" in html
    rooms = re.search(r'data-rooms="([^"]*)"', html).group(1).split()
    assert rooms and all(re.fullmatch(r"board:\d+", room) for room in rooms)
    assert 'data-columns-url="/coordinator/cases/columns"' in html
    html = text(client.get("/coordinator/cases?urgency=urgent"))
    assert 'data-columns-url="/coordinator/cases/columns?urgency=urgent"' in html


def test_a_case_moving_state_moves_columns(demo, sign_in, client, session):
    from app.cases import workflow
    from app.timekeeping import now_utc

    case = session.scalar(select(Case).where(Case.patient_reference == "KNH-2026-5490"))
    workflow.transition(session, case, "triaged", demo["coordinator"], at=now_utc())
    session.commit()
    sign_in(demo["coordinator"])
    assert column_of(text(client.get("/coordinator/cases/columns")), case.id) == "triaged"


def test_case_board_in_navigation(demo, sign_in, client):
    sign_in(demo["coordinator"])
    html = text(client.get("/coordinator/cases"))
    assert re.search(r'<a href="/coordinator/cases" aria-current="page">Case board</a>', html)
