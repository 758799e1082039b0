"""The live page's call in Chromium: with Jitsi Meet configured (pointed at a fake Jitsi origin on loopback that
serves an `external_api.js` of its own), the chair presses "Join the call" and the room is embedded: an iframe
from that origin, for the meeting's room, with a token Meridian signed for the chair (checked with PyJWT). The
chair is also told that radiology, which the board requires, has nobody present. Then the coordinator gives the
meeting a Zoom link, and the live page's join button leads there instead.

Its own server (the shared one has no Jitsi): the demo, seeded with Jitsi configured."""
from __future__ import annotations

import http.server
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import jwt
import pytest

from tests.web.browser.conftest import _free_port, api_session, demo_server, log_in, new_page, ok
from tests.web.browser.conftest import violations_on

try:
    from playwright.sync_api import expect
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright for Python is not installed (see requirements-dev.txt)", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "docs" / "screenshots"
SECRET = "browser-test-jitsi-secret-0123456789abcdef"
APP_ID = "meridian-browser"
HOST_ZONE = "Asia/Shanghai"
ZOOM = "https://zoom.us/j/93100456789"

# What Jitsi's IFrame API does, in short: an iframe from the Jitsi origin for the room, carrying the token.
FAKE_EXTERNAL_API = b"""
window.JitsiMeetExternalAPI = function (domain, options) {
  var frame = document.createElement("iframe");
  frame.src = "http://" + domain + "/" + options.roomName + "?jwt=" + encodeURIComponent(options.jwt);
  frame.allow = "camera; microphone; display-capture";
  frame.title = "Jitsi Meet";
  options.parentNode.appendChild(frame);
  this.addListener = function () {};
  this.dispose = function () { frame.remove(); };
};
"""
FAKE_ROOM = b"<!doctype html><html lang='en'><title>Jitsi Meet</title><body><p>Fake Jitsi room</p></body></html>"


class FakeJitsi(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the http.server name)
        script = self.path == "/external_api.js"
        body = FAKE_EXTERNAL_API if script else FAKE_ROOM
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript" if script else "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def jitsi_origin():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), FakeJitsi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def jitsi_server(chromium_path, jitsi_origin, tmp_path_factory):
    env = {"JITSI_URL": jitsi_origin, "JITSI_APP_SECRET": SECRET, "JITSI_APP_ID": APP_ID}
    with demo_server(tmp_path_factory.mktemp("browser-jitsi-db"), env) as url:
        yield url


def _meeting_about_to_start(base_url: str) -> int:
    """A board meeting starting in eleven minutes, with the demo coordinator as the board's coordinator."""
    url = base_url + "/api/v1"
    coordinator = api_session(base_url, "coordinator")
    me = ok(coordinator.get(f"{url}/me"))
    starts = (datetime.now(UTC) + timedelta(minutes=11)).replace(second=0, microsecond=0)
    local = starts.astimezone(ZoneInfo(HOST_ZONE))
    board = ok(coordinator.post(f"{url}/boards", json={
        "name": f"Video Call MDT {local:%H%M}", "timezone": HOST_ZONE, "weekday": local.weekday(),
        "start_time": local.strftime("%H:%M"), "duration_minutes": 60, "cases_per_meeting": 4,
        "minutes_per_case": 10, "agenda_cutoff_hours": 0, "quorum": [{"discipline": "radiology", "count": 1}],
        "members": [{"user_id": me["id"], "role": "coordinator"}]}))
    return ok(coordinator.get(f"{url}/boards/{board['id']}/meetings"))[0]["id"], coordinator, me


def test_the_live_page_embeds_the_jitsi_room_and_offers_the_meetings_link(browser, jitsi_server, jitsi_origin,
                                                                          axe_source):
    meeting_id, coordinator, me = _meeting_about_to_start(jitsi_server)
    page = new_page(browser, jitsi_server)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, me["email"])

        page.goto(f"/meetings/{meeting_id}")
        page.locator("[data-call]").get_by_role("link", name="Join the call").click()
        page.wait_for_url(f"**/meetings/{meeting_id}/live")
        # The chair is warned: the board requires radiology and nobody of it is here.
        expect(page.locator("[data-chair-warnings]")).to_contain_text("Nobody is present for Radiology.")

        call = page.locator("[data-call]")
        call.get_by_role("button", name="Join the call").click()
        frame = page.locator("[data-conference] iframe")
        expect(frame).to_have_count(1)
        source = urlsplit(frame.get_attribute("src"))
        room = page.locator("[data-conference]").get_attribute("data-room")
        assert f"{source.scheme}://{source.netloc}" == jitsi_origin and source.path == f"/{room}"
        claims = jwt.decode(parse_qs(source.query)["jwt"][0], SECRET, algorithms=["HS256"], audience=APP_ID)
        assert claims["room"] == room and claims["moderator"] is True
        assert claims["context"]["user"]["name"] == me["name"]
        assert claims["nbf"] <= time.time() < claims["exp"]
        expect(page.frame_locator("[data-conference] iframe").get_by_text("Fake Jitsi room")).to_be_visible()
        expect(call.get_by_role("button", name="Leave the call")).to_be_visible()
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / "meeting-live-call-jitsi.png"), full_page=True)
        assert violations_on(page, axe_source) == []
        call.get_by_role("button", name="Leave the call").click()
        expect(frame).to_have_count(0)

        # The meeting's own Zoom link wins over the Jitsi room.
        ok(coordinator.put(f"{jitsi_server}/api/v1/meetings/{meeting_id}/call-link", json={"conference_url": ZOOM}))
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        link = page.locator("[data-call]").get_by_role("link", name="Join the call on Zoom")
        expect(link).to_have_attribute("href", ZOOM)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(SCREENSHOTS / "meeting-live-call-link-390.png"), full_page=True)
    finally:
        page.context.close()
    assert not errors, f"JavaScript errors: {errors}"
