"""Meridian's API in machine instructions per request: a count that does not move with the machine's load.

Timings on a shared machine drift by half from one minute to the next; the number of instructions the
server's Python process runs for a request does not. This runs the production app in process (Flask's
test client) against bench/scale.py's network in a throw-away PostgreSQL database, under Valgrind's
callgrind with counting switched on only around each endpoint's requests, and prints millions of
instructions per request beside `/healthz` and a bare Flask endpoint (bench/http.py's yardstick) counted
in the same run. PostgreSQL's own work (another
process) is not counted: `bench/http.py` reports its CPU time.

    .venv/bin/python bench/instructions.py                 # 1,000 cases, 20 requests an endpoint
    .venv/bin/python bench/instructions.py --requests 50

Needs `valgrind` (Debian's package). It takes about a minute. Not a test: `make test` never runs it.
"""
from __future__ import annotations

import os
import sys

# This folder holds `http.py`, which must not shadow the standard library's `http` for anything
# imported here: run as a script, the folder is dropped from the path and the repository put first.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_HERE)] + [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse
import glob
import shutil
import subprocess
import tempfile
import time

ROOT = os.path.dirname(_HERE)
# The endpoints counted, after the in-app baseline; `{case}` is a case in the middle of the network.
BARE_PATH = "/hello"  # served by a bare Flask app, as bench/http.py's yardstick
ENDPOINTS = (("bare Flask /hello", BARE_PATH), ("/healthz", "/healthz"), ("/api/v1/me", "/api/v1/me"), ("/api/v1/cases", "/api/v1/cases"),
             ("/api/v1/cases?limit=1", "/api/v1/cases?limit=1"), ("/api/v1/cases/<id>", "/api/v1/cases/{case}"))


def _bare_flask_app():
    """bench/http.py's yardstick: a Flask app with one JSON route and nothing else."""
    from flask import Flask, jsonify

    app = Flask("bare")
    app.get(BARE_PATH)(lambda: jsonify(hello="world"))
    return app


def _callgrind(*args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True)


def measure(cases: int, requests: int) -> None:
    """The child, run under callgrind: seed, then count each endpoint's requests into a dump of its own."""
    # Production's per-token limit would refuse a bench's requests; read when config is imported.
    os.environ["API_LIMIT_PER_TOKEN"] = "1000000 per minute"
    from cryptography.fernet import Fernet

    from bench.scale import PASSWORD, BenchConfig, throwaway_network

    with throwaway_network(cases) as (_setup, url, seeded):
        os.environ.update({"MERIDIAN_CONFIG": "production", "SECRET_KEY": BenchConfig.SECRET_KEY,
                           "ATTACHMENT_KEYS": Fernet.generate_key().decode(), "DATABASE_URL": url})
        os.environ.pop("REDIS_URL", None)
        import config
        from app import create_app
        from app.extensions import db

        config.ProductionConfig.SQLALCHEMY_DATABASE_URI = url
        app = create_app(config.ProductionConfig)
        client = app.test_client()
        https = {"base_url": "https://localhost"}
        token = client.post("/api/v1/auth/token", json={"email": "coordinator@bench.example",
                                                        "password": PASSWORD}, **https).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        bare = _bare_flask_app().test_client()
        for number, (_label, path) in enumerate(ENDPOINTS):
            path = path.format(case=seeded["cases"] // 2)
            served_by = bare if path == BARE_PATH else client
            for _ in range(20):  # warm: the statement caches, the prepared statements, the pool
                answer = served_by.get(path, headers=headers, **https)
                if answer.status_code != 200:
                    raise SystemExit(f"{path} answered {answer.status_code}")
            _callgrind("--zero")
            _callgrind("--instr=on")
            for _ in range(requests):
                served_by.get(path, headers=headers, **https)
            _callgrind("--instr=off")
            _callgrind(f"--dump=endpoint-{number}")  # a plain name: callgrind_control mangles others
        with app.app_context():
            db.engine.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20, help="requests counted per endpoint (default 20)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        measure(args.cases, args.requests)
        return 0
    if shutil.which("valgrind") is None:
        print("bench/instructions.py needs valgrind (apt install valgrind)", file=sys.stderr)
        return 2
    folder = tempfile.mkdtemp(prefix="meridian-instructions-")
    try:
        started = time.perf_counter()
        log = open(f"{folder}/valgrind.log", "w")
        subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                        f"--callgrind-out-file={folder}/callgrind.out", sys.executable, os.path.abspath(__file__),
                        "--child", "--cases", str(args.cases), "--requests", str(args.requests)],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=log)
        counts = {}
        for path in glob.glob(f"{folder}/callgrind.out.*"):
            with open(path) as dump:
                lines = dump.read().splitlines()
            label = next(line.split("dump ", 1)[1] for line in lines if line.startswith("desc: Trigger: "))
            counts[label] = int(next(line.split()[1] for line in lines if line.startswith("totals:"))) / args.requests
        print(f"Meridian's API in process, production config, PostgreSQL, {args.cases:,} cases: millions of "
              f"instructions per request ({args.requests} requests each, {time.perf_counter() - started:.0f} s)\n")
        print("| endpoint | M instructions per request | ÷ /healthz | ÷ bare Flask |")
        print("|---|---:|---:|---:|")
        counts = {label: counts[f"endpoint-{number}"] for number, (label, _path) in enumerate(ENDPOINTS)}
        for label, _path in ENDPOINTS:
            print(f"| {label} | {counts[label] / 1e6:.2f} | {counts[label] / counts['/healthz']:.1f}× "
                  f"| {counts[label] / counts['bare Flask /hello']:.1f}× |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
