"""Meridian's API over HTTP under 16 and 64 concurrent clients, beside a bare Flask endpoint served the
same way, for Werkzeug's development server (`run.py`) and the production server (gunicorn's threaded
worker, `app/serving.py`).

    .venv/bin/python bench/http.py                     # 1,000 cases, 16 and 64 clients
    .venv/bin/python bench/http.py --cases 10000 --requests 40

    .venv/bin/python bench/http.py --servers gunicorn --instances 2   # production: one per core
    .venv/bin/python bench/http.py --servers gunicorn --instances 2 --clients 16 --rounds 5

It seeds a throw-away PostgreSQL database (bench/scale.py's network), starts each server on free
loopback ports (gunicorn: `--instances` of them, as production runs one per core, client i talking
to instance i mod N as a sticky balancer would pin it; the bare app the same way), and has N client
threads (one keep-alive session each) send requests one after the other. Prints median and p95 ms,
requests per second and the ratio of p95 to the bare endpoint's, and (on Linux) where each request's
CPU time went: the server's processes, PostgreSQL's (every PostgreSQL process on the machine, so run
it on a quiet one) and the clients'. On a machine with fewer cores than clients, requests wait for
each other's CPU, so the ratio of latencies follows the ratio of these sums. One run's p95 moves by
a third from the next; `--rounds N` measures the bare endpoint and Meridian's in turn N times and
prints the median of the rounds' ratios.
Not a test: `make test` never runs it.
"""
from __future__ import annotations

import os
import sys

# This folder holds `http.py`, which must not shadow the standard library's `http` for anything
# imported here: run as a script, the folder is dropped from the path and the repository put first.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(_HERE)] + [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time

import requests
from cryptography.fernet import Fernet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from bench.scale import PASSWORD, BenchConfig, throwaway_network  # noqa: E402

# Meridian's endpoints measured, after the bare one; `{case}` is a case in the middle of the network.
ENDPOINTS = (("/api/v1/me", "/api/v1/me"), ("/api/v1/cases", "/api/v1/cases"),
             ("/api/v1/cases/<id>", "/api/v1/cases/{case}"))

BARE_APP = '''
from flask import Flask, jsonify
app = Flask("bare")

@app.get("/hello")
def hello():
    return jsonify(hello="world")

if __name__ == "__main__":
    import sys
    from werkzeug.serving import run_simple
    run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True)
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command, env, port, probe_path):
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               start_new_session=True)
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited with {process.returncode}")
        try:
            requests.get(f"http://127.0.0.1:{port}{probe_path}", timeout=2)
            return process
        except (requests.ConnectionError, requests.Timeout):  # listening, the worker still booting
            time.sleep(0.2)


def stop(process):
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def cpu_seconds(server_groups) -> dict[str, float] | None:
    """CPU seconds used so far by the servers (processes in `server_groups`, process-group ids), by
    PostgreSQL and by this process (the clients); None where /proc is not there to read."""
    if not os.path.isdir("/proc/self/task"):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    used = {"server": 0.0, "postgres": 0.0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                stat = handle.read()
        except OSError:  # ended while listed
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        kind = "server" if int(fields[2]) in server_groups else "postgres" if name == "postgres" else None
        if kind is not None:
            used[kind] += (int(fields[11]) + int(fields[12])) / tick
    mine = os.times()
    used["clients"] = mine.user + mine.system
    return used


def load(urls, headers, clients: int, per_client: int, server_groups=()):
    """`clients` threads, each sending `per_client` requests in a row to its own one of `urls` (client
    i to urls[i mod N]): latencies (ms), requests/s, errors, and CPU ms per request by where it was
    spent (`cpu_seconds`; None without /proc)."""
    latencies, errors, lock = [], [0], threading.Lock()
    ready, go = threading.Barrier(clients + 1), threading.Barrier(clients + 1)

    def client(url):
        session = requests.Session()
        session.headers.update(headers)
        session.get(url)  # open the connection
        ready.wait()
        go.wait()
        mine = []
        for _ in range(per_client):
            started = time.perf_counter()
            response = session.get(url)
            mine.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(urls[i % len(urls)],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()  # every connection open: count from here
    cpu_before = cpu_seconds(set(server_groups))
    go.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu_after = cpu_seconds(set(server_groups))
    cpu = None if cpu_before is None else {
        kind: (cpu_after[kind] - cpu_before[kind]) * 1000 / len(latencies) for kind in cpu_before}
    latencies.sort()
    return (statistics.median(latencies), latencies[int(0.95 * (len(latencies) - 1))],
            len(latencies) / elapsed, errors[0], cpu)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--clients", default="16,64")
    parser.add_argument("--requests", type=int, default=25, help="requests per client (default 25)")
    parser.add_argument("--threads", type=int, default=32, help="gunicorn threads (WEB_THREADS)")
    parser.add_argument("--servers", default="werkzeug,gunicorn", help="which servers (default both)")
    parser.add_argument("--instances", type=int, default=1,
                        help="gunicorn instances, each one worker (production runs one per core; default 1)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure the bare endpoint and each of Meridian's this many times in turn, and "
                             "print the median of each round's p95 ratio (default 1)")
    args = parser.parse_args(argv)

    bare_path = os.path.join(tempfile.mkdtemp(prefix="meridian-bench-"), "bare_app.py")  # off bench/'s path
    try:
        with throwaway_network(args.cases) as (_app, url, seeded):
            compare(args, url, seeded, bare_path)
    finally:
        if os.path.exists(bare_path):
            os.remove(bare_path)
    return 0


def compare(args, url: str, seeded: dict, bare_path: str) -> None:
    """Start each server on the seeded network and the bare app beside it, and print their rows."""
    with open(bare_path, "w") as handle:
        handle.write(BARE_APP)
    env = {**os.environ, "MERIDIAN_CONFIG": "production", "SECRET_KEY": BenchConfig.SECRET_KEY,
           "ATTACHMENT_KEYS": Fernet.generate_key().decode(),
           "DATABASE_URL": url, "WEB_THREADS": str(args.threads), "HOST": "127.0.0.1", "PYTHONPATH": ROOT,
           # One token sends every request here: production's per-token limit would answer 429s.
           "API_LIMIT_PER_TOKEN": "1000000 per minute"}
    env.pop("REDIS_URL", None)
    py = sys.executable
    servers = {
        "werkzeug": (lambda port: [py, "run.py", "--port", str(port)],
                     lambda port: [py, bare_path, str(port)]),
        "gunicorn": (lambda port: [py, "-m", "gunicorn", "-c", "python:app.serving", "--bind",
                                   f"127.0.0.1:{port}", "app.wsgi:application"],
                     lambda port: [py, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads",
                                   str(args.threads), "--bind", f"127.0.0.1:{port}", "--chdir",
                                   os.path.dirname(bare_path), "bare_app:app"]),
    }
    case_id, ratios = seeded["cases"] // 2, {}
    print(f"Meridian over HTTP: {seeded['cases']:,} cases on PostgreSQL, {args.requests} requests per client, "
          f"gunicorn: {args.instances} instance(s) of {args.threads} threads\n")
    print("| server | clients | endpoint | median ms | p95 ms | req/s | p95 / bare | errors "
          "| CPU ms per request: server + PostgreSQL + clients |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---|")
    for server, (meridian_command, bare_command) in servers.items():
        if server not in args.servers.split(","):
            continue
        count = args.instances if server == "gunicorn" else 1
        started = []
        try:
            ports = [free_port() for _ in range(count)]
            for port in ports:
                started.append(start(meridian_command(port), {**env, "PORT": str(port)}, port, "/healthz"))
            bare_ports = [free_port() for _ in range(count)]
            for bare_port in bare_ports:
                started.append(start(bare_command(bare_port), env, bare_port, "/hello"))
            # Each server was started in its own session: its processes share its process group.
            meridian_groups, bare_groups = [p.pid for p in started[:count]], [p.pid for p in started[count:]]
            token = requests.post(f"http://127.0.0.1:{ports[0]}/api/v1/auth/token", json={
                "email": "coordinator@bench.example", "password": PASSWORD}).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            for clients in [int(c) for c in args.clients.split(",")]:
                for _round in range(args.rounds):
                    bare_result = load([f"http://127.0.0.1:{p}/hello" for p in bare_ports], {}, clients,
                                       args.requests, bare_groups)
                    rows = [("bare Flask /hello", bare_result)]
                    for label, path in ENDPOINTS:
                        path = path.format(case=case_id)
                        rows.append((label, load([f"http://127.0.0.1:{p}{path}" for p in ports], auth, clients,
                                                 args.requests, meridian_groups)))
                    for label, (median, p95, rate, errors, cpu) in rows:
                        spent = "—" if cpu is None else (
                            f"{cpu['server']:.2f} + {cpu['postgres']:.2f} + {cpu['clients']:.2f} = "
                            f"{sum(cpu.values()):.2f}")
                        print(f"| {server} | {clients} | {label} | {median:.1f} | {p95:.1f} | {rate:.0f} | "
                              f"{p95 / bare_result[1]:.1f}× | {errors} | {spent} |", flush=True)
                        ratios.setdefault((server, clients, label), []).append(p95 / bare_result[1])
        finally:
            for process in started:
                stop(process)
    if args.rounds > 1:
        print(f"\nThe p95 ratio to the bare endpoint in each of {args.rounds} rounds (each round measures the bare "
              "endpoint, then each of Meridian's), and their median:\n")
        print("| server | clients | endpoint | p95 ÷ bare, by round | median |")
        print("|---|---:|---|---|---:|")
        for (server, clients, label), each in ratios.items():
            if label != "bare Flask /hello":
                print(f"| {server} | {clients} | {label} | {', '.join(f'{r:.1f}×' for r in each)} | "
                      f"{statistics.median(each):.1f}× |")


if __name__ == "__main__":
    sys.exit(main())
