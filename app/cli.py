"""`flask` commands. Bad input exits non-zero with one line, never a traceback."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.demo import network, seed
from app.extensions import db
from app.scheduler.jobs import JOBS, job_by_id


def print_demo_logins() -> None:
    password = current_app.config["DEMO_PASSWORD"]
    click.echo(f"Demo logins (password for all: {password}):")
    for login in network.demo_logins():
        click.echo(f"  {login.email:<44} {', '.join(login.roles):<22} {login.organization} "
                   f"({login.timezone})")


def register_cli(app):
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has data.")
    def seed_demo_command(if_empty: bool):
        """Create the demo network (organisations and users of every role)."""
        if not current_app.config.get("DEMO_SEED_ALLOWED"):
            raise click.ClickException("seed-demo refuses to run under the production configuration: "
                                       "every demo account shares a published password")
        if not network.database_is_empty(db.session):
            if if_empty:
                click.echo("Database already has data; demo not seeded.")
                print_demo_logins()
                return
            raise click.ClickException("the database already has data; seed a fresh database")
        seed.seed_demo(db.session, current_app.config["DEMO_PASSWORD"])
        from app.cases.attachments import attachment_store
        from app.demo.imaging import seed_images
        from app.timekeeping import now_utc

        seed_images(db.session, attachment_store(current_app), now_utc())  # files: the app's store
        db.session.commit()
        click.echo("Demo network created.")
        print_demo_logins()

    @app.cli.command("scheduler")
    def scheduler_command():
        """Run the scheduler process (only one may run per deployment)."""
        from app.scheduler.runner import build_scheduler, configure_logging, scheduler_lock

        configure_logging()
        lock = scheduler_lock(current_app._get_current_object())
        if not lock.acquire():
            raise click.ClickException("another scheduler is already running for this database")
        click.echo("Scheduler running; jobs: " + ", ".join(spec.id for spec in JOBS))
        try:
            build_scheduler(current_app._get_current_object(), blocking=True).start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            lock.release()

    @app.cli.command("run-job")
    @click.argument("job_id")
    @click.option("--traceback", "show_traceback", is_flag=True,
                  help="If the job fails unexpectedly, log where (its traceback) too.")
    def run_job_command(job_id: str, show_traceback: bool):
        """Run one scheduler job once, now. A failure is one line and exit status 1; what the job wrote is
        rolled back (docs/deployment.md, "Jobs that fail")."""
        import logging

        from app.scheduler.runner import configure_logging, failure_line, is_expected_failure, run_job

        configure_logging()
        try:
            spec = job_by_id(job_id)
        except KeyError:
            raise click.ClickException(
                f"no job {job_id!r}; jobs: {', '.join(s.id for s in JOBS)}") from None
        try:
            result = run_job(current_app._get_current_object(), spec)
        except Exception as error:
            if is_expected_failure(error):
                raise click.ClickException(f"job {job_id} failed: {failure_line(error)}") from None
            if show_traceback:
                logging.getLogger("app.scheduler.runner").exception("job %s failed", job_id)
                raise click.ClickException(f"job {job_id} failed unexpectedly: {failure_line(error)}") from None
            raise click.ClickException(f"job {job_id} failed unexpectedly: {failure_line(error)} "
                                       "(run it again with --traceback to see where)") from None
        click.echo(f"{job_id}: {result}")

    @app.cli.command("demo-logins")
    def demo_logins_command():
        """Print the demo logins."""
        print_demo_logins()

    attachments_group = click.Group("attachments", help="Stored attachments.")
    app.cli.add_command(attachments_group)

    @attachments_group.command("rotate-keys")
    @with_appcontext
    def rotate_attachment_keys_command():
        """Re-encrypt every attachment with the first of ATTACHMENT_KEYS (then drop the old key)."""
        from app.cases.attachments import attachment_store

        store = attachment_store(current_app)
        if store.cipher is None:
            raise click.ClickException("ATTACHMENT_KEYS is not set; generate a key with "
                                       "python -c 'from cryptography.fernet import Fernet; "
                                       "print(Fernet.generate_key().decode())'")
        click.echo(f"attachments re-encrypted with the newest key: {store.rotate()}")

    retention_group = click.Group("retention", help="Retention of patient data per site.")
    app.cli.add_command(retention_group)

    @retention_group.command("purge")
    @with_appcontext
    def retention_purge_command():
        """Erase finished cases whose site's retention period has passed (run daily)."""
        from app.cases.attachments import attachment_store
        from app.dataprotection.operations import purge_expired
        from app.timekeeping import now_utc

        erased = purge_expired(db.session, attachment_store(current_app), at=now_utc(),
                               live_event_days=current_app.config["LIVE_EVENT_RETENTION_DAYS"])
        db.session.commit()
        click.echo(f"retention: {erased.cases} case(s) erased, {erased.files} file(s) deleted, "
                   f"{erased.live_events} live event(s) deleted")

    audit_group = click.Group("audit", help="The audit trail.")
    app.cli.add_command(audit_group)

    @audit_group.command("verify")
    @with_appcontext
    def audit_verify_command():
        """Check the audit trail's hash chain; one line, exit 1 naming where it is broken."""
        from app.audit.chain import verify

        checked, breaks = verify(db.session)
        if breaks:
            shown = "; ".join(str(b) for b in breaks[:5])
            more = f" (and {len(breaks) - 5} more)" if len(breaks) > 5 else ""
            raise click.ClickException(f"audit trail broken: {shown}{more}")
        click.echo(f"audit trail intact: {checked} events checked")

    @app.cli.command("onboard-specialists")
    @click.argument("csv_file", type=click.File("rb"))
    @click.option("--site", "site", required=True, help="The partner site's name or id.")
    @click.option("--apply", "apply", is_flag=True, help="Write the rows (without it: a dry run).")
    @with_appcontext
    def onboard_specialists_command(csv_file, site: str, apply: bool):
        """Onboard a partner site's specialists from a CSV file: one line per row (what it will do, or its
        errors), then the totals. New people are sent a link to choose their password."""
        from sqlalchemy import func, select

        from app.accounts import password_links
        from app.accounts.models import Organization
        from app.errors import InvalidInput
        from app.inputs import parse_id
        from app.specialists import csv_import
        from app.timekeeping import now_utc

        # An id is ASCII digits within the ids a database stores (parse_id); anything else is a name.
        site_id = parse_id(site)
        organization = (db.session.get(Organization, site_id) if site_id is not None else
                        db.session.scalar(select(Organization).where(func.lower(Organization.name) == site.lower())))
        if organization is None:
            raise click.ClickException(f"no site is named or numbered {site!r}")
        at = now_utc()
        try:
            report = csv_import.onboard(
                db.session, organization, csv_file.read(), apply=apply, by=None, at=at, via="cli",
                link_lifetime=password_links.configured_lifetime(current_app.config))
        except InvalidInput as error:
            raise click.ClickException(f"{error.field}: {error.message}") from None
        verb = {"create": "created" if report.applied else "will create",
                "update": "updated" if report.applied else "will update", "unchanged": "unchanged", "error": "error"}
        for row in report.rows:
            detail = "; ".join(f"{e['field'] or 'row'}: {e['message']}" for e in row.errors) or ", ".join(row.changes)
            click.echo(f"row {row.row} {row.email}: {verb[row.action]}" + (f" ({detail})" if detail else ""))
        totals = report.totals
        click.echo(f"{totals['rows']} rows: {totals['create']} create, {totals['update']} update, "
                   f"{totals['unchanged']} unchanged, {totals['error']} with errors"
                   + ("" if report.applied else " - nothing written" + (" (add --apply)" if not apply else "")))
        if not report.applied:
            db.session.rollback()
            if apply:
                raise click.ClickException("rows have errors; nothing was imported")
            return
        db.session.commit()
