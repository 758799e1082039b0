"""Dates are typed as YYYY-MM-DD in a plain text box, never the browser's own date picker (whose format follows
the browser's language, not the page's): the follow-up's date on the case page and an action's due date on the
live meeting page, with the hint in the reader's language."""
import re
from pathlib import Path

from sqlalchemy import select

from app.outcomes.models import OutcomeFollowUp
from tests.conftest import PASSWORD
from tests.outcomes.test_outcomes import draft, sign_all
from tests.web.page_helpers import error_beside, text

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
HINT = {"en": "YYYY-MM-DD", "ru": "ГГГГ-ММ-ДД", "zh": "年-月-日（YYYY-MM-DD）"}


def sign_in(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def date_box(html: str, marker: str) -> str:
    """The <input> tag that holds `marker` (an id or data-part attribute)."""
    tags = [tag for tag in re.findall(r"<input\b[^>]*>", html) if marker in tag]
    assert len(tags) == 1, tags
    return tags[0]


def assert_typed_date_box(tag: str, language: str):
    assert 'type="text"' in tag and 'type="date"' not in tag
    assert 'inputmode="numeric"' in tag and 'autocomplete="off"' in tag
    assert r'pattern="\d{4}-\d{2}-\d{2}"' in tag
    assert f'placeholder="{HINT[language]}"' in tag


def test_no_page_uses_the_browsers_date_picker():
    pickers = [f"{path.relative_to(TEMPLATES)}: {tag}" for path in sorted(TEMPLATES.rglob("*.html"))
               for tag in re.findall(r"<input\b[^>]*>", path.read_text(encoding="utf-8"))
               if re.search(r'type="(date|datetime-local|month|week)"', tag)]
    assert not pickers, pickers


def test_the_follow_up_date_is_typed_as_yyyy_mm_dd_whatever_the_browser(client, session, world, headers,
                                                                       draft_body):
    outcome = draft(client, world, headers, draft_body)
    sign_all(client, outcome["id"], world, headers)
    world.referrer.locale = "ru"
    session.commit()
    sign_in(client, world.referrer)
    html = text(client.get(f"/cases/{world.case.id}", headers={"Accept-Language": "en-US"}))
    assert_typed_date_box(date_box(html, 'id="follow-up-occurred-on"'), "ru")

    # A date written the way a US browser would show it is refused, in the reader's language, beside the box.
    refused = client.post(f"/cases/{world.case.id}/follow-up", data={"status": "carried_out",
                                                                     "occurred_on": "11/18/2025"})
    assert refused.status_code == 422
    assert error_beside(text(refused), "follow-up-occurred-on") == \
        "Укажите дату в формате ГГГГ-ММ-ДД, не раньше заседания и не в будущем."
    assert 'value="11/18/2025"' in date_box(text(refused), 'id="follow-up-occurred-on"')  # kept to correct

    done = client.post(f"/cases/{world.case.id}/follow-up",
                       data={"status": "carried_out", "occurred_on": " 2025-11-18 "}, follow_redirects=True)
    assert done.status_code == 200
    assert str(session.scalar(select(OutcomeFollowUp)).occurred_on) == "2025-11-18"
    assert 'value="2025-11-18"' in date_box(text(done), 'id="follow-up-occurred-on"')


def test_an_actions_due_date_on_the_live_page_is_typed_as_yyyy_mm_dd(client, session, world):
    session.expire_all()
    world.chair.locale = "zh"
    session.commit()
    sign_in(client, world.chair)
    html = text(client.get(f"/meetings/{world.meeting.id}/live", headers={"Accept-Language": "ru"}))
    row = html.split("<template data-action-row>", 1)[1].split("</template>", 1)[0]
    assert_typed_date_box(date_box(row, 'data-part="due"'), "zh")
