"""A specialist prepares for a meeting in Chromium: from an invitation on her schedule she opens the
preparation pack, reads the case with the demo's CT series, opens the series in the DICOM viewer
(dwv, served by Meridian under its CSP), moves through the images and marks the case reviewed.
She works outside the case's residency region, so the images her browser receives are the
de-identified copies (their tags read back with pydicom).
The pack and the viewer pass axe-core, and no CSP violation is reported."""
from __future__ import annotations

import io
import os
import re

import pydicom
import pytest

from tests.web.browser.conftest import api_session, ok
from tests.web.browser.conftest import AXE, violations_on
from tests.web.browser.test_csp_browser import RECORD_VIOLATIONS

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

SPECIALISTS = ("radiologist.kolkata", "pathologist.kathmandu", "oncologist.moscow", "surgeon.dubai",
               "oncologist.karachi", "radiologist.almaty", "pathologist.fcg")


def invited_to_the_ct_series(base_url: str):
    """(specialist, meeting id, case id): someone outside the residency region of the case carrying the CT
    series (which has cross-border consent), invited to the meeting that discusses it."""
    for person in SPECIALISTS:
        api = api_session(base_url, person)
        for invitation in ok(api.get(f"{base_url}/api/v1/me/invitations")):
            if invitation["status"] == "declined":
                continue
            pack = ok(api.get(f"{base_url}/api/v1/meetings/{invitation['meeting_id']}/preparation-pack"))
            for row in pack:
                if (row["access"] == "full" and row["series"] and row["series"][0]["deidentified"]
                        and row["reviewed_at"] is None):
                    return person, invitation["meeting_id"], row["case_id"]
    pytest.fail("the demo has nobody invited to the case with the CT series")


def test_a_specialist_prepares_a_case_with_its_ct_series(live_server, sign_in, page, screenshot):
    person, meeting_id, case_id = invited_to_the_ct_series(live_server)
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(person)

    page.goto("/schedule")
    page.locator(f"a[data-preparation-link][href='/meetings/{meeting_id}/preparation']").first.click()
    page.wait_for_url(f"**/meetings/{meeting_id}/preparation")
    case = page.locator(f"[data-pack-case='{case_id}']")
    expect(case.get_by_role("heading", name=re.compile(f"Case #{case_id}"))).to_be_visible()
    expect(case.locator("[data-dicom='modality']")).to_have_text("CT")
    expect(case.locator("[data-dicom='images']")).to_have_text("5")
    problems = violations_on(page, AXE.read_text()) if AXE.exists() else []
    screenshot("preparation-pack")

    case.get_by_role("link", name="Open the series in the DICOM viewer").click()
    viewer = page.locator("[data-dicom-viewer]")
    expect(viewer).to_have_attribute("data-loaded", "yes")
    expect(page.locator("[data-dicom-status]")).to_have_text("5 images loaded.")
    canvas = page.locator("#dicom-layer-group canvas").first
    expect(canvas).to_be_visible()
    # The image is drawn: the canvas holds more than one shade (the phantom on black).
    shades = page.evaluate("""() => {
        const c = document.querySelector('#dicom-layer-group canvas');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set(); for (let i = 0; i < data.length; i += 4 * 97) seen.add(data[i]);
        return seen.size; }""")
    assert shades > 1
    page.get_by_label(re.compile("^Image")).fill("3")
    expect(page.locator("[data-dicom-position]")).to_have_text("4")
    problems += violations_on(page, AXE.read_text()) if AXE.exists() else []
    screenshot("dicom-viewer")
    # She works outside the case's residency region: what her browser was served is the de-identified copy.
    expect(page.locator("[data-deidentified-note]")).to_be_visible()
    first_image = viewer.get_attribute("data-url-pattern").replace("{id}", viewer.get_attribute("data-urls").split()[0])
    served = pydicom.dcmread(io.BytesIO(page.request.get(first_image).body()))
    assert served.PatientIdentityRemoved == "YES" and str(served.PatientName) == "ANONYMOUS"
    assert "InstitutionName" not in served and not any(element.tag.is_private for element in served)

    for width in (390, 1280):  # no horizontal overflow on a phone or a laptop
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width

    page.get_by_role("link", name="Back to the preparation pack").click()
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
    page.get_by_role("button", name=f"Mark case #{case_id} reviewed").click()
    expect(page.get_by_text(f"Case #{case_id} is marked reviewed.")).to_be_visible()
    expect(page.locator(f"[data-pack-case='{case_id}'] [data-reviewed]")).to_be_visible()

    assert page.evaluate("window.__cspViolations") == []
    assert not problems, "\n".join(problems)
