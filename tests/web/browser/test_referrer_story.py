"""A referrer follows her case through her notifications to the outcome letter, in Chromium:

1. she starts a referral and, still a draft, attaches files: one over the limit is refused before any
   upload starts; a report uploads with progress and the list and its count update without a reload;
2. she submits; the coordinator triages it and puts it on the board's next meeting (through the API);
3. her inbox says it was accepted and when it will be discussed; the link opens the case, which says when
   (in her zone);
4. the demo's signed outcome: her inbox links to the outcome letter (PDF, in Chinese, her language), whose
   text is read with pypdf;
   the case page shows the outcome, its letter and the follow-up, which she records.
Every page on the way is checked with axe-core.
"""
from __future__ import annotations

import io
import os
import re

import pytest

from tests.web.browser.conftest import api_session, fill_referral, ok
from tests.web.browser.conftest import AXE, violations_on

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

BOARD = "Thoracic Oncology MDT"
REPORT = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def schedule(live_server, case_id: int) -> dict:
    """The coordinator triages the case and puts it on the first upcoming meeting with room."""
    url = live_server + "/api/v1"
    coordinator = api_session(live_server, "coordinator")
    ok(coordinator.post(f"{url}/cases/{case_id}/transitions", json={"to": "triaged"}))
    board = next(b for b in ok(coordinator.get(f"{url}/boards")) if b["name"] == BOARD)
    for meeting in ok(coordinator.get(f"{url}/boards/{board['id']}/meetings")):
        if meeting["status"] == "scheduled" and coordinator.post(
                f"{url}/meetings/{meeting['id']}/agenda", json={"case_id": case_id}).status_code == 201:
            return meeting
    raise AssertionError("no upcoming meeting of the board had room")


def test_referrer_follows_a_case_through_notifications_to_the_outcome_letter(live_server, page, sign_in,
                                                                            screenshot):
    from pypdf import PdfReader

    axe = AXE.read_text() if AXE.exists() else None
    problems = []

    def check_accessibility():
        if axe:
            problems.extend(violations_on(page, axe))

    sign_in("referrer")
    page.goto("/cases/new")
    expect(page.get_by_text("Save the draft to attach files")).to_be_visible()
    fill_referral(page, reference="NBO-2026-0416", diagnosis="Squamous cell carcinoma, left lower lobe",
                  question="Surgery after induction, or definitive chemoradiotherapy?", urgency="routine",
                  discipline="Radiology", board=BOARD, icd10="C34.3")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/cases/\d+/edit$"))
    case_id = int(re.search(r"/cases/(\d+)/edit", page.url).group(1))

    # 1. Attachments while drafting: the limit is shown; a file over it never leaves the browser.
    expect(page.get_by_text("Each file may be at most 25 MB.")).to_be_visible()
    uploads = []
    page.on("request", lambda request: uploads.append(request.url) if request.url.endswith("/attachments") else None)
    file_field = page.get_by_label("Attach a file (PDF, PNG, JPEG, DICOM or text)")
    file_field.set_input_files({"name": "ct-series.zip", "mimeType": "application/zip",
                                "buffer": b"\0" * (26 * 1024 * 1024)})
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-status]")).to_have_text(
        re.compile(r"^ct-series\.zip is 26 MB, larger than the limit of 25 MB; it was not uploaded\.$"))
    assert uploads == []
    file_field.set_input_files({"name": "bronchoscopy-report.pdf", "mimeType": "application/pdf", "buffer": REPORT})
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-status]")).to_have_text("bronchoscopy-report.pdf is attached to the case.")
    expect(page.locator("[data-attachment-list] a")).to_have_text(["bronchoscopy-report.pdf"])
    expect(page.locator("[data-attachment-count]")).to_have_text("1")
    progress = page.get_by_role("progressbar", name="Upload progress")  # shown while it went, full once done
    expect(progress).to_be_visible()
    assert progress.evaluate("bar => bar.value") == 100
    assert len(uploads) == 1
    screenshot("referrer-draft-attachments")
    check_accessibility()
    # The same file again is recognised, not attached twice.
    file_field.set_input_files({"name": "bronchoscopy-report.pdf", "mimeType": "application/pdf", "buffer": REPORT})
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-status]")).to_have_text("bronchoscopy-report.pdf was already attached.")
    expect(page.locator("[data-attachment-count]")).to_have_text("1")
    assert len(uploads) == 2

    # 2. Submitted, then triaged and scheduled by the coordinator.
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"**/cases/{case_id}")
    meeting = schedule(live_server, case_id)

    # 3. Her inbox says so; the link opens the case, which says when it will be discussed.
    page.goto("/inbox")
    expect(page.get_by_role("link", name=f"Case #{case_id} accepted for discussion")).to_be_visible()
    scheduled = page.get_by_role("link", name=re.compile(rf"^Case #{case_id} will be discussed on "))
    expect(scheduled).to_be_visible()
    check_accessibility()
    screenshot("referrer-inbox-case-news")
    scheduled.click()
    page.wait_for_url(f"**/cases/{case_id}")
    expect(page.locator("[data-discussion-planned]")).to_contain_text(f"To be discussed at {meeting['title']}")
    expect(page.locator("[data-attachment-list] a")).to_have_text(["bronchoscopy-report.pdf"])

    # 4. The demo's signed outcome: the notification links to the letter.
    page.goto("/inbox")
    # The oldest such news is the demo's (other tests in this server may have signed outcomes since).
    signed = page.get_by_role("link", name=re.compile(r"^MDT outcome signed for case #\d+$")).last
    outcome_case = int(re.search(r"#(\d+)", signed.inner_text()).group(1))
    with page.expect_download() as download:
        signed.click()
    letter = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    text = "\n".join(p.extract_text() for p in letter.pages)
    # The demo referrer in Fangchenggang reads Chinese: the letter is in her language, the board's words as written.
    assert "多学科会诊（MDT）结果函" in text and f"病例 #{outcome_case}" in text and "签署" in text
    assert "Right upper lobectomy with systematic nodal dissection" in text

    page.goto(f"/cases/{outcome_case}")
    expect(page.locator("[data-outcome-letter]")).to_be_visible()
    expect(page.locator("[data-follow-up-status]")).to_contain_text("Carried out as recommended")
    page.get_by_role("radio", name="Not carried out").check()
    page.get_by_role("button", name="Correct the follow-up").click()
    expect(page.locator("#follow-up-reason-error")).to_have_text(
        "Say why the recommendation was changed or not carried out.")
    check_accessibility()
    page.get_by_label("Why (needed if it was changed or not carried out)").fill(
        "The patient chose stereotactic radiotherapy after counselling.")
    page.get_by_role("button", name="Correct the follow-up").click()
    expect(page.locator("[data-follow-up-status]")).to_contain_text("Not carried out")
    page.locator("#outcome").scroll_into_view_if_needed()
    screenshot("referrer-outcome-letter-follow-up")
    check_accessibility()
    assert not problems, "\n".join(problems)
