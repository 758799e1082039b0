"""Meridian at the size of a real network, on PostgreSQL: median / p95 ms and queries per request.

For each size it creates a throw-away database, migrates it, seeds a network in bulk (COPY for the
big tables), measures the main endpoints in process (Flask's test client, one request at a time)
beside a trivial in-app endpoint (`/healthz`) measured in the same run, and drops the database.

    .venv/bin/python bench/scale.py                      # 1k, 10k and 100k cases
    .venv/bin/python bench/scale.py --sizes 1000         # a quick run
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/scale.py

A size of N cases seeds N/10 specialists (at most 10,000), N/50 meetings, 10 N audit events and
10 N live events (the issue's network is N = 100,000). Not a test: `make test` never runs it.
"""
from __future__ import annotations

import os
import sys

# This folder holds `http.py`, which must not shadow the standard library's `http` for anything
# imported here: run as a script, the folder is dropped from the path and the repository put first.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_HERE)] + [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse
import json
import random
import statistics
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time


from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from config import Config, _database_url  # noqa: E402

SERVER_URL = _database_url(os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
PASSWORD = "bench-password"
ZONES = ["Asia/Shanghai", "Asia/Kolkata", "Asia/Karachi", "Asia/Tashkent", "Asia/Almaty", "Asia/Bishkek",
         "Asia/Dushanbe", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Dubai", "Asia/Riyadh", "Asia/Qatar",
         "Asia/Bahrain", "Asia/Kuwait", "Asia/Muscat", "Asia/Tehran", "Asia/Yekaterinburg", "Asia/Novosibirsk",
         "Asia/Vladivostok", "Europe/Moscow", "Europe/Minsk", "Africa/Nairobi", "Africa/Lagos", "Africa/Cairo",
         "Africa/Johannesburg", "Africa/Addis_Ababa", "Africa/Dar_es_Salaam", "Africa/Kampala", "Africa/Accra",
         "Africa/Casablanca", "Africa/Algiers", "Africa/Khartoum", "Africa/Kinshasa", "Africa/Luanda",
         "Asia/Colombo", "Asia/Yangon", "Asia/Bangkok", "Asia/Jakarta", "Asia/Ulaanbaatar", "Europe/Istanbul"]
COUNTRIES = ["CN", "IN", "PK", "UZ", "KZ", "KG", "TJ", "NP", "BD", "AE", "SA", "QA", "BH", "KW", "OM", "IR",
             "RU", "RU", "RU", "RU", "BY", "KE", "NG", "EG", "ZA", "ET", "TZ", "UG", "GH", "MA", "DZ", "SD",
             "CD", "AO", "LK", "MM", "TH", "ID", "MN", "TR"]
REGIONS = {"CN": "cn", "RU": "ru", "KE": "africa", "NG": "africa", "ZA": "africa"}
DISCIPLINES = ["radiology", "pathology", "medical-oncology", "clinical-oncology", "thoracic-surgery", "haematology"]
BOARDS = 40
HOT_ROOM, HOT_ROOM_EVENTS, REPLAYED = "meeting:1", 50_000, 1_000


class BenchConfig(Config):
    SECRET_KEY = "bench-" + "x" * 40
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_KIB = 64
    REDIS_URL = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False}


# --- seeding --------------------------------------------------------------------------------------


def copy_rows(raw, table: str, columns: list[str], rows) -> int:
    """COPY rows into `table` (psycopg 3); values are Python objects, None for NULL."""
    count = 0
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def seed(engine, cases: int) -> dict:
    from app.accounts import passwords

    rng = random.Random(13)
    specialists = max(60, min(10_000, cases // 10))
    meetings = max(20, cases // 50)
    events = cases * 10
    passwords.configure(1, 64)
    password_hash = passwords.hash_password(PASSWORD)
    raw = engine.raw_connection()
    dbapi = raw.driver_connection
    started = time.perf_counter()
    # Sites: one per zone.
    copy_rows(dbapi, "organizations", ["id", "name", "country", "timezone", "residency_region", "created_at"],
              ((i + 1, f"Site {i + 1} ({ZONES[i]})", COUNTRIES[i], ZONES[i], REGIONS.get(COUNTRIES[i], "other"), NOW)
               for i in range(len(ZONES))))
    sites = len(ZONES)
    users = []  # id, email, name, org, roles, languages
    next_id = 1
    coordinator_id = next_id
    users.append((next_id, "coordinator@bench.example", "Bench Coordinator", 1, ["coordinator"], ["en", "zh"]))
    next_id += 1
    referrer_ids = []
    for site in range(1, sites + 1):
        for _ in range(5):
            users.append((next_id, f"referrer{next_id}@bench.example", f"Referrer {next_id}", site,
                          ["referrer"], ["en"]))
            referrer_ids.append((next_id, site))
            next_id += 1
    first_specialist = next_id
    for n in range(specialists):
        users.append((next_id, f"specialist{next_id}@bench.example", f"Specialist {n}", 1 + n % sites,
                      ["specialist"], rng.sample(["en", "ru", "zh", "ar", "fr", "hi"], 2)))
        next_id += 1
    copy_rows(dbapi, "users", ["id", "email", "name", "password_hash", "organization_id", "display_timezone", "languages",
                               "is_active", "created_at", "failed_login_count"],
              ((uid, email, name, password_hash, org, ZONES[(org - 1) % sites], json.dumps(langs), True, NOW, 0)
               for uid, email, name, org, _, langs in users))
    copy_rows(dbapi, "user_roles", ["user_id", "role"],
              ((uid, role) for uid, _, _, _, roles, _ in users for role in roles))
    # Specialist profiles: weekly hours in their site's zone, 1-2 disciplines, a licence, some on leave.
    hours = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    copy_rows(dbapi, "specialist_profiles",
              ["id", "user_id", "home_timezone", "weekly_hours", "buffer_before_minutes", "buffer_after_minutes",
               "min_notice_hours", "max_meetings_per_day", "max_meetings_per_week", "takes_urgent", "updated_at"],
              ((n + 1, first_specialist + n, ZONES[n % sites], json.dumps(hours), 0, 0, 24, 3, 10, n % 5 != 0, NOW)
               for n in range(specialists)))
    copy_rows(dbapi, "specialist_disciplines", ["profile_id", "discipline_code"],
              ((n + 1, code) for n in range(specialists)
               for code in {DISCIPLINES[n % len(DISCIPLINES)], DISCIPLINES[(n * 7) % len(DISCIPLINES)]}))
    copy_rows(dbapi, "licences", ["id", "profile_id", "jurisdiction", "registration_number", "expires_on",
                                  "verified_by_id", "verified_at", "created_at"],
              ((n + 1, n + 1, COUNTRIES[n % sites], f"REG-{n}", date(2028, 1, 1) if n % 17 else date(2025, 1, 1),
                coordinator_id, NOW, NOW) for n in range(specialists)))
    copy_rows(dbapi, "specialist_leave", ["id", "profile_id", "starts_at", "ends_at", "created_at"],
              ((i + 1, n + 1, NOW + timedelta(days=3), NOW + timedelta(days=10), NOW)
               for i, n in enumerate(range(0, specialists, 11))))
    # Boards, each coordinated by the bench coordinator, with a quorum and members.
    copy_rows(dbapi, "boards", ["id", "name", "host_organization_id", "timezone", "weekday", "start_time",
                                "duration_minutes", "interval_weeks", "anchor_date", "cases_per_meeting",
                                "minutes_per_case", "agenda_cutoff_hours", "is_active", "created_at"],
              ((b + 1, f"Board {b + 1}", 1 + b % sites, ZONES[b % sites], b % 5, wall_time(9, 0), 120, 1,
                date(2026, 1, 5), 12, 10, 24, True, NOW) for b in range(BOARDS)))
    copy_rows(dbapi, "board_members", ["id", "board_id", "user_id", "role"],
              ((b + 1, b + 1, coordinator_id, "coordinator") for b in range(BOARDS)))
    copy_rows(dbapi, "board_quorum", ["board_id", "discipline_code", "count"],
              ((b + 1, code, 1) for b in range(BOARDS) for code in DISCIPLINES[:3]))
    # Cases: spread over sites, boards and states.
    states = ["submitted", "triaged", "scheduled", "discussed", "outcome_signed", "closed", "draft"]
    case_rows = []
    for c in range(cases):
        referrer, site = referrer_ids[c % len(referrer_ids)]
        submitted = NOW - timedelta(minutes=c * 7)
        case_rows.append((c + 1, site, referrer, 1 + c % BOARDS, REGIONS.get(COUNTRIES[site - 1], "other"),
                          states[c % len(states)], f"P-{c:07d}", 1950 + c % 60, "female" if c % 2 else "male",
                          COUNTRIES[site - 1], "C34.1", "Adenocarcinoma", 1, "Summary", "Question?",
                          "urgent" if c % 9 == 0 else "routine", "en", True, submitted,
                          submitted + timedelta(days=14), submitted, submitted))
    copy_rows(dbapi, "cases", ["id", "organization_id", "referrer_id", "board_id", "residency_region", "state",
                               "patient_reference", "year_of_birth", "sex", "country_of_residence", "icd10_code",
                               "diagnosis", "performance_status", "clinical_summary", "question", "urgency",
                               "language", "cross_border_consent", "submitted_at", "target_at", "created_at",
                               "updated_at"], case_rows)
    # Their histories, for the reports: submitted, then (for the states past it) discussed after a wait
    # that depends on the site (1 to 40 days), and the outcome signed two days later.
    past_discussion = {"discussed", "outcome_signed", "closed"}
    discussed_at = {c + 1: row[18] + timedelta(days=1 + (row[1] * 37) % 40, hours=c % 24)
                    for c, row in enumerate(case_rows) if row[5] in past_discussion}
    transitions = [(c + 1, "draft", "submitted", row[18]) for c, row in enumerate(case_rows) if row[5] != "draft"]
    transitions += [(case_id, "scheduled", "discussed", at) for case_id, at in discussed_at.items()]
    copy_rows(dbapi, "case_transitions", ["case_id", "from_state", "to_state", "at"], transitions)
    copy_rows(dbapi, "outcomes", ["id", "case_id", "version", "recommendation", "category", "actions",
                                  "drafted_by_id", "created_at", "signed_at"],
              ((n + 1, case_id, 1, "Plan", "surgery", "[]", coordinator_id, at, at + timedelta(days=2))
               for n, (case_id, at) in enumerate(item for item in discussed_at.items()
                                                 if case_rows[item[0] - 1][5] != "discussed")))
    copy_rows(dbapi, "case_disciplines", ["case_id", "discipline_code"],
              ((c + 1, code) for c in range(cases) for code in DISCIPLINES[:2]))
    # Meetings, weekly per board, with seats and agendas.
    copy_rows(dbapi, "meetings", ["id", "board_id", "occurrence_date", "title", "kind", "starts_at", "ends_at",
                                  "host_timezone", "status", "sequence", "created_at", "updated_at"],
              ((m + 1, 1 + m % BOARDS, (NOW + timedelta(days=7 * (m // BOARDS) - 140)).date(), f"Meeting {m + 1}",
                "board", NOW + timedelta(days=7 * (m // BOARDS) - 140, hours=m % 8),
                NOW + timedelta(days=7 * (m // BOARDS) - 140, hours=m % 8 + 2), ZONES[m % sites],
                "scheduled", 0, NOW, NOW) for m in range(meetings)))
    invitation_rows, agenda_rows = [], []
    for m in range(meetings):
        starts = NOW + timedelta(days=7 * (m // BOARDS) - 140, hours=m % 8)
        for seat in range(3):
            user_id = first_specialist + (m * 3 + seat) % specialists
            invitation_rows.append((len(invitation_rows) + 1, m + 1, user_id, DISCIPLINES[seat], "seat",
                                    "accepted", starts, starts + timedelta(hours=2), NOW))
        for position in range(5):
            agenda_rows.append((len(agenda_rows) + 1, m + 1, 1 + (m * 5 + position) % cases, position, "listed", NOW))
    copy_rows(dbapi, "invitations", ["id", "meeting_id", "user_id", "discipline_code", "role", "status",
                                     "busy_from", "busy_until", "invited_at"], invitation_rows)
    copy_rows(dbapi, "agenda_items", ["id", "meeting_id", "case_id", "position", "status", "added_at"],
              agenda_rows)
    # Audit and live events: the long tails.
    actions = ["case.viewed", "case.transitioned", "auth.signed_in", "case.commented"]
    copy_rows(dbapi, "audit_events", ["id", "occurred_at", "actor_id", "action", "target_type", "target_id",
                                      "detail"],
              ((e + 1, NOW - timedelta(seconds=events - e), 1 + e % len(users), actions[e % 4], "case",
                str(1 + (e * 7919) % cases), "{}") for e in range(events)))
    copy_rows(dbapi, "live_events", ["seq", "room", "type", "data", "at"],
              ((e + 1, f"meeting:{1 + e % meetings}", "agenda.changed", "{}", NOW - timedelta(seconds=events - e))
               for e in range(events)))
    # One busy room on top: a long board's live history, for replaying its tail.
    copy_rows(dbapi, "live_events", ["seq", "room", "type", "data", "at"],
              ((events + e + 1, HOT_ROOM, "comment.added", json.dumps({"comment_id": e + 1}), NOW)
               for e in range(HOT_ROOM_EVENTS)))
    copy_rows(dbapi, "live_rooms", ["room", "seq", "summary_seq"],
              [(HOT_ROOM, events + HOT_ROOM_EVENTS, 0)])
    with dbapi.cursor() as cursor:
        for table, column in (("organizations", "id"), ("users", "id"), ("specialist_profiles", "id"),
                              ("licences", "id"), ("specialist_leave", "id"), ("boards", "id"),
                              ("board_members", "id"), ("cases", "id"), ("meetings", "id"), ("invitations", "id"),
                              ("agenda_items", "id"), ("audit_events", "id"), ("live_events", "seq"),
                              ("case_transitions", "id"), ("outcomes", "id")):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                           f"(SELECT max({column}) FROM {table}))")
        cursor.execute("ANALYZE")
    dbapi.commit()
    raw.close()
    return {"cases": cases, "specialists": specialists, "meetings": meetings, "audit_events": events,
            "live_events": events, "seconds": time.perf_counter() - started, "coordinator": coordinator_id,
            "referrer": referrer_ids[0][0]}


# --- measuring ------------------------------------------------------------------------------------


def replay_tail(app):
    """What a subscriber catching up on the busy room's last REPLAYED events costs the server: the pages
    of the backlog (REPLAY_PAGE_MAX at a time, LIMIT in SQL, each from the last one's `next`), the check
    that the client is not too far behind, and each event's payload, as the subscribe handler reads them."""
    from sqlalchemy import select

    from app.extensions import db
    from app.live import publish as live_publish
    from app.live.events import REPLAY_PAGE_MAX, RESET_AFTER
    from app.live.models import LiveEvent

    class Answer:
        status_code = 200

        def close(self):
            pass

    def call():
        with app.app_context():
            latest = live_publish.latest_seq(db.session, HOT_ROOM)
            since = db.session.scalar(select(LiveEvent.seq).where(LiveEvent.room == HOT_ROOM)
                                      .order_by(LiveEvent.seq.desc()).offset(REPLAYED).limit(1))
            replayed = 0
            while since is not None:
                events = live_publish.backlog(db.session, HOT_ROOM, since, latest, limit=REPLAY_PAGE_MAX + 1)
                if len(events) > REPLAY_PAGE_MAX:
                    assert not live_publish.more_than(db.session, HOT_ROOM, since, latest, RESET_AFTER)
                    events = events[:REPLAY_PAGE_MAX]
                    since = events[-1].seq
                else:
                    since = None
                [live_publish.payload_of(event) for event in events]
                replayed += len(events)
            assert replayed == REPLAYED, replayed
            db.session.remove()
        return Answer()

    return call


def measure(app, seeded: dict, repeats: int, only: str = "") -> list[tuple[str, float, float, float]]:
    from app.extensions import db

    coordinator = app.test_client()
    coordinator.post("/login", data={"email": "coordinator@bench.example", "password": PASSWORD})
    api = app.test_client()
    token = api.post("/api/v1/auth/token", json={"email": "coordinator@bench.example",
                                                  "password": PASSWORD}).get_json()["token"]
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    case_id = seeded["cases"] // 2
    window = NOW + timedelta(days=14)
    report_to = NOW.date().isoformat()
    report_from = (NOW.date() - timedelta(days=89)).isoformat()
    search_body = {"requirements": [{"discipline": d} for d in DISCIPLINES[:3]], "duration_minutes": 60,
                   "window_start": window.isoformat(), "window_end": (window + timedelta(days=28)).isoformat()}
    endpoints = [
        ("trivial: GET /healthz", lambda: api.get("/healthz")),
        ("GET /api/v1/me", lambda: api.get("/api/v1/me")),
        ("GET /api/v1/cases (first page)", lambda: api.get("/api/v1/cases")),
        ("GET /api/v1/cases?state=submitted", lambda: api.get("/api/v1/cases?state=submitted")),
        ("GET /api/v1/cases/<id>", lambda: api.get(f"/api/v1/cases/{case_id}")),
        ("GET /coordinator (dashboard)", lambda: coordinator.get("/coordinator")),
        ("GET /cases/<id>/audit", lambda: coordinator.get(f"/cases/{case_id}/audit")),
        ("POST /api/v1/scheduling/search (3 disciplines, 28 days)",
         lambda: api.post("/api/v1/scheduling/search", json=search_body)),
        ("GET /reports (network, 90 days)", lambda: coordinator.get(f"/reports?from={report_from}&to={report_to}")),
        ("GET /reports?country=KE (90 days)",
         lambda: coordinator.get(f"/reports?from={report_from}&to={report_to}&country=KE")),
        ("GET /api/v1/reports/quality (90 days)", lambda: api.get("/api/v1/reports/quality")),
        (f"live replay: the last {REPLAYED:,} of a {HOT_ROOM_EVENTS:,}-event room", replay_tail(app)),
    ]
    endpoints = [(name, call) for name, call in endpoints if only.lower() in name.lower() or "trivial" in name]
    counter = {"n": 0}

    def count(*_):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    results = []
    try:
        for name, call in endpoints:
            response = call()  # warm
            if response.status_code >= 400:
                results.append((name, float("nan"), float("nan"), response.status_code))
                continue
            times, queries = [], []
            runs = repeats if "search" not in name else max(3, repeats // 10)
            for _ in range(runs):
                counter["n"] = 0
                started = time.perf_counter()
                call().close()
                times.append((time.perf_counter() - started) * 1000)
                queries.append(counter["n"])
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            results.append((name, statistics.median(times), p95, statistics.median(queries)))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return results


@contextmanager
def throwaway_network(cases: int):
    """A throw-away PostgreSQL database, migrated and seeded with a network of `cases` cases: yields
    (an app on it with BenchConfig, its URL, what `seed` made), and drops the database afterwards."""
    import flask_migrate

    from app import create_app
    from app.extensions import db

    name = f"meridian_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    try:
        app = create_app(type("BenchRun", (BenchConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
        with app.app_context():
            flask_migrate.upgrade()
            seeded = seed(db.engine, cases)
            db.engine.dispose()
        yield app, url, seeded
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_size(cases: int, repeats: int, only: str = "") -> None:
    from app.extensions import db

    with throwaway_network(cases) as (app, _url, seeded):
        with app.app_context():
            print(f"\n## {cases:,} cases, {seeded['specialists']:,} specialists, {seeded['meetings']:,} meetings, "
                  f"{seeded['audit_events']:,} audit and {seeded['live_events']:,} live events "
                  f"(seeded in {seeded['seconds']:.1f} s)\n", flush=True)
            print("| endpoint | median ms | p95 ms | queries |")
            print("|---|---:|---:|---:|")
            for endpoint, median, p95, queries in measure(app, seeded, repeats, only):
                print(f"| {endpoint} | {median:.1f} | {p95:.1f} | {queries} |", flush=True)
            db.session.remove()
            db.engine.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="numbers of cases, comma-separated (default 1000,10000,100000)")
    parser.add_argument("--size", type=int, help="one size only (a quick run: --size 1000)")
    parser.add_argument("--repeats", type=int, default=30, help="requests per endpoint (default 30)")
    parser.add_argument("--only", default="", help="measure only endpoints whose name contains this (e.g. search)")
    args = parser.parse_args(argv)
    sizes = [args.size] if args.size else [int(s) for s in args.sizes.split(",")]
    print(f"Meridian scale benchmark on {make_url(SERVER_URL).render_as_string(hide_password=True)}, "
          f"{args.repeats} requests per endpoint, one at a time, in process")
    for cases in sizes:
        run_size(cases, args.repeats, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
