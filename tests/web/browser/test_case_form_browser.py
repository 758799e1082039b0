"""The referral pro-forma's bad-input paths in Chromium: every bad field gets its message beside it
(and is marked for assistive technology), what was typed stays, a saved draft is never lost, the
missing fields are listed before a case can be submitted, and a refused upload says why beside the
file field."""
from __future__ import annotations

import os
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)


def error_of(page, field_id: str):
    return page.locator(f"#{field_id}-error")


def test_bad_input_is_shown_beside_each_field_and_nothing_typed_is_lost(sign_in, page):
    sign_in("referrer")
    page.goto("/cases/new")
    page.get_by_label(re.compile("^Patient reference")).fill("Jane Doe")
    page.get_by_label("Year of birth").fill("1850")
    page.get_by_label("ICD-10 code").fill("lung")
    page.get_by_label(re.compile("^WHO performance status")).fill("7")
    page.get_by_label(re.compile("^Language")).fill("e1")
    page.get_by_label("Diagnosis").fill("Adenocarcinoma, right upper lobe")
    page.get_by_role("button", name="Save draft").click()

    for field in ("pf-patient_reference", "pf-year_of_birth", "pf-icd10_code", "pf-performance_status",
                  "pf-language"):
        expect(error_of(page, field)).to_be_visible()
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#{field}")).to_have_attribute("aria-describedby", re.compile(f"{field}-error"))
    expect(error_of(page, "pf-patient_reference")).to_contain_text("never a name")
    expect(error_of(page, "pf-performance_status")).to_contain_text("between 0 and 4")
    expect(error_of(page, "pf-language")).to_contain_text("ISO 639-1")
    # What was typed is still there, the good field included, ready to correct.
    expect(page.get_by_label(re.compile("^Patient reference"))).to_have_value("Jane Doe")
    expect(page.get_by_label("Diagnosis")).to_have_value("Adenocarcinoma, right upper lobe")
    assert "/cases/new" in page.url     # nothing was saved


def test_a_draft_is_saved_and_submitting_lists_what_is_missing(sign_in, page):
    sign_in("referrer")
    page.goto("/cases/new")
    page.get_by_label(re.compile("^Patient reference")).fill("FCG-2026-8123")
    page.get_by_label("ICD-10 code").fill("C18.7")
    page.get_by_label("Diagnosis").fill("Sigmoid adenocarcinoma")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/cases/\d+/edit$"))
    edit_url = page.url

    page.get_by_role("button", name="Submit").click()
    summary = page.locator("#missing-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("cannot be submitted until these are filled in")
    for label in ("Year of birth", "Clinical summary", "Question for the MDT"):
        expect(summary.get_by_role("link", name=label)).to_be_visible()
    expect(error_of(page, "pf-question")).to_have_text("is required for submission")
    # A link in the summary takes the keyboard to its field.
    summary.get_by_role("link", name="Question for the MDT").click()
    expect(page.locator("#pf-question")).to_be_in_viewport()

    # Nothing was lost: the draft is there on a fresh load.
    page.goto(edit_url)
    expect(page.get_by_label("Diagnosis")).to_have_value("Sigmoid adenocarcinoma")
    expect(page.locator("h1")).to_contain_text("draft")


def test_a_refused_upload_says_why_beside_the_file_field(sign_in, page, tmp_path):
    sign_in("referrer")
    page.goto("/cases")
    page.locator("tbody th a").first.click()
    page.wait_for_load_state("networkidle")   # the upload script is wired
    bogus = tmp_path / "scan.pdf"
    bogus.write_bytes(b"MZ\x90\x00 this is a Windows program, not a PDF")
    page.get_by_label(re.compile("^Attach a file")).set_input_files(str(bogus))
    page.get_by_role("button", name="Upload").click()
    status = page.locator("#attachment-file-status")
    expect(status).to_have_class("error")
    expect(status).not_to_have_text(re.compile(r"^Upload(ing needs| failed \()"))
    expect(page.locator("[data-upload-field]")).to_have_class(re.compile("has-error"))
    expect(page.locator("[data-attachment-list]")).not_to_contain_text("scan.pdf")
