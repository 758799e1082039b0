"""No page answers 5xx for anything a person could type into the address bar.

Every page route (walked from the URL map, so new pages are covered without listing them) is opened by
a signed-in coordinator (a specialist for the pages only specialists open) with ids that exist, ids beyond any id, and every query parameter a page reads
set to hostile values: numbers beyond any integer column, the first and last days of the calendar,
negative and non-numeric values, a NUL character. A 4xx or a page with a message is fine; a 5xx is not.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict

from app.cases.models import Case
from app.meetings.models import Meeting
from tests.web.conftest import DEMO_PASSWORD

HOSTILE_VALUES = ["99999999999999999999999", "2147483648", "-1", "0", "0001-01-01", "9999-12-31",
                  "0001-W01", "abc", "\x00", "2026-02-30", "9999-12-31T23:59:59+14:00", ""]

FURTHEST_REACHING = ["99999999999999999999999", "0001-01-01", "9999-12-31"]

APP_FOLDER = Path(__file__).resolve().parents[2] / "app"


def query_parameters_pages_read() -> set[str]:
    """Every name the pages read from the query string (`request.args.get("x")`, `request.args["x"]`,
    `_int_arg("x")`), and the paging and filter names of the lists."""
    names = set()
    for source in (APP_FOLDER / "web").rglob("*.py"):
        names |= set(re.findall(r"""(?:request\.args(?:\.get(?:list)?\(|\[)|_int_arg\()\s*["']([a-z_]+)["']""",
                                source.read_text()))
    return names | {"limit", "cursor", "state", "from", "until", "id", "case", "meeting"}


def page_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static", "/fhir", "/socket.io", "/healthz", "/readyz")):
            continue
        if rule.endpoint in {"web.logout"}:
            continue
        yield rule


def with_ids(rule, value_of) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value_of(name)), path)
    return path


def urls_to_try(path: str, names: list[str], read: set[str]) -> list[str]:
    """The page bare; every parameter at once set to each hostile value; and each parameter the page read
    alone set to the values that reach the furthest (one bad parameter must not hide another's 500)."""
    urls = [path]
    urls += [f"{path}?" + "&".join(f"{name}={quote(value)}" for name in names) for value in HOSTILE_VALUES]
    urls += [f"{path}?{name}={quote(value)}" for name in names if name in read for value in FURTHEST_REACHING]
    return urls


@contextmanager
def query_names_read():
    """The names a request's handling looked up in its query string (`request.args`), as they are read."""
    read: set[str] = set()
    originals = {method: getattr(ImmutableMultiDict, method) for method in ("get", "getlist", "__getitem__",
                                                                            "__contains__")}

    def recording(method):
        def lookup(self, key, *args, **kwargs):
            read.add(key)
            return originals[method](self, key, *args, **kwargs)
        return lookup

    for method in originals:
        setattr(ImmutableMultiDict, method, recording(method))
    try:
        yield read
    finally:
        for method, original in originals.items():
            setattr(ImmutableMultiDict, method, original)


def test_no_page_answers_5xx_to_a_hostile_query_string(app, demo, session):
    """Walked as a coordinator; the pages a coordinator may not open are walked again as a specialist."""
    case_id = session.scalar(select(Case.id).where(Case.patient_reference == "FCG-2026-0287"))
    meeting_id = session.scalar(select(Meeting.id).order_by(Meeting.id).limit(1))
    real_ids = {"case_id": case_id, "meeting_id": meeting_id}
    names = sorted(query_parameters_pages_read())
    assert {"week", "before", "after", "board"} <= set(names)

    failures, visited, refused, read_anywhere = [], 0, [], set()
    for who, rules in (("coordinator", list(page_rules(app))), ("radiologist.kolkata", refused)):
        client = app.test_client()
        client.post("/login", data={"email": demo[who].email, "password": DEMO_PASSWORD})
        for rule in list(rules):
            page = with_ids(rule, lambda name: real_ids.get(name, 1))
            if who == "coordinator" and client.get(page).status_code == 403:
                refused.append(rule)
                continue
            with query_names_read() as read:
                client.get(f"{page}?" + "&".join(f"{name}=1" for name in names))
            read_anywhere |= read
            urls = urls_to_try(page, names, read)
            if rule.arguments:  # ids beyond any id, and numbers beyond any integer
                urls += [with_ids(rule, lambda name: 2**31 - 1), with_ids(rule, lambda name: 2**31),
                         with_ids(rule, lambda name: "99999999999999999999999")]
            for url in urls:
                response = client.get(url)
                visited += 1
                if response.status_code >= 500:
                    failures.append((who, url, response.status_code))
    assert refused and visited > 500 and {"week", "before", "board"} <= read_anywhere
    assert failures == []
