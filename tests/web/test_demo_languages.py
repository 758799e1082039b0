"""The demo gives two people a saved language (the Moscow oncologist Russian, a Fangchenggang coordinator
Chinese) and leaves everyone else following the browser: what each of them sees on signing in."""
from __future__ import annotations

import pytest

from tests.web.conftest import DEMO_PASSWORD

HTML_LANG = {"en": '<html lang="en"', "ru": '<html lang="ru"', "zh": '<html lang="zh-Hans"'}


def _home_in(app, user, accept_language: str) -> str:
    """Sign `user` in from a browser that asks for `accept_language`; the home page they land on."""
    browser = app.test_client()
    headers = {"Accept-Language": accept_language}
    response = browser.post("/login", data={"email": user.email, "password": DEMO_PASSWORD}, headers=headers)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = browser.get("/", headers=headers)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_demo_saves_russian_for_the_moscow_oncologist_and_chinese_for_a_fangchenggang_coordinator(demo):
    oncologist, coordinator = demo["oncologist.moscow"], demo["coordinator.fcg"]
    assert oncologist.has_role("specialist") and "Moscow" in oncologist.organization.name
    assert coordinator.has_role("coordinator") and "Fangchenggang" in coordinator.organization.name
    assert (oncologist.locale, coordinator.locale) == ("ru", "zh")
    following_the_browser = sorted(name for name, user in demo.items() if user.locale is None)
    assert sorted(name for name, user in demo.items() if user.locale is not None) == \
        ["coordinator.fcg", "oncologist.moscow"]
    assert "referrer" in following_the_browser and "admin" in following_the_browser


@pytest.mark.parametrize("browser", ["en-GB", "zh-CN", "ru-RU"])
def test_a_saved_language_wins_over_the_browser_and_the_others_follow_it(app, demo, browser):
    assert HTML_LANG["ru"] in _home_in(app, demo["oncologist.moscow"], browser)
    assert HTML_LANG["zh"] in _home_in(app, demo["coordinator.fcg"], browser)
    assert HTML_LANG[browser[:2]] in _home_in(app, demo["referrer"], browser)
