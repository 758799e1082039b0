"""Choosing the interface language: saved choice, then the session's switcher, then Accept-Language,
then the deployment default; `<html lang dir>` follows."""
from __future__ import annotations

import re

from tests.conftest import PASSWORD


def html_lang(html: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', html)
    assert match, html[:200]
    return match.group(1), match.group(2)


def page(client, path, **headers):
    return client.get(path, headers=headers).get_data(as_text=True)


def sign_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_sign_in_page_follows_accept_language(client):
    assert html_lang(page(client, "/login", **{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})) == ("zh-Hans", "ltr")
    assert html_lang(page(client, "/login", **{"Accept-Language": "ru-RU,ru;q=0.9"})) == ("ru", "ltr")
    assert html_lang(page(client, "/login", **{"Accept-Language": "en-GB"})) == ("en", "ltr")
    # A language Meridian has no catalogue for falls back to the deployment's default.
    assert html_lang(page(client, "/login", **{"Accept-Language": "sw-KE"})) == ("en", "ltr")


def test_switcher_choice_beats_the_browser_and_is_saved_for_a_signed_in_person(client, make_user, session):
    response = client.post("/language?next=/login", data={"locale": "ru"},
                           headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert html_lang(page(client, "/login", **{"Accept-Language": "zh-CN"}))[0] == "ru"

    user = make_user("referrer")
    sign_in(client, user)
    client.post("/language?next=/", data={"locale": "zh"})
    session.refresh(user)
    assert user.locale == "zh"
    assert html_lang(page(client, "/", **{"Accept-Language": "ru"}))[0] == "zh-Hans"


def test_saved_choice_beats_accept_language_and_null_follows_the_browser(client, make_user, session):
    user = make_user("referrer", locale="ru")
    sign_in(client, user)
    assert html_lang(page(client, "/", **{"Accept-Language": "zh-CN"}))[0] == "ru"
    response = client.post("/profile", data={"locale": ""}, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 302
    session.refresh(user)
    assert user.locale is None
    assert html_lang(page(client, "/", **{"Accept-Language": "zh-CN"}))[0] == "zh-Hans"


def test_profile_page_shows_and_saves_the_choice(client, make_user, session):
    user = make_user("specialist")
    sign_in(client, user)
    html = page(client, "/profile")
    assert re.search(r'<option [^>]*value="">', html) and 'value="ru"' in html and "Русский" in html
    response = client.post("/profile", data={"locale": "ru"})
    assert response.status_code == 302
    session.refresh(user)
    assert user.locale == "ru"
    bad = client.post("/profile", data={"locale": "tlh"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    session.refresh(user)
    assert user.locale == "ru"  # nothing lost


def test_me_reads_and_writes_locale(client, make_user, headers, assert_problem):
    user = make_user("referrer")
    auth = headers(user) if callable(headers) else headers[user]
    assert client.get("/api/v1/me", headers=auth).get_json()["locale"] is None
    changed = client.patch("/api/v1/me", json={"locale": "zh"}, headers=auth)
    assert changed.status_code == 200 and changed.get_json()["locale"] == "zh"
    body = assert_problem(client.patch("/api/v1/me", json={"locale": "xx"}, headers=auth), 422)
    assert "locale" in str(body)
    assert client.get("/api/v1/me", headers=auth).get_json()["locale"] == "zh"
    assert client.patch("/api/v1/me", json={"locale": None}, headers=auth).get_json()["locale"] is None


def test_right_to_left_languages_set_dir():
    from app.i18n import html_lang as lang_tag, text_direction

    assert text_direction("ar") == "rtl" and text_direction("ug") == "rtl" and text_direction("kk") == "ltr"
    assert lang_tag("zh") == "zh-Hans" and lang_tag("ru") == "ru"


def test_problem_titles_and_stock_details_follow_accept_language(client, make_user, headers, assert_problem):
    user = make_user("referrer")
    auth = headers(user)
    missing = client.get("/api/v1/nothing-here", headers={**auth, "Accept-Language": "ru-RU"})
    body = assert_problem(missing, 404)
    assert body["title"] == "Не найдено" and body["detail"] == "По адресу /api/v1/nothing-here ничего нет."
    invalid = client.patch("/api/v1/me", json={"locale": "xx"}, headers={**auth, "Accept-Language": "zh-CN"})
    body = assert_problem(invalid, 422)
    assert body["title"] == "请求中有无效字段" and body["type"] == "/problems/validation-error"
    assert body["errors"][0]["field"] == "locale"  # machine-readable parts stay as they are
    english = assert_problem(client.get("/api/v1/nothing-here", headers=auth), 404)
    assert english["title"] == "Not Found"


def test_error_pages_speak_the_readers_language(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="zh-Hans"' in page and "这里没有内容" in page


def test_a_refused_sign_in_is_explained_in_the_browsers_language(client, make_user):
    user = make_user("referrer")
    refused = client.post("/login", data={"email": user.email, "password": "not the password"},
                          headers={"Accept-Language": "ru-RU"})
    assert refused.status_code == 401
    assert "Неверный адрес эл. почты или пароль." in refused.get_data(as_text=True)


def test_the_openapi_document_describes_locale_on_me(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    described = [name for name, schema in schemas.items() if "locale" in schema.get("properties", {})]
    assert "UserOut" in described and "ProfilePatch" in described


def test_the_pages_own_api_calls_follow_the_saved_choice_not_the_browser(client, make_user):
    user = make_user("referrer", locale="ru")
    sign_in(client, user)  # cookie, as the pages' scripts call the API
    missing = client.get("/api/v1/nothing-here", headers={"Accept-Language": "en-GB"})
    assert missing.get_json()["title"] == "Не найдено"
