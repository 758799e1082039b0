"""A set-password link's secret is never in the database: after an admin's reset or invitation no row of
any table holds it (notifications, their live events, the link's own row); the outbox makes the link when it
sends the e-mail, and only while the link works. An SMTP server of the test's own (smtp_sink) receives
the e-mails."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.accounts import password_links
from app.accounts.models import PasswordLink, User
from app.extensions import db
from app.notifications.models import Notification
from app.scheduler.mail import send_emails
from app.timekeeping import parse_instant
from smtp_sink import SMTPSink
from tests.conftest import PASSWORD

NEW_PASSWORD = "juniper harbour compass 58"
T = parse_instant("2026-11-26T01:43:00Z")
BASE_URL = "https://meridian.example.org"


@pytest.fixture
def sink(app):
    with SMTPSink() as server:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_STARTTLS=False,
                          PUBLIC_BASE_URL=BASE_URL, MAIL_FROM="Meridian <mdt@example.org>")
        yield server


def _signed_in_admin(app, make_user):
    admin = make_user("admin")
    browser = app.test_client()
    assert browser.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 302
    return browser


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def _links_in(message) -> list[str]:
    return [line.removeprefix(BASE_URL) for line in _body(message).splitlines()
            if line.startswith(BASE_URL + password_links.LINK_PATH)]


def _every_row_as_text(session) -> str:
    """Every value of every row of every table, as text (JSON columns such as notifications.params and
    live_events.data included)."""
    session.expire_all()
    parts = [" ".join(repr(value) for value in row)
             for table in db.metadata.sorted_tables for row in session.execute(table.select())]
    return "\n".join(parts)


def _link_of(app, person) -> str:
    """What the person's newest link is (for the tests to check the e-mail and the database against)."""
    record = db.session.scalars(select(PasswordLink).where(PasswordLink.user_id == person.id)
                                .order_by(PasswordLink.id.desc())).first()
    return password_links.link_path(record, password_links.link_key(app.config["SECRET_KEY"]))


def test_after_an_admin_reset_no_row_holds_the_secret_and_the_e_mail_s_link_sets_the_password(
        app, session, make_user, sink, client):
    person = make_user("specialist", email="dr.reset@example.org")
    with time_machine.travel(T, tick=False):
        assert _signed_in_admin(app, make_user).post(f"/admin/users/{person.id}/reset").status_code == 302
    link = _link_of(app, person)
    secret = link.removeprefix(password_links.LINK_PATH)
    mac = secret.split(".", 1)[1]
    stored = _every_row_as_text(session)
    assert mac not in stored and secret not in stored and "/set-password/" not in stored

    assert send_emails(session, T + timedelta(minutes=1)) == 1
    (message,) = sink.received()
    assert message["To"] == "dr.reset@example.org" and "choose a new password" in message["Subject"]
    assert _links_in(message) == [link]
    assert mac not in _every_row_as_text(session)        # sending it stored nothing of it either

    with time_machine.travel(T + timedelta(minutes=5), tick=False):
        assert client.get(link).status_code == 200
        done = client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert done.status_code == 302 and done.headers["Location"].endswith("/login")
        assert client.post("/login", data={"email": person.email, "password": NEW_PASSWORD}).status_code == 302
        client.post("/logout")
        assert client.get(link).status_code == 404       # once only


def test_an_invitation_through_the_api_is_e_mailed_with_a_working_link_and_logs_no_secret(
        app, session, make_user, sink, headers, caplog):
    admin = make_user("admin")
    with time_machine.travel(T, tick=False):
        answer = app.test_client().post("/api/v1/users/invitations", headers=headers(admin), json={
            "email": "sofia.lee@example.org", "name": "Sofia Lee", "organization_id": admin.organization_id,
            "roles": ["coordinator"]})
    assert answer.status_code == 201 and "set-password" not in answer.get_data(as_text=True)
    invited = session.get(User, answer.get_json()["user_id"])
    link = _link_of(app, invited)
    assert link.split(".", 1)[1] not in _every_row_as_text(session)

    with caplog.at_level(logging.DEBUG):
        assert send_emails(session, T + timedelta(minutes=1)) == 1
    (message,) = sink.received()
    assert _links_in(message) == [link] and "choose your password" in message["Subject"]
    assert link.split(".", 1)[1] not in caplog.text
    with time_machine.travel(T + timedelta(minutes=2), tick=False):
        browser = app.test_client()
        assert browser.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_a_link_replaced_or_used_before_its_e_mail_goes_out_is_not_e_mailed(app, session, make_user, sink, client):
    person = make_user("referrer", email="dr.twice@example.org")
    with time_machine.travel(T, tick=False):
        admin = _signed_in_admin(app, make_user)
        assert admin.post(f"/admin/users/{person.id}/reset").status_code == 302
    first = _link_of(app, person)
    with time_machine.travel(T + timedelta(minutes=1), tick=False):
        assert admin.post(f"/admin/users/{person.id}/reset").status_code == 302
    second = _link_of(app, person)
    assert first != second

    # SMTP was down until now: only the newer e-mail goes, with the newer link; the older is withheld.
    assert send_emails(session, T + timedelta(minutes=2)) == 1
    (message,) = sink.received()
    assert _links_in(message) == [second]
    session.expire_all()
    replaced, newer = session.scalars(select(Notification).where(Notification.user_id == person.id)
                                      .order_by(Notification.id)).all()
    assert replaced.emailed_at is None and replaced.email_error.startswith("withheld: ")
    assert newer.emailed_at == T + timedelta(minutes=2)
    assert send_emails(session, T + timedelta(hours=1)) == 0      # never tried again

    # A link the person already used (they had it some other way) is not e-mailed as usable either.
    with time_machine.travel(T + timedelta(minutes=3), tick=False):
        assert admin.post(f"/admin/users/{person.id}/reset").status_code == 302
        third = _link_of(app, person)
        assert client.post(third, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert send_emails(session, T + timedelta(minutes=4)) == 0
    assert len(sink.received()) == 1


def test_a_link_that_ran_out_before_its_e_mail_is_e_mailed_without_it(app, session, make_user, sink):
    app.config["PASSWORD_LINK_LIFETIME_HOURS"] = 1
    person = make_user("referrer", email="dr.late@example.org")
    with time_machine.travel(T, tick=False):
        assert _signed_in_admin(app, make_user).post(f"/admin/users/{person.id}/reset").status_code == 302
    link = _link_of(app, person)
    assert send_emails(session, T + timedelta(hours=1)) == 1
    (message,) = sink.received()
    assert _links_in(message) == [] and link not in _body(message)
    assert "expired before this message could be sent" in _body(message)
    assert "ask an administrator for a new one" in _body(message)


def test_a_rotated_secret_key_ends_outstanding_links(app, session, make_user, client):
    person = make_user("referrer", email="dr.rotated@example.org")
    with time_machine.travel(T, tick=False):
        assert _signed_in_admin(app, make_user).post(f"/admin/users/{person.id}/reset").status_code == 302
        link = _link_of(app, person)
        app.config["SECRET_KEY"] = "a new secret key after rotation, 32+ characters long"
        assert client.get(link).status_code == 404
        assert client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 404
