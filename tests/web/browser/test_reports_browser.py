"""The reports in Chromium over the demo: a coordinator opens Reports, narrows them to Kenya, downloads
the CSV of the waits by site and finds the numbers the page shows; the page passes axe, draws its
charts under the CSP, and fits 390 px. Screenshots: reports.png, reports-narrow.png."""
from __future__ import annotations

import csv
import io
import os

import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

from tests.web.browser.conftest import AXE, violations_on  # noqa: E402

COLUMNS = ("cases_submitted", "cases_discussed", "cases_waiting", "median_days_to_discussion",
           "p90_days_to_discussion", "median_days_to_outcome", "p90_days_to_outcome")


def as_number(text: str):
    text = text.strip().replace(",", "")
    return None if text in ("", "—") else float(text)


def test_coordinator_filters_by_country_and_the_csv_matches_the_page(sign_in, page, screenshot):
    csp_reports = []
    page.on("console", lambda message: csp_reports.append(message.text)
            if "Content Security Policy" in message.text else None)
    sign_in("coordinator")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Quality and equity of the network")).to_be_visible()
    sites = page.get_by_role("region", name="Waits by referring site")
    expect(sites.locator("tbody tr")).to_have_count(4)  # the demo's four referring sites
    page.wait_for_function("() => document.querySelectorAll('canvas[data-chart]').length > 0 && "
                           "[...document.querySelectorAll('canvas[data-chart]')].every(c => c.width > 0)")
    screenshot("reports")

    page.get_by_label("Country", exact=True).select_option(label="Kenya")
    page.get_by_role("button", name="Show").click()
    expect(sites.locator("tbody tr")).to_have_count(1)
    row = sites.locator("tbody tr").first
    expect(row.locator("th")).to_have_text("Nairobi Teaching and Referral Hospital")
    shown = {name: as_number(row.locator(f"td[data-column={name}]").inner_text()) for name in COLUMNS}
    assert shown["cases_submitted"] > 0 and shown["median_days_to_discussion"] > 0

    with page.expect_download() as download:
        page.locator("section[aria-labelledby=sites-heading]").get_by_role(
            "link", name="Download the rows as CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert [r["site"] for r in rows] == ["Nairobi Teaching and Referral Hospital"] and rows[0]["country"] == "KE"
    assert {name: as_number(rows[0][name]) for name in COLUMNS} == shown

    assert AXE.exists(), "run 'npm ci' for axe-core"
    assert not violations_on(page, AXE.read_text())
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    screenshot("reports-narrow")
    assert not csp_reports, csp_reports
