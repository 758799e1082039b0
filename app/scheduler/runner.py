"""Run the jobs with APScheduler: interval triggers, explicit ids, coalescing, one instance each."""
from __future__ import annotations

import logging
import time

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from pytz import utc

from app.scheduler.jobs import JOBS, JobSpec
from app.scheduler.lock import SchedulerLock
from app.timekeeping import now_utc

log = logging.getLogger(__name__)


def is_expected_failure(error: BaseException) -> bool:
    """A failure a job reports on purpose, whose message says all there is to say (a domain rule, a broken
    audit trail): reported as one line, never with a traceback."""
    from app.audit.jobs import AuditTrailBroken
    from app.errors import DomainError

    return isinstance(error, DomainError | AuditTrailBroken)


def failure_line(error: BaseException) -> str:
    """The failure in one line: its message (its first line, at most 300 characters), or for an unexpected
    one its type and message."""
    text = (str(error).strip().splitlines() or [""])[0][:300]
    if is_expected_failure(error):
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def run_job(app, spec: JobSpec, at=None):
    """Run one job now in its own app context and transaction; return what the job returned. A failure
    is rolled back and raised: the caller reports it (the scheduler in its log, `flask run-job` as one
    line)."""
    from app.extensions import db

    started = time.monotonic()
    with app.app_context():
        try:
            result = spec.load()(db.session, at or now_utc())
            db.session.commit()
            log.info("job %s done in %.2f s: %s (%s)", spec.id, time.monotonic() - started, result,
                     spec.description)
            return result
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def _safe_run(app, spec: JobSpec):
    """A scheduled run: a failure is logged and the scheduler keeps going. An expected failure is one
    ERROR line; an unexpected one carries its traceback, for the scheduler's log (its stderr, which the
    operators ship to their log store: docs/deployment.md)."""
    started = time.monotonic()
    try:
        run_job(app, spec)
    except Exception as error:
        if is_expected_failure(error):
            log.error("job %s failed after %.2f s: %s; it will run again at its next interval", spec.id,
                      time.monotonic() - started, failure_line(error))
        else:
            log.exception("job %s failed after %.2f s; it will run again at its next interval", spec.id,
                          time.monotonic() - started)


def configure_logging() -> None:
    """INFO to stderr for the scheduler process (unless logging is configured already), so an
    operator sees each job run; APScheduler's own per-run lines stay out (ours say more)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def build_scheduler(app, *, blocking: bool):
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(timezone=utc, job_defaults={
        "coalesce": True,          # a backlog of missed runs collapses into one
        "max_instances": 1,
        "misfire_grace_time": 3600,
    })
    for spec in JOBS:
        scheduler.add_job(_safe_run, IntervalTrigger(seconds=spec.every.total_seconds(), timezone=utc),
                          args=(app, spec), id=spec.id, name=spec.description, replace_existing=True,
                          next_run_time=now_utc())
    return scheduler


def scheduler_lock(app) -> SchedulerLock:
    from app.extensions import db

    with app.app_context():
        return SchedulerLock(db.engine, app.instance_path)


def start_background_scheduler(app):
    """For development: run the jobs inside the web process, if no other scheduler holds the lock."""
    lock = scheduler_lock(app)
    if not lock.acquire():
        log.info("another scheduler is running; this process will not run jobs")
        return None
    scheduler = build_scheduler(app, blocking=False)
    scheduler.start()
    return scheduler, lock


def stop_background_scheduler(started) -> None:
    """Stop what `start_background_scheduler` started (its result; None: nothing): no run starts after
    this, a run under way finishes, then the lock is released."""
    if started is None:
        return
    scheduler, lock = started
    try:
        scheduler.shutdown(wait=True)
    finally:
        lock.release()
