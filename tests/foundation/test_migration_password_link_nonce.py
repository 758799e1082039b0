"""Migration 0032 on a database that held set-password links in clear (as the code before it stored
them): the links still waiting in notifications are removed, those notifications are never e-mailed,
and the links they carried stop working; a link already e-mailed keeps working until it expires."""
import hashlib
from datetime import timedelta

import flask_migrate
import pytest
import time_machine
import sqlalchemy as sa
from sqlalchemy import select, text

from app import create_app
from app.accounts import password_links
from app.accounts.operations import create_organization, create_user
from app.db import UTCDateTime
from app.errors import NotFound
from app.extensions import db
from app.notifications import delivery
from app.notifications.models import Notification
from app.timekeeping import parse_instant
from tests.conftest import BACKENDS, make_config

T = parse_instant("2026-03-02T09:00:00Z")
BEFORE = "0031_forget_secret_links"
KEY = password_links.link_key("any key: links from before 0032 do not need it")
OLD_NOTIFICATIONS = sa.table("notifications", sa.column("dedupe_key", sa.String), sa.column("link", sa.String),
                             sa.column("params", sa.JSON), sa.column("emailed_at", UTCDateTime(timezone=True)))


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return request.getfixturevalue("fresh_postgres_database")("link_nonce")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def test_links_stored_in_clear_are_removed_and_retired(empty_database_url, tmp_path):
    application = create_app(make_config(empty_database_url, str(tmp_path)))
    with application.app_context(), time_machine.travel(T, tick=False):
        flask_migrate.upgrade()
        session = db.session
        site = create_organization(session, name="Almaty Oncology Centre", country="KZ", timezone="Asia/Almaty",
                                   residency_region="kz")
        admin = create_user(session, email="admin@example.org", name="Admin", password="correct horse battery",
                            organization=site, roles=["admin"])
        waiting = create_user(session, email="waiting@example.org", name="Waiting Person",
                              password="correct horse battery", organization=site, roles=["referrer"])
        sent = create_user(session, email="sent@example.org", name="Sent Person", password="correct horse battery",
                           organization=site, roles=["referrer"])
        waiting_link = password_links.reset_password(session, waiting, by=admin, at=T)
        sent_link = password_links.reset_password(session, sent, by=admin, at=T)
        ids = {"waiting": waiting_link.id, "sent": sent_link.id}
        session.commit()
        session.close()

        # Back to before 0032, and the rows as that code wrote them: the secret's digest in the link's row,
        # the whole link in the notification until its e-mail was sent.
        flask_migrate.downgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT token_hash FROM password_links WHERE id = :id"),
                                      {"id": ids["waiting"]}).scalar() == f"retired:{ids['waiting']}"
            for name in ("waiting", "sent"):
                connection.execute(text("UPDATE password_links SET token_hash = :digest WHERE id = :id"),
                                   {"digest": _digest(f"old-secret-{name}"), "id": ids[name]})
            connection.execute(OLD_NOTIFICATIONS.update().where(
                OLD_NOTIFICATIONS.c.dedupe_key == f"password-link:{ids['waiting']}").values(
                link="/set-password/old-secret-waiting", params={"name": "Waiting Person"}))
            connection.execute(OLD_NOTIFICATIONS.update().where(
                OLD_NOTIFICATIONS.c.dedupe_key == f"password-link:{ids['sent']}").values(
                emailed_at=T, params={"name": "Sent Person"}))
        db.engine.dispose()

        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            everything = "\n".join(repr(tuple(row)) for table in db.metadata.sorted_tables
                                   for row in connection.execute(table.select()))
        assert "old-secret-waiting" not in everything and "/set-password/" not in everything
        waiting_notice = session.scalar(select(Notification).where(
            Notification.dedupe_key == f"password-link:{ids['waiting']}"))
        assert waiting_notice.link is None and waiting_notice.emailed_at is None
        assert waiting_notice.email_failed_at == T and waiting_notice.email_error.startswith("withheld: ")
        assert delivery.pending_emails(session, T + timedelta(minutes=1)) == []
        with pytest.raises(NotFound):   # its secret sat in the database: it no longer works
            password_links.find_usable_link(session, "old-secret-waiting", key=KEY, at=T)
        # The link e-mailed before the migration still works (by its digest), once.
        assert password_links.find_usable_link(session, "old-secret-sent", key=KEY, at=T).id == ids["sent"]
        password_links.set_password_with_link(session, "old-secret-sent", "orchid lantern harbour 42", key=KEY, at=T)
        session.commit()
        session.close()
        db.engine.dispose()
