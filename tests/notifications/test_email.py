"""Notifications are e-mailed once when SMTP is configured, and logged otherwise."""
import logging

from app.notifications.models import Notification
from app.notifications.operations import notify
from app.scheduler.jobs import job_by_id
from app.scheduler.runner import run_job


class FakeSMTP:
    sent = []

    def __init__(self, host, port, timeout):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, username, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def test_sent_once_by_smtp_with_a_link(app, session, make_user, monkeypatch):
    monkeypatch.setattr("app.scheduler.mail.smtplib.SMTP", FakeSMTP)
    FakeSMTP.sent = []
    app.config.update(SMTP_HOST="smtp.example.org", PUBLIC_BASE_URL="https://meridian.example.org")
    user = make_user(email="dr.sen@example.org")
    notify(session, user_id=user.id, kind="test", dedupe_key="mail-1", subject="Agenda circulated",
           body="3 cases", link="/meetings/4")
    session.commit()
    assert run_job(app, job_by_id("send-emails")) == 1
    assert run_job(app, job_by_id("send-emails")) == 0
    (message,) = FakeSMTP.sent
    assert message["To"] == "dr.sen@example.org" and message["Subject"] == "[Meridian] Agenda circulated"
    assert "https://meridian.example.org/meetings/4" in message.get_content()
    session.expire_all()
    assert session.query(Notification).one().emailed_at is not None


def test_logged_when_smtp_is_not_configured(app, session, make_user, caplog):
    user = make_user(email="dr.zhou@example.org")
    notify(session, user_id=user.id, kind="test", dedupe_key="mail-2", subject="Licence expires soon")
    session.commit()
    with caplog.at_level(logging.INFO, logger="app.scheduler.mail"):
        assert run_job(app, job_by_id("send-emails")) == 1
    assert "dr.zhou@example.org" in caplog.text and "not configured" in caplog.text
