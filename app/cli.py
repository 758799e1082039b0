"""`flask` commands. Bad input exits non-zero with one line, never a traceback."""
from __future__ import annotations

import click
from flask import current_app

from app.demo import seed
from app.extensions import db


def print_demo_logins() -> None:
    password = current_app.config["DEMO_PASSWORD"]
    click.echo(f"Demo logins (password for all: {password}):")
    for login in seed.demo_logins():
        click.echo(f"  {login.email:<44} {', '.join(login.roles):<22} {login.organization} "
                   f"({login.timezone})")


def register_cli(app):
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has data.")
    def seed_demo_command(if_empty: bool):
        """Create the demo network (organisations and users of every role)."""
        if not seed.database_is_empty(db.session):
            if if_empty:
                click.echo("Database already has data; demo not seeded.")
                print_demo_logins()
                return
            raise click.ClickException("the database already has data; seed a fresh database")
        seed.seed_demo(db.session, current_app.config["DEMO_PASSWORD"])
        db.session.commit()
        click.echo("Demo network created.")
        print_demo_logins()

    @app.cli.command("demo-logins")
    def demo_logins_command():
        """Print the demo logins."""
        print_demo_logins()
