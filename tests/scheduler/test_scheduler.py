"""The scheduler: explicit job ids on plain intervals, coalescing, and only one scheduler at a time."""
from apscheduler.triggers.interval import IntervalTrigger

from app.extensions import db
from app.scheduler.jobs import JOBS
from app.scheduler.lock import SchedulerLock
from app.scheduler.runner import build_scheduler


def test_jobs_have_ids_and_interval_triggers(app):
    scheduler = build_scheduler(app, blocking=False)
    scheduler.start(paused=True)
    try:
        jobs = scheduler.get_jobs()
        assert {job.id for job in jobs} == {spec.id for spec in JOBS}
        for job in jobs:
            assert isinstance(job.trigger, IntervalTrigger)
            assert job.coalesce is True and job.max_instances == 1
    finally:
        scheduler.shutdown(wait=False)


def test_only_one_scheduler_holds_the_lock(app):
    first = SchedulerLock(db.engine, app.instance_path)
    second = SchedulerLock(db.engine, app.instance_path)
    assert first.acquire() is True
    try:
        assert second.acquire() is False
    finally:
        first.release()
    assert second.acquire() is True
    second.release()


def test_scheduler_command_refuses_when_another_runs(app):
    lock = SchedulerLock(db.engine, app.instance_path)
    assert lock.acquire()
    try:
        result = app.test_cli_runner().invoke(args=["scheduler"])
        assert result.exit_code == 1 and "already running" in result.output
    finally:
        lock.release()


def test_run_job_rejects_unknown_job_with_one_line(app):
    result = app.test_cli_runner().invoke(args=["run-job", "no-such-job"])
    assert result.exit_code == 1
    assert "no job 'no-such-job'" in result.output and "Traceback" not in result.output


def test_every_job_target_exists():
    for spec in JOBS:
        assert callable(spec.load()), spec.id


def test_each_job_run_is_logged_at_info_with_what_it_did_and_how_long(app, caplog):
    import logging

    from app.scheduler.jobs import job_by_id
    from app.scheduler.runner import run_job

    from datetime import datetime

    import time_machine

    from app.timekeeping import UTC

    with time_machine.travel(datetime(2026, 11, 26, 1, 43, tzinfo=UTC), tick=False), \
            caplog.at_level(logging.INFO, logger="app.scheduler.runner"):
        run_job(app, job_by_id("send-emails"))
    (line,) = [r.getMessage() for r in caplog.records if r.name == "app.scheduler.runner"]
    assert line.startswith("job send-emails done in ") and " s: 0 (" in line


def test_run_job_from_the_command_line_shows_the_run_at_info(tmp_path):
    """What an operator sees in the terminal (no logging configured beforehand)."""
    import os
    import subprocess
    import sys

    from tests.conftest import migrate_to_head

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    migrate_to_head(url, str(tmp_path / "migrate"))
    env = {**os.environ, "MERIDIAN_CONFIG": "testing", "DATABASE_URL": url,
           "MERIDIAN_INSTANCE_PATH": str(tmp_path / "instance"), "PYTHONPATH": root}
    env.pop("SMTP_HOST", None)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app:create_app", "run-job", "send-emails"],
                            env=env, cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "INFO app.scheduler.runner: job send-emails done in " in result.stderr
    assert "send-emails: 0" in result.stdout
