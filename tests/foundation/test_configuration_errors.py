"""A setting Meridian cannot start with is one line naming it and a non-zero exit, from every entry point:
`flask` commands (exit 1), run.py (exit 2) and gunicorn (exit 4, "App failed to load"). run.py starts its
in-process scheduler only once it is listening, and stops it with the server."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from cryptography.fernet import Fernet

import config
from config import ConfigurationError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRODUCTION = {"MERIDIAN_CONFIG": "production", "SECRET_KEY": "s" * 48,
              "ATTACHMENT_KEYS": Fernet.generate_key().decode()}
# Settings the tests below choose; whatever the surrounding environment has for them is left out.
CHOSEN = ("MERIDIAN_CONFIG", "SECRET_KEY", "ATTACHMENT_KEYS", "DATABASE_URL", "REDIS_URL", "WEB_THREADS",
          "MAX_UPLOAD_BYTES", "LIVE_HEARTBEAT_SECONDS", "SMTP_PORT", "JITSI_URL", "SIGN_IN_LIMIT_PER_ADDRESS")


def environment(tmp_path, **settings):
    env = {name: value for name, value in os.environ.items() if name not in CHOSEN}
    env.update({"MERIDIAN_INSTANCE_PATH": str(tmp_path / "instance"),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'meridian.sqlite'}", **settings})
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- reading the environment ------------------------------------------------------------------


@pytest.mark.parametrize("value, message", [
    ("abc", "WEB_THREADS must be a whole number, not 'abc'"),
    ("1.5", "WEB_THREADS must be a whole number, not '1.5'"),
    ("0", "WEB_THREADS must be a whole number at least 1, not '0'"),
])
def test_a_number_that_cannot_be_read_is_noted_and_its_default_stands_in(monkeypatch, value, message):
    monkeypatch.setattr(config, "_PROBLEMS", {})
    monkeypatch.setenv("WEB_THREADS", value)
    assert config.web_threads() == 32  # gunicorn reads it before the app loads: it never raises
    assert config._PROBLEMS == {"WEB_THREADS": message}
    with pytest.raises(ConfigurationError) as refused:
        config.TestingConfig.check()
    assert refused.value.setting == "WEB_THREADS" and str(refused.value) == message


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "0", "-1"])
def test_a_period_must_be_a_positive_number(monkeypatch, value):
    monkeypatch.setattr(config, "_PROBLEMS", {})
    monkeypatch.setenv("LIVE_HEARTBEAT_SECONDS", value)
    assert config._number("LIVE_HEARTBEAT_SECONDS", 15.0, kind=float, above=0) == 15.0
    assert config._PROBLEMS["LIVE_HEARTBEAT_SECONDS"].startswith("LIVE_HEARTBEAT_SECONDS must be a number")


def test_unset_or_empty_is_the_default_and_a_good_value_is_read(monkeypatch):
    monkeypatch.setattr(config, "_PROBLEMS", {})
    monkeypatch.delenv("SMTP_PORT", raising=False)
    assert config._number("SMTP_PORT", 587, minimum=1, maximum=65535) == 587
    monkeypatch.setenv("SMTP_PORT", " ")
    assert config._number("SMTP_PORT", 587, minimum=1, maximum=65535) == 587
    monkeypatch.setenv("SMTP_PORT", " 2525 ")
    assert config._number("SMTP_PORT", 587, minimum=1, maximum=65535) == 2525
    assert config._PROBLEMS == {}


@pytest.mark.parametrize("attributes, setting", [
    ({"SQLALCHEMY_DATABASE_URI": "garbage"}, "DATABASE_URL"),
    ({"SQLALCHEMY_DATABASE_URI": "foo://host/db"}, "DATABASE_URL"),
    ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
    ({"ATTACHMENT_KEYS": "notakey"}, "ATTACHMENT_KEYS"),
    ({"API_LIMIT_PER_TOKEN": "lots"}, "API_LIMIT_PER_TOKEN"),
])
def test_every_configuration_refuses_settings_it_could_not_use(monkeypatch, attributes, setting):
    monkeypatch.setattr(config, "_PROBLEMS", {})
    with pytest.raises(ConfigurationError) as refused:
        type("Configured", (config.TestingConfig,), attributes).check()
    assert refused.value.setting == setting and str(refused.value).startswith(setting + " ")
    assert isinstance(refused.value, RuntimeError)  # what callers caught before


def test_a_good_configuration_passes(monkeypatch):
    monkeypatch.setattr(config, "_PROBLEMS", {})
    type("Configured", (config.TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://meridian@127.0.0.1:5432/meridian",
        "REDIS_URL": "redis://127.0.0.1:6379/0", "ATTACHMENT_KEYS": Fernet.generate_key().decode()}).check()


def test_a_bad_jitsi_url_names_its_setting(tmp_path):
    from app import create_app

    with pytest.raises(ConfigurationError) as refused:
        create_app(type("Jitsi", (config.TestingConfig,), {
            "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/j.sqlite",
            "JITSI_URL": "ftp://meet.example.org"}))
    assert refused.value.setting == "JITSI_URL"


# --- each entry point: one line, non-zero ------------------------------------------------------


@pytest.mark.parametrize("settings, command, first_words", [
    ({"MERIDIAN_CONFIG": "bogus"}, ["demo-logins"], "MERIDIAN_CONFIG must be one of"),
    ({"MERIDIAN_CONFIG": "production"}, ["seed-demo"], "SECRET_KEY must be set"),
    ({"ATTACHMENT_KEYS": "notakey"}, ["attachments", "rotate-keys"], "ATTACHMENT_KEYS must be"),
    ({**PRODUCTION, "MAX_UPLOAD_BYTES": "abc"}, ["demo-logins"], "MAX_UPLOAD_BYTES must be a whole number"),
    ({**PRODUCTION, "WEB_THREADS": "abc"}, ["demo-logins"], "WEB_THREADS must be a whole number"),
    ({"DATABASE_URL": "garbage"}, ["demo-logins"], "DATABASE_URL is not a database URL"),
    ({"DATABASE_URL": "garbage"}, ["db", "upgrade"], "DATABASE_URL is not a database URL"),
    ({"LIVE_HEARTBEAT_SECONDS": "abc"}, ["--help"], "LIVE_HEARTBEAT_SECONDS must be a number"),
])
def test_a_flask_command_refuses_a_bad_setting_in_one_line(tmp_path, settings, command, first_words):
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app:create_app", *command], cwd=ROOT,
                            env=environment(tmp_path, **settings), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("Error: " + first_words), result.stderr


@pytest.mark.parametrize("settings, first_words", [
    ({"LIVE_HEARTBEAT_SECONDS": "abc"}, "run.py: LIVE_HEARTBEAT_SECONDS must be a number, not 'abc'"),
    ({**PRODUCTION, "WEB_THREADS": "abc"}, "run.py: WEB_THREADS must be a whole number, not 'abc'"),
    ({"DATABASE_URL": "garbage"}, "run.py: DATABASE_URL is not a database URL"),
])
def test_run_py_refuses_a_bad_setting_in_one_line(tmp_path, settings, first_words):
    result = subprocess.run([sys.executable, "run.py", "--port", str(free_port())], cwd=ROOT,
                            env=environment(tmp_path, **settings), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(first_words), result.stderr


def test_gunicorn_refuses_a_bad_setting_in_one_line_and_stops(tmp_path):
    """The worker prints the line and exits with gunicorn's "App failed to load" status, so the master
    stops instead of booting the same failing worker again and again."""
    env = environment(tmp_path, **PRODUCTION, WEB_THREADS="abc", HOST="127.0.0.1", PORT=str(free_port()))
    result = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "python:app.serving", "app.wsgi:application"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    ours = [line for line in result.stderr.splitlines() if not line.startswith("[")]  # gunicorn's log lines
    assert ours == ["meridian: WEB_THREADS must be a whole number, not 'abc'"]


# --- run.py: nothing starts before it listens ---------------------------------------------------


def test_run_py_on_a_taken_port_is_one_line_and_starts_no_scheduler(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "run.py", "--port", str(port)], cwd=ROOT,
                                env=environment(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"run.py: cannot listen on 127.0.0.1:{port}: Address already in use "
        "(another program uses it: stop that program or choose another --port)"]
    assert result.stdout == ""
    assert not (tmp_path / "instance" / "scheduler.lock").exists()  # the scheduler never started


def test_run_py_on_a_host_that_does_not_resolve_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, "run.py", "--host", "no-such-host.invalid", "--port", "5000"],
                            cwd=ROOT, env=environment(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("run.py: cannot listen on no-such-host.invalid:5000: ")
    assert not (tmp_path / "instance" / "scheduler.lock").exists()


def test_run_py_serves_then_stops_its_scheduler_cleanly_on_ctrl_c(tmp_path):
    from tests.conftest import migrate_to_head

    env = environment(tmp_path, PYTHONFAULTHANDLER="1")
    migrate_to_head(env["DATABASE_URL"], str(tmp_path / "migrate"))
    port = free_port()
    log = open(tmp_path / "run.log", "w+")
    # Ctrl-C reaches run.py as from a terminal, even where this run started in the background (which
    # leaves SIGINT ignored, and Python then never turns it into KeyboardInterrupt).
    server = subprocess.Popen([sys.executable, "run.py", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "run.py exited while starting"
            assert time.monotonic() < deadline, "run.py did not answer"
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        server.send_signal(signal.SIGINT)
        try:
            code = server.wait(timeout=60)
        except subprocess.TimeoutExpired:   # where every thread stands, written to the log by faulthandler
            server.send_signal(signal.SIGABRT)
            server.wait(timeout=10)
            code = "still running 60 s after Ctrl-C"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    log.seek(0)
    output = log.read()
    log.close()
    assert code == 0, f"run.py: {code}; its output:\n{output}"
    assert "Meridian is serving on http://127.0.0.1:" in output
    assert "Traceback" not in output and "cannot schedule new futures" not in output
    assert "apscheduler.scheduler: Scheduler started" in output
