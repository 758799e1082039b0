"""A job that fails: `flask run-job` says so in one line and exits 1; the scheduler logs an expected
failure (a domain rule, a broken audit trail) as one ERROR line and an unexpected one with its
traceback; the in-process scheduler stops cleanly."""
import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.errors import Conflict
from app.scheduler import runner
from app.scheduler.jobs import JobSpec, job_by_id
from tests.audit_tampering import tamper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RAN = []


def refusing_job(session, at):
    raise Conflict("the %(thing)s is not ready", {"thing": "board"})


def crashing_job(session, at):
    raise ValueError("an unexpected value\nwith a second line")


def harmless_job(session, at):
    RAN.append(at)
    return "nothing to do"


def spec_of(function) -> JobSpec:
    return JobSpec(function.__name__, f"{__name__}:{function.__name__}", timedelta(hours=1), "a test job")


@pytest.fixture
def as_job(monkeypatch):
    """`flask run-job NAME` finds the test job NAME."""
    jobs = {function.__name__: spec_of(function) for function in (refusing_job, crashing_job, harmless_job)}
    monkeypatch.setattr("app.cli.job_by_id", lambda job_id: jobs[job_id] if job_id in jobs else job_by_id(job_id))


def test_an_expected_failure_is_one_line_and_exit_status_1(app, as_job):
    result = app.test_cli_runner().invoke(args=["run-job", "refusing_job"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: job refusing_job failed: the board is not ready"]


def test_an_unexpected_failure_is_one_line_with_its_type_and_a_way_to_see_where(app, as_job, caplog):
    with caplog.at_level(logging.ERROR):
        result = app.test_cli_runner().invoke(args=["run-job", "crashing_job"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: job crashing_job failed unexpectedly: ValueError: an unexpected value "
        "(run it again with --traceback to see where)"]
    assert not [record for record in caplog.records if record.exc_info]  # no traceback on the terminal
    with caplog.at_level(logging.ERROR):
        result = app.test_cli_runner().invoke(args=["run-job", "crashing_job", "--traceback"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == \
        "Error: job crashing_job failed unexpectedly: ValueError: an unexpected value"
    (record,) = [record for record in caplog.records if record.exc_info]
    assert record.getMessage() == "job crashing_job failed" and record.exc_info[0] is ValueError


def test_a_failed_run_keeps_nothing_it_wrote(app, session, monkeypatch, as_job):
    from app.accounts.models import Organization
    from app.accounts.operations import create_organization

    def writes_then_refuses(session, at):
        create_organization(session, name="Half-made", country="NP", timezone="Asia/Kathmandu",
                            residency_region="np")
        session.flush()
        raise Conflict("refused after writing")

    monkeypatch.setattr(sys.modules[__name__], "refusing_job", writes_then_refuses)
    result = app.test_cli_runner().invoke(args=["run-job", "refusing_job"])
    assert result.exit_code == 1 and "refused after writing" in result.output
    session.expire_all()
    assert session.scalar(select(Organization).where(Organization.name == "Half-made")) is None


def test_the_scheduler_logs_an_expected_failure_in_one_line_and_an_unexpected_one_with_its_traceback(app, caplog):
    with caplog.at_level(logging.INFO, logger="app.scheduler.runner"):
        runner._safe_run(app, spec_of(refusing_job))
        runner._safe_run(app, spec_of(crashing_job))
    expected, unexpected = [r for r in caplog.records if r.name == "app.scheduler.runner"]
    assert expected.levelno == logging.ERROR and expected.exc_info is None
    assert expected.getMessage().startswith("job refusing_job failed after ")
    assert expected.getMessage().endswith(": the board is not ready; it will run again at its next interval")
    assert unexpected.levelno == logging.ERROR and unexpected.exc_info[0] is ValueError
    assert unexpected.getMessage().startswith("job crashing_job failed after ")


def _tamper_with_the_audit_trail(session):
    from app.audit.models import AuditEvent
    from app.audit.operations import record

    record(session, "test.event", actor=None, target_type="organization", target_id=1)
    session.commit()
    event_id = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id).limit(1)).one()
    tamper(session, "UPDATE audit_events SET target_id = '999' WHERE id = :id", id=event_id)
    return event_id


def test_a_broken_audit_trail_fails_the_run_job_command_in_one_line(app, session):
    event_id = _tamper_with_the_audit_trail(session)
    result = app.test_cli_runner().invoke(args=["run-job", "verify-audit-trail"])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: job verify-audit-trail failed: audit trail broken: ")
    assert f"(event id {event_id}): edited" in line


def test_a_broken_audit_trail_in_a_terminal_is_its_log_line_and_one_error_line(tmp_path):
    """What the operator sees: the job's own ERROR line (what alerting keys on) and the command's
    one line; no traceback."""
    from app import create_app
    from app.extensions import db
    from tests.conftest import make_config, migrate_to_head

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    migrate_to_head(url, str(tmp_path / "migrate"))
    application = create_app(make_config(url, str(tmp_path / "migrate")))
    with application.app_context():
        event_id = _tamper_with_the_audit_trail(db.session)
        db.session.remove()
        db.engine.dispose()
    env = {**os.environ, "MERIDIAN_CONFIG": "testing", "DATABASE_URL": url,
           "MERIDIAN_INSTANCE_PATH": str(tmp_path / "instance"), "PYTHONPATH": ROOT}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app:create_app", "run-job",
                             "verify-audit-trail"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    log_line, error_line = result.stderr.strip().splitlines()
    assert "ERROR app.audit.jobs: audit trail broken: " in log_line and f"(event id {event_id})" in log_line
    assert error_line.startswith("Error: job verify-audit-trail failed: audit trail broken: ")


def test_the_in_process_scheduler_stops_cleanly_and_frees_the_lock(app, monkeypatch):
    RAN.clear()
    monkeypatch.setattr(runner, "JOBS", (spec_of(harmless_job),))
    started = runner.start_background_scheduler(app)
    assert started is not None
    scheduler, _ = started
    runner.stop_background_scheduler(started)
    assert not scheduler.running
    lock = runner.scheduler_lock(app)
    assert lock.acquire()  # freed for the next process
    lock.release()
    runner.stop_background_scheduler(None)  # nothing started: nothing to stop
