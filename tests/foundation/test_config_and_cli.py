"""The factory, the configuration classes, and the command-line entry points."""
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

import config
from app import create_app
from app.extensions import socketio
from tests.conftest import TEST_REDIS_URL

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_importing_the_package_does_not_load_flask():
    code = "import app, sys; assert 'flask' not in sys.modules, 'flask imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


ATTACHMENT_KEY = Fernet.generate_key().decode()


def test_development_defaults_to_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    cfg = type("Dev", (config.DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": None,
                                                     "INSTANCE_PATH": str(tmp_path)})
    application = create_app(cfg)
    assert application.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/meridian.sqlite"
    assert socketio.async_mode == "threading"


def test_postgres_urls_use_psycopg3():
    assert config._database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert config._database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert config._database_url("sqlite:///x") == "sqlite:///x"


def test_production_refuses_to_start_without_a_real_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config.ProductionConfig)
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config.ProductionConfig)


def test_production_starts_with_a_real_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("ATTACHMENT_KEYS", ATTACHMENT_KEY)
    cfg = type("Prod", (config.ProductionConfig,), {"INSTANCE_PATH": str(tmp_path),
                                                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite"})
    application = create_app(cfg)
    assert application.config["SECRET_KEY"] == "x" * 48
    assert application.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("keys", [None, "", "not-a-fernet-key"])
def test_production_refuses_to_start_without_attachment_keys(monkeypatch, tmp_path, keys):
    """Attachments are encrypted at rest: production never starts without a key to do it with."""
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    if keys is None:
        monkeypatch.delenv("ATTACHMENT_KEYS", raising=False)
    else:
        monkeypatch.setenv("ATTACHMENT_KEYS", keys)
    with pytest.raises(RuntimeError, match="ATTACHMENT_KEYS must be set in production"):
        create_app(type("Prod", (config.ProductionConfig,), {"INSTANCE_PATH": str(tmp_path)}))


def test_production_without_attachment_keys_fails_with_one_line(tmp_path):
    env = {**os.environ, "MERIDIAN_CONFIG": "production", "MERIDIAN_INSTANCE_PATH": str(tmp_path),
           "SECRET_KEY": "x" * 48}
    env.pop("ATTACHMENT_KEYS", None)
    result = subprocess.run([sys.executable, "run.py"], cwd=ROOT, capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("run.py: ATTACHMENT_KEYS must be set in production")


def test_unknown_config_name_is_refused(monkeypatch):
    monkeypatch.setenv("MERIDIAN_CONFIG", "staging")
    with pytest.raises(RuntimeError, match="MERIDIAN_CONFIG"):
        config.config_from_environment()


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set")
def test_redis_url_makes_socketio_use_the_message_queue(tmp_path):
    cfg = type("Scaled", (config.TestingConfig,), {
        "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/s.sqlite",
        "REDIS_URL": TEST_REDIS_URL, "SOCKETIO_CHANNEL": f"meridian-test-{os.getpid()}"})
    create_app(cfg)
    import socketio as python_socketio

    assert isinstance(socketio.server.manager, python_socketio.RedisManager)
    # ... and an app without Redis after it goes back to the in-process manager.
    create_app(type("Single", (config.TestingConfig,), {
        "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.sqlite"}))
    assert not isinstance(socketio.server.manager, python_socketio.RedisManager)


def test_run_py_refuses_a_bad_port_with_one_line():
    result = subprocess.run([sys.executable, "run.py", "--port", "eighty"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_secret_fails_with_one_line(tmp_path):
    env = {**os.environ, "MERIDIAN_CONFIG": "production", "MERIDIAN_INSTANCE_PATH": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    result = subprocess.run([sys.executable, "run.py"], cwd=ROOT, capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 2 and "SECRET_KEY" in result.stderr and "Traceback" not in result.stderr
