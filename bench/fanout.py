"""Fan-out benchmark: N Socket.IO clients in one meeting room, one change, time until all have it.

Run from the repository root:

    .venv/bin/python bench/fanout.py                       # 100, 500 and 1,000 clients
    .venv/bin/python bench/fanout.py --sizes 100 --changes 5
    .venv/bin/python bench/fanout.py --sizes 100 --server gunicorn   # Meridian under the production server

For each size, two servers are measured in the same run, each in its own process (threading mode,
Werkzeug, websocket transport, the same as `run.py`):

* meridian - the app: clients authenticate with an API token and `subscribe` to `meeting:<id>`;
             the change is `POST /api/v1/meetings/<id>/live/current-case` (HTTP request, access
             checks, the transaction, the LiveEvent row, the after-commit emit to the room);
* bare     - a bare python-socketio server: clients are put in a room on connect; the change is an
             HTTP request whose handler emits the same payload to the room.

Clients are `socketio.Client`s spread over two client processes. For each change the clock starts
just before the HTTP request is sent and stops when a client's handler runs (one machine, one clock);
reach = events received / (clients x changes), which must be 100 %. Figures: median, p95, max.
"""
from __future__ import annotations

import os
import sys

# bench/http.py would shadow the standard library's `http` for everything imported here: run as a
# script, this folder is dropped from the path and the repository put first (as bench/http.py does).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_HERE)] + [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLIENT_PROCESSES = 2
PAYLOAD = {"meeting_id": 1, "case_id": 1, "position": 0}


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- servers (run as subprocesses) -------------------------------------------------------------------


def serve_meridian(port: int) -> None:
    import logging

    logging.disable(logging.CRITICAL)
    import app.live.api  # noqa: F401
    from app import create_app
    from app.extensions import socketio

    application = create_app()
    socketio.run(application, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True, log_output=False)


def serve_bare(port: int) -> None:
    import logging

    import socketio
    from werkzeug.serving import make_server

    logging.disable(logging.CRITICAL)
    sio = socketio.Server(async_mode="threading")
    seq = [0]

    @sio.on("connect")
    def connect(sid, environ, auth=None):
        sio.enter_room(sid, "meeting:1")

    def fire(environ, start_response):
        if environ.get("PATH_INFO") != "/fire":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        seq[0] += 1
        sio.emit("event", {"seq": seq[0], "room": "meeting:1", "type": "meeting.current_case",
                           "data": PAYLOAD, "at": "2026-01-01T00:00:00Z"}, to="meeting:1")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    app = socketio.WSGIApp(sio, fire)
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


# --- clients (run as subprocesses) -------------------------------------------------------------------


def run_clients(url: str, count: int, token: str, room: str, expected: int, timeout: float) -> None:
    """Connect `count` clients, print READY, wait for `expected` events each, print receive times."""
    import socketio

    raise_fd_limit()
    times: list[list[float]] = [[] for _ in range(count)]
    done = threading.Semaphore(0)
    clients = []
    for index in range(count):
        client = socketio.Client(reconnection=False)

        def on_event(payload, index=index):
            if payload.get("type") != "meeting.current_case":
                return  # e.g. presence.joined when the bench user's first connection subscribed
            times[index].append(time.time())
            if len(times[index]) == expected:
                done.release()

        client.on("event", on_event)
        client.connect(url, auth={"token": token} if token else None, transports=["websocket"], wait_timeout=30)
        if room:
            answer = client.call("subscribe", {"room": room}, timeout=30)
            assert answer.get("ok"), answer
        clients.append(client)
    print("READY", flush=True)
    sys.stdin.readline()   # the driver says when the last change has been made
    deadline = time.monotonic() + timeout
    for _ in range(count):
        if not done.acquire(timeout=max(0.0, deadline - time.monotonic())):
            break
    print(json.dumps(times), flush=True)
    for client in clients:
        ws = getattr(client.eio, "ws", None)
        if ws is not None:
            original = ws.close
            ws.close = lambda *a, original=original, **k: original(timeout=0.05)
        client.disconnect()


# --- the driver -----------------------------------------------------------------------------------------


def setup_meridian_database(directory: str) -> tuple[str, str, int, list[int]]:
    """A migrated SQLite database with a chair, a running meeting and two cases on its agenda."""
    from datetime import date, timedelta

    import flask_migrate

    from app import create_app
    from app.accounts.operations import create_organization, create_user, issue_token
    from app.boards.models import Board, BoardMember
    from app.cases.models import Case
    from app.extensions import db
    from app.meetings.models import AgendaItem, Meeting
    from app.timekeeping import now_utc
    from config import TestingConfig

    url = f"sqlite:///{directory}/bench.sqlite"
    config = type("BenchConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": directory})
    application = create_app(config)
    with application.app_context():
        flask_migrate.upgrade()
        session = db.session
        org = create_organization(session, name="Bench Hospital", country="CN", timezone="Asia/Shanghai",
                                  residency_region="cn")
        chair = create_user(session, email="chair@bench.example", name="Chair", password="bench-password",
                            organization=org, roles=("coordinator",))
        board = Board(name="Bench MDT", host_organization_id=org.id, timezone="Asia/Shanghai", weekday=0,
                      start_time=now_utc().time().replace(microsecond=0), duration_minutes=120, interval_weeks=1,
                      anchor_date=date.today(), cases_per_meeting=5, minutes_per_case=10, agenda_cutoff_hours=0)
        board.members = [BoardMember(user_id=chair.id, role="coordinator")]
        session.add(board)
        session.flush()
        start = now_utc() - timedelta(minutes=5)
        meeting = Meeting(title="Bench", kind="board", board_id=board.id, occurrence_date=start.date(),
                          starts_at=start, ends_at=start + timedelta(hours=3), host_timezone="Asia/Shanghai",
                          status="in_progress", started_at=start, sequence=0, chair_id=chair.id)
        session.add(meeting)
        session.flush()
        case_ids = []
        for n in range(2):
            case = Case(organization_id=org.id, referrer_id=chair.id, board_id=board.id, residency_region="cn",
                        state="scheduled", urgency="routine", patient_reference=f"BENCH-{n}")
            session.add(case)
            session.flush()
            session.add(AgendaItem(meeting_id=meeting.id, case_id=case.id, position=n, status="listed"))
            case_ids.append(case.id)
        token = issue_token(session, chair, at=now_utc(), lifetime=timedelta(days=1))
        secret = token[0]
        session.commit()
        meeting_id = meeting.id
        db.session.remove()
        db.engine.dispose()
    return url, secret, meeting_id, case_ids


def wait_http(url: str, timeout: float = 30) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def measure(kind: str, size: int, changes: int, env: dict, setup, server_kind: str = "werkzeug") -> dict:
    import requests

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, __file__, "--serve", kind, str(port)]
    if kind == "meridian" and server_kind == "gunicorn":
        # The production server (app/serving.py): each open WebSocket holds one of its threads.
        command = [sys.executable, "-m", "gunicorn", "-c", "python:app.serving", "app.wsgi:application"]
        env = dict(env, HOST="127.0.0.1", PORT=str(port), WEB_THREADS=str(size + 16), LOG_LEVEL="warning")
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runners = []
    try:
        wait_http(url + ("/healthz" if kind == "meridian" else "/"))
        token = setup["token"] if kind == "meridian" else ""
        room = f"meeting:{setup['meeting_id']}" if kind == "meridian" else ""
        shares = [size // CLIENT_PROCESSES + (1 if i < size % CLIENT_PROCESSES else 0) for i in range(CLIENT_PROCESSES)]
        for share in shares:
            runners.append(subprocess.Popen(
                [sys.executable, __file__, "--clients", url, str(share), token, room, str(changes + 1)],
                env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
        for runner in runners:
            line = runner.stdout.readline()
            if line.strip() != "READY":
                raise RuntimeError(f"client process failed: {line!r}")
        session = requests.Session()
        starts = []
        for change in range(changes + 1):   # the first is a warm-up
            time.sleep(0.3)
            starts.append(time.time())
            if kind == "meridian":
                case_id = setup["case_ids"][change % 2]
                response = session.post(f"{url}/api/v1/meetings/{setup['meeting_id']}/live/current-case",
                                        json={"case_id": case_id},
                                        headers={"Authorization": f"Bearer {setup['token']}"}, timeout=60)
            else:
                response = session.get(url + "/fire", timeout=60)
            response.raise_for_status()
        for runner in runners:
            runner.stdin.write("go\n")
            runner.stdin.flush()
        received = []
        for runner in runners:
            received.extend(json.loads(runner.stdout.readline()))
            runner.wait(timeout=120)
    finally:
        for runner in runners:
            if runner.poll() is None:
                runner.kill()
        server.terminate()
        server.wait(timeout=10)
    latencies, got = [], 0
    for times in received:
        got += len(times[1:]) if times else 0
        for change, at in enumerate(times[1:], start=1):
            latencies.append((at - starts[change]) * 1000)
    latencies.sort()
    return {"server": kind, "clients": size, "changes": changes,
            "median_ms": statistics.median(latencies) if latencies else None,
            "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
            "max_ms": latencies[-1] if latencies else None,
            "reach": got / (size * changes)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,500,1000")
    parser.add_argument("--changes", type=int, default=3, help="measured changes per size (after one warm-up)")
    parser.add_argument("--server", choices=("werkzeug", "gunicorn"), default="werkzeug",
                        help="what serves Meridian (the bare server is always python-socketio on Werkzeug)")
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--clients", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    raise_fd_limit()
    if args.serve:
        (serve_meridian if args.serve[0] == "meridian" else serve_bare)(int(args.serve[1]))
        return 0
    if args.clients:
        url, count, token, room, expected = args.clients
        run_clients(url, int(count), token, room, int(expected), timeout=120)
        return 0

    directory = tempfile.mkdtemp(prefix="meridian-fanout-")
    database_url, token, meeting_id, case_ids = setup_meridian_database(directory)
    setup = {"token": token, "meeting_id": meeting_id, "case_ids": case_ids}
    env = dict(os.environ, MERIDIAN_CONFIG="testing", DATABASE_URL=database_url, PYTHONPATH=str(ROOT),
               MERIDIAN_INSTANCE_PATH=directory)
    env.pop("REDIS_URL", None)
    print(f"{'server':<9} {'clients':>7} {'changes':>7} {'median ms':>10} {'p95 ms':>9} {'max ms':>9} {'reach':>7}")
    for size in [int(s) for s in args.sizes.split(",")]:
        for kind in ("bare", "meridian"):
            row = measure(kind, size, args.changes, env, setup, args.server)
            if kind == "meridian":
                row["server"] = f"meridian ({args.server})"
            print(f"{row['server']:<9} {row['clients']:>7} {row['changes']:>7} {row['median_ms']:>10.1f} "
                  f"{row['p95_ms']:>9.1f} {row['max_ms']:>9.1f} {row['reach']:>7.1%}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
