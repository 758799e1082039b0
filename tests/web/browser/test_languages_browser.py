"""Two people who read Meridian in their own language do their main task in Chromium:
the Moscow oncologist (saved: Russian) answers an invitation on her schedule; a Fangchenggang
coordinator (saved: Chinese) finds a meeting time. Their browsers ask for their languages, so the
sign-in page is already theirs. Screenshots go to docs/screenshots/."""
from __future__ import annotations

import os
import re

import pytest

from tests.web.browser.conftest import DOMAIN, PASSWORD, TABLET

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


@pytest.fixture
def localized_page(browser, live_server):
    contexts, errors = [], []

    def open_page(browser_locale: str, timezone_id: str):
        context = browser.new_context(viewport=TABLET, base_url=live_server, locale=browser_locale,
                                      timezone_id=timezone_id)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


def axe_violations(page) -> list[str]:
    """The page in the reader's language still meets WCAG 2.1 AA (lang attributes, names, contrast)."""
    from tests.web.browser.conftest import AXE, violations_on

    if not AXE.exists():
        pytest.skip("node_modules/axe-core is missing: run 'npm ci'")
    return violations_on(page, AXE.read_text())


def sign_in(page, local_part: str, email_label: str, password_label: str, button: str):
    page.goto("/login")
    page.get_by_label(email_label).fill(f"{local_part}@{DOMAIN}")
    page.get_by_label(password_label).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/")


def test_moscow_oncologist_answers_an_invitation_in_russian(localized_page, screenshot_dir):
    page = localized_page("ru-RU", "Europe/Moscow")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", name="Войти")).to_be_visible()
    sign_in(page, "oncologist.moscow", "Эл. почта", "Пароль", "Войти")

    main_nav = page.get_by_role("navigation", name="Основная навигация")
    main_nav.get_by_role("link", name="Моё расписание").click()
    expect(page.get_by_role("heading", name="Моё расписание", exact=True)).to_be_visible()
    meeting = page.locator("article.meeting").first
    expect(meeting).to_contain_text("(Москва, UTC+03:00)")
    assert not ENGLISH_MONTHS.search(page.locator("main").inner_text())
    page.screenshot(path=str(screenshot_dir / "ru-specialist-schedule.png"), full_page=True)

    # Her main task: answer the board's invitation (here: tentative, then accept again).
    meeting.get_by_role("link").first.click()
    mine = page.locator("section[aria-labelledby=mine-heading]")
    expect(page.get_by_role("heading", name="Ваше приглашение")).to_be_visible()
    # htmx answers in place; a click before it is wired posts the form and reloads the page instead.
    page.wait_for_load_state("networkidle")
    mine.get_by_role("button", name="Под вопросом").click()
    expect(mine.locator("[data-answer]")).to_have_text("под вопросом")
    expect(mine.get_by_role("status")).to_contain_text("Ваш ответ на приглашение")
    mine.get_by_role("button", name="Принять").click()
    expect(mine.locator("[data-answer]")).to_have_text("принято")
    expect(page.get_by_role("heading", name="Кворум", exact=True)).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "ru-specialist-meeting.png"), full_page=True)
    assert not axe_violations(page)


def test_fangchenggang_coordinator_finds_a_meeting_time_in_chinese(localized_page, screenshot_dir):
    page = localized_page("zh-CN", "Asia/Shanghai")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    sign_in(page, "coordinator.fcg", "电子邮箱", "密码", "登录")

    main_nav = page.get_by_role("navigation", name="主导航")
    main_nav.get_by_role("link", name="工作台").click()
    expect(page.get_by_role("heading", name="协调员工作台")).to_be_visible()
    expect(page.locator("main")).to_contain_text("(上海, UTC+08:00)")
    page.screenshot(path=str(screenshot_dir / "zh-coordinator-dashboard.png"), full_page=True)

    main_nav.get_by_role("link", name="时间查找").click()
    page.get_by_label("时长（分钟）").fill("5")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("#duration_minutes-error")).to_have_text("15 至 480 分钟。")

    page.get_by_label("时长（分钟）").fill("60")
    page.get_by_label(re.compile(r"^放射科（\d+）$|^放射科 \(\d+\)$")).check()
    page.get_by_label(re.compile(r"^病理科（\d+）$|^病理科 \(\d+\)$")).check()
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_role("heading", name="为何是这些时间（而不是更多）")).to_be_visible()
    first = page.locator(".slot-result").first
    expect(first).to_contain_text("(上海, UTC+08:00)")
    expect(first).to_contain_text("星期")  # each participant's weekday, in Chinese
    assert not ENGLISH_MONTHS.search(page.locator("main").inner_text())
    page.locator("#results").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "zh-coordinator-time-search.png"), full_page=False)
    assert not axe_violations(page)


@pytest.fixture
def screenshot_dir():
    from tests.web.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
