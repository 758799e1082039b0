"""A real server on loopback and Debian's Chromium driven by Playwright.

Without Chromium or Playwright the tests skip with the reason, except when CI is set: then they fail.
"""
from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MERIDIAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "browser-demo-password"
DOMAIN = "demo.meridian.health"
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "docs" / "screenshots"
TABLET = {"width": 1024, "height": 768}
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"   # axe-core from npm, pinned in package-lock.json
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# A meeting a test sets up minutes from now falls inside or outside a specialist's working hours by the
# time of day the suite runs at; booking with the (audited) override makes the test hold at any hour.
ANY_TIME_OF_DAY = {"override_working_hours": True,
                   "override_reason": "A test meeting starting in minutes, at whatever hour the suite runs."}
# A referral's pro-forma for tests that make their own cases over the API (add a reference and a board).
CASE_PROFORMA = {
    "year_of_birth": 1957, "sex": "male", "country_of_residence": "CN", "icd10_code": "C34.1",
    "performance_status": 1, "clinical_summary": "Solitary 2.4 cm RUL nodule, PET-avid, no nodes.",
    "question": "Surgery or SBRT?", "urgency": "routine", "disciplines": ["radiology"], "language": "zh",
    "cross_border_consent": True,
}
# How long something a person waits for may take to appear on a busy 2-core machine. Every wait ends as
# soon as what it waits for is there; this only bounds a wait for something that never comes.
PATIENCE_MS = 60_000


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path():
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} is missing: install it with 'apt-get install -y chromium'")
    try:
        import playwright  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed (see requirements-dev.txt)")
    if not (ROOT / "app" / "static" / "vendor" / "htmx.min.js").exists():
        _unavailable("app/static/vendor/htmx.min.js is missing: run 'npm ci && scripts/build_static.sh'")
    return CHROMIUM


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        message = f"{AXE.relative_to(ROOT)} is missing: run 'npm ci'"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return AXE.read_text()


def violations_on(page, axe_source) -> list[str]:
    """The page's violations of WCAG 2.1 A and AA as axe-core finds them: rule, meaning, where."""
    page.wait_for_load_state("networkidle")
    # Evaluated by the driver, not added as an inline <script>: the pages' CSP forbids inline scripts.
    page.evaluate(axe_source + "\n;undefined")
    found = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
                                 .then(result => result.violations.map(v => ({
                                     id: v.id, help: v.help,
                                     where: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)})))""",
                          WCAG_TAGS)
    return [f"{page.url} {v['id']} ({v['help']}): " + " | ".join(v["where"]) for v in found]


def api_session(base_url: str, local_part: str):
    """A requests session signed in over the API as a demo person (for setting up what a test needs)."""
    import requests

    session = requests.Session()
    answer = session.post(f"{base_url}/api/v1/auth/token", timeout=10,
                          json={"email": f"{local_part}@{DOMAIN}", "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    session.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return session


def ok(response, *codes):
    """The JSON of a response with one of `codes` (default 200 or 201)."""
    assert response.status_code in (codes or (200, 201)), (response.status_code, response.text)
    return response.json()


def fill_referral(page, *, reference: str, diagnosis: str, question: str, urgency: str, discipline: str,
                  board: str, sex: str = "female", born: int = 1961, icd10: str = "C34.1",
                  summary: str = "Mass on CT; PET-avid.", language: str = "en") -> None:
    """Fill the referral pro-forma (/cases/new) the way a referrer does, by its labels."""
    page.get_by_label(re.compile("^Patient reference")).fill(reference)
    page.get_by_label("Year of birth").fill(str(born))
    page.get_by_label("Sex").select_option(sex)
    page.get_by_label(re.compile("^Country of residence")).fill("CN")
    page.get_by_label("ICD-10 code").fill(icd10)
    page.get_by_label("Diagnosis").fill(diagnosis)
    page.get_by_label(re.compile("^WHO performance status")).fill("1")
    page.get_by_label("Clinical summary").fill(summary)
    page.get_by_label("Question for the MDT").fill(question)
    page.get_by_label("Urgency").select_option(urgency)
    page.get_by_label(discipline, exact=True).check()
    page.get_by_label(re.compile("^Language")).fill(language)
    page.get_by_label("Board").select_option(label=board)
    page.get_by_label(re.compile("^Consent")).select_option("yes")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _copy_lines(stream, path: Path) -> None:
    with open(path, "a", encoding="utf-8") as log:
        for line in stream:
            log.write(line)
            log.flush()


@contextlib.contextmanager
def demo_server(folder: Path, env: dict | None = None):
    """Run the demo app (server.py) in a subprocess on a free loopback port, its database in `folder`;
    yields its base URL, and stops it afterwards."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("server.py")), str(folder / "meridian.sqlite"), str(port),
         PASSWORD], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 60
    try:
        for line in process.stdout:
            if line.strip() == "ready":
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 60 s")
        else:
            raise RuntimeError(f"the server exited with {process.wait()}")
        # Keep reading what the server prints (into server.log beside its database): a pipe nobody
        # reads fills up and blocks the server on its next log line.
        threading.Thread(target=_copy_lines, args=(process.stdout, folder / "server.log"), daemon=True).start()
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def live_server(chromium_path, tmp_path_factory):
    """The demo app for the browser tests; yields its base URL."""
    with demo_server(tmp_path_factory.mktemp("browser-db")) as url:
        yield url


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser, base_url: str, **context_options):
    """A page in a context of its own (its own cookies), patient as a person is (PATIENCE_MS)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=PATIENCE_MS)
    context = browser.new_context(**{"viewport": TABLET, "base_url": base_url, "locale": "en-GB", **context_options})
    page = context.new_page()
    page.set_default_timeout(PATIENCE_MS)
    return page


@pytest.fixture
def page(browser, live_server):
    page = new_page(browser, live_server)
    context = page.context
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def log_in(page, email: str, password: str = PASSWORD):
    """Sign `page` in through the login form as `email` (a demo address is `<local part>@DOMAIN`)."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    return page


@pytest.fixture
def sign_in(page):
    def sign_in_as(local_part: str):
        return log_in(page, f"{local_part}@{DOMAIN}")

    return sign_in_as


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, full_page: bool = True):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    return take
