"""Notifications are e-mailed once when SMTP is configured, and logged otherwise. An SMTP server of
the test's own (smtp_sink) receives them."""
import logging
import multiprocessing
import os
import random
import signal
from collections import Counter
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.notifications import delivery
from app.notifications.models import Notification
from app.notifications.operations import notify
from app.scheduler.jobs import job_by_id
from app.scheduler.mail import send_emails
from app.scheduler.runner import run_job
from app.timekeeping import UTC
from smtp_sink import SMTPSink
from tests.conftest import make_config

T = datetime(2026, 11, 26, 1, 43, tzinfo=UTC)


@pytest.fixture
def sink(app):
    with SMTPSink() as server:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_STARTTLS=False,
                          PUBLIC_BASE_URL="https://meridian.example.org", MAIL_FROM="Meridian <mdt@example.org>")
        yield server


def _notify(session, user, key, subject="Agenda circulated", at=T):
    notify(session, user_id=user.id, kind="test", dedupe_key=key, subject=subject, body="3 cases",
           link="/meetings/4", at=at)


def test_sent_once_by_smtp_with_a_link_and_a_stable_message_id(app, session, make_user, sink):
    user = make_user(email="dr.sen@example.org")
    _notify(session, user, "mail-1")
    session.commit()
    assert send_emails(session, T) == 1
    assert send_emails(session, T + timedelta(minutes=1)) == 0
    (message,) = sink.received()
    assert message["To"] == "dr.sen@example.org" and message["Subject"] == "[Meridian] Agenda circulated"
    assert "https://meridian.example.org/meetings/4" in message.get_payload(decode=True).decode()
    notification = session.scalars(select(Notification)).one()
    assert notification.emailed_at == T
    assert message["Message-ID"] == delivery.message_id(notification, app.config["MAIL_FROM"])
    assert message["Message-ID"].endswith("@example.org>")


def test_logged_when_smtp_is_not_configured(app, session, make_user, caplog):
    user = make_user(email="dr.zhou@example.org")
    notify(session, user_id=user.id, kind="test", dedupe_key="mail-2", subject="Licence expires soon", at=T)
    session.commit()
    with time_machine.travel(T + timedelta(minutes=1), tick=False), \
            caplog.at_level(logging.INFO, logger="app.scheduler.mail"):
        assert run_job(app, job_by_id("send-emails")) == 1
    assert "dr.zhou@example.org" in caplog.text and "not configured" in caplog.text
    assert "1 sent" in caplog.text


def test_a_refused_recipient_is_marked_failed_and_the_others_go_out(app, session, make_user, sink):
    users = [make_user(email=f"dr.{name}@example.org") for name in ("a", "b", "c")]
    sink.refuse["dr.b@example.org"] = "550 5.1.1 Mailbox unavailable"
    for n, user in enumerate(users):
        _notify(session, user, f"mail-{n}")
    session.commit()
    assert send_emails(session, T) == 2
    assert sorted(m["To"] for m in sink.received()) == ["dr.a@example.org", "dr.c@example.org"]
    refused = session.scalars(select(Notification).where(Notification.user_id == users[1].id)).one()
    assert refused.emailed_at is None and refused.email_failed_at == T
    assert refused.email_error.startswith("550") and "Mailbox unavailable" in refused.email_error
    # Never tried again, and nothing blocks the messages after it.
    _notify(session, users[2], "mail-later")
    session.commit()
    assert send_emails(session, T + timedelta(hours=1)) == 1
    assert len(sink.received()) == 3


def test_a_temporary_refusal_is_retried_with_back_off(app, session, make_user, sink):
    user = make_user(email="dr.busy@example.org")
    sink.refuse["dr.busy@example.org"] = "451 4.3.0 Try again later"
    _notify(session, user, "mail-busy")
    session.commit()
    assert send_emails(session, T) == 0
    notification = session.scalars(select(Notification)).one()
    assert notification.email_retry_at == T + timedelta(minutes=1) and notification.email_error.startswith("451")
    assert send_emails(session, T + timedelta(seconds=30)) == 0          # not before its back-off
    assert send_emails(session, T + timedelta(minutes=1)) == 0           # refused again: waits 2 minutes
    assert session.get(Notification, notification.id).email_retry_at == T + timedelta(minutes=3)
    del sink.refuse["dr.busy@example.org"]
    assert send_emails(session, T + timedelta(minutes=3)) == 1
    assert [m["To"] for m in sink.received()] == ["dr.busy@example.org"]


def test_no_smtp_server_leaves_every_message_for_a_later_run(app, session, make_user):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_STARTTLS=False)   # nothing listens there
    user = make_user(email="dr.wait@example.org")
    _notify(session, user, "mail-w1")
    _notify(session, user, "mail-w2")
    session.commit()
    assert send_emails(session, T) == 0
    states = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [n.email_attempts for n in states] == [1, 0] and all(n.email_failed_at is None for n in states)


def test_a_claimed_message_is_not_sent_by_a_second_sender_until_its_claim_expires(session, make_user):
    user = make_user(email="dr.claim@example.org")
    _notify(session, user, "mail-claim")
    session.commit()
    notification = session.scalars(select(Notification)).one()
    assert delivery.claim_email(session, notification, "first", T) is True
    session.commit()
    assert delivery.pending_emails(session, T + timedelta(minutes=5)) == []
    assert delivery.claim_email(session, notification, "second", T + timedelta(minutes=5)) is False
    # The first sender died after sending: the claim expires and the message may go once more.
    later = T + delivery.CLAIM_EXPIRES + timedelta(seconds=1)
    assert delivery.claim_email(session, notification, "second", later) is True


def _send_in_child(database_url, instance_path, smtp_port):
    from app import create_app
    from app.extensions import db

    app = create_app(make_config(database_url, instance_path, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port,
                                 SMTP_STARTTLS=False))
    with app.app_context():
        send_emails(db.session, T)
        db.session.commit()
    os._exit(0)


def test_two_senders_and_a_kill_mid_send_never_send_a_message_twice(app, session, make_user, database_url,
                                                                    tmp_path):
    rng = random.Random(20)
    users = [make_user(email=f"dr.{n}@example.org") for n in range(4)]
    fork = multiprocessing.get_context("fork")
    kills = 0
    with SMTPSink(data_delay=0.01) as sink:
        for run in range(20):
            for n in range(8):
                _notify(session, users[n % 4], f"run-{run}-{n}")
            session.commit()
            db_engine_dispose(app)
            senders = [fork.Process(target=_send_in_child, args=(database_url, str(tmp_path / "i"), sink.port))
                       for _ in range(2)]
            for sender in senders:
                sender.start()
            victim = senders[rng.randrange(2)]
            victim.join(rng.uniform(0.1, 0.6))
            if victim.is_alive():
                os.kill(victim.pid, signal.SIGKILL)
                kills += 1
            for sender in senders:
                sender.join(60)
                assert sender.exitcode in (0, -signal.SIGKILL)
        ids = Counter(m["Message-ID"] for m in sink.received())
        assert kills and ids and max(ids.values()) == 1              # nothing went twice
        # Whatever a killed sender had claimed goes once its claim expires (at most once more).
        session.expire_all()
        later = T + delivery.CLAIM_EXPIRES + timedelta(minutes=1)
        with app.app_context():
            app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, SMTP_STARTTLS=False)
            send_emails(session, later)
        everything = session.scalars(select(Notification)).all()
        assert len(everything) == 160 and all(n.emailed_at is not None for n in everything)
        ids = Counter(m["Message-ID"] for m in sink.received())
        assert set(ids) == {delivery.message_id(n, app.config["MAIL_FROM"]) for n in everything}
        assert max(ids.values()) <= 2


def db_engine_dispose(app):
    """Forked children must not share the parent's database connections."""
    from app.extensions import db

    db.session.remove()
    db.engine.dispose()
