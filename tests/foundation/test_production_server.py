"""Production serves with gunicorn's threaded worker (app/serving.py), not Werkzeug's development server."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from cryptography.fernet import Fernet

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def production_server(tmp_path):
    port = free_loopback_port()
    env = {**os.environ, "MERIDIAN_CONFIG": "production", "SECRET_KEY": "s" * 48, "WEB_THREADS": "4",
           "ATTACHMENT_KEYS": Fernet.generate_key().decode(),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'meridian.sqlite'}", "MERIDIAN_INSTANCE_PATH": str(tmp_path),
           "HOST": "127.0.0.1", "PORT": str(port)}
    env.pop("REDIS_URL", None)
    log = open(tmp_path / "server.log", "w+")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:app.serving", "app.wsgi:application"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}", server, log
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def wait_until_answering(url, server):
    """Poll until the server answers (it is starting); fails only if it exits first."""
    while True:
        assert server.poll() is None, "the server exited while starting"
        try:
            return requests.get(url, timeout=5)
        except (requests.ConnectionError, requests.Timeout):  # listening, the worker still booting
            time.sleep(0.2)


def test_gunicorn_threaded_worker_serves_healthz_without_a_development_server(production_server):
    base, server, log = production_server
    response = wait_until_answering(f"{base}/healthz", server)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    log.seek(0)
    output = log.read()
    assert "gthread" in output  # gunicorn's threaded worker answered
    assert "development server" not in output.lower()
