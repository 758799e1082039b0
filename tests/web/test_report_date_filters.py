"""The reports' From and To filters are typed as YYYY-MM-DD in plain text boxes (not the browser's date picker,
whose format follows the browser's language), and a date the reports cannot read is explained in the reader's
language, naming the field as the page labels it."""
import re

import pytest
from sqlalchemy import select

from app.boards.models import BoardMember

HINT = {"ru": "ГГГГ-ММ-ДД", "zh": "年-月-日（YYYY-MM-DD）"}


def box(html: str, box_id: str) -> str:
    tags = [tag for tag in re.findall(r"<input\b[^>]*>", html) if f'id="{box_id}"' in tag]
    assert len(tags) == 1, tags
    return tags[0]


@pytest.mark.parametrize("path", ["/reports", "/reports/boards/{board}"])
def test_the_period_is_typed_as_yyyy_mm_dd_in_text_boxes(demo, sign_in, client, session, path):
    coordinator = demo["coordinator.fcg"]  # saved language: Chinese
    board = session.scalar(select(BoardMember.board_id).where(BoardMember.user_id == coordinator.id)
                           .order_by(BoardMember.board_id))
    sign_in(coordinator)
    url = path.format(board=board)
    page = client.get(url, headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    for box_id in ("filter-from", "filter-to"):
        tag = box(page, box_id)
        assert 'type="text"' in tag and 'inputmode="numeric"' in tag and f'placeholder="{HINT["zh"]}"' in tag
        assert re.search(r'value="\d{4}-\d{2}-\d{2}"', tag), tag
    assert re.search(r'<form method="get" class="toolbar filters" novalidate', page)

    chosen = client.get(url, query_string={"from": " 2026-10-01 ", "to": "2026-10-31"})
    assert chosen.status_code == 200
    page = chosen.get_data(as_text=True)
    assert 'value="2026-10-01"' in box(page, "filter-from") and 'value="2026-10-31"' in box(page, "filter-to")


def test_a_date_written_as_a_browser_would_show_it_is_explained_in_the_readers_language(demo, sign_in, client,
                                                                                      session):
    admin = demo["admin"]
    admin.locale = "ru"
    session.commit()
    sign_in(admin)
    refused = client.get("/reports", query_string={"from": "01.10.2026"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert 'aria-invalid="true"' in box(page, "filter-from") and 'value="01.10.2026"' in box(page, "filter-from")
    problem = re.search(r'<p [^>]*id="filter-problem">(.*?)</p>', page, re.S).group(1)
    assert problem == "Проверьте поле «С»: должно быть датой в формате ГГГГ-ММ-ДД (YYYY-MM-DD).", problem


@pytest.mark.parametrize("name, value", [("to", "9999-12-31"), ("from", "0001-01-01")])
def test_a_year_at_the_end_of_the_calendar_is_refused_not_a_server_error(demo, sign_in, client, name, value):
    sign_in(demo["admin"])
    refused = client.get("/reports", query_string={name: value})
    assert refused.status_code == 400
    assert f'id="filter-{name}"' in refused.get_data(as_text=True)
