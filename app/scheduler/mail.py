"""The e-mail job: send each notification once by SMTP when SMTP is configured, log it otherwise.

It lives beside the scheduler because it reads the app's configuration; what is due, claiming and
recording, and what a message says are plain Python in `app.notifications.delivery`.
"""
from __future__ import annotations

import logging
import smtplib
import uuid
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from app.accounts import password_links
from app.accounts.models import User
from app.notifications.delivery import (claim_email, email_for, mark_email_failed, mark_email_withheld, mark_emailed,
                                        message_id, pending_emails, retry_email_later, secret_link_for)
from app.notifications.models import SECRET_LINK_KINDS

log = logging.getLogger(__name__)


class SMTPUnavailable(Exception):
    """No connection to the SMTP server: every message would fail the same way."""


def _refusal(exc: Exception) -> tuple[int | None, str]:
    """(SMTP code, reason) of a failed send; code None when there was no answer at all."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, text = exc.smtp_code, exc.smtp_error
    else:
        return None, f"{type(exc).__name__}: {exc}"
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return code, f"{code} {text}"


class _Outbox:
    """One SMTP connection for a run, opened when the first message is claimed."""

    def __init__(self, config):
        self.config, self.smtp = config, None

    def send(self, message) -> None:
        if self.smtp is None:
            try:
                smtp = smtplib.SMTP(self.config["SMTP_HOST"], self.config["SMTP_PORT"], timeout=30)
                if self.config.get("SMTP_STARTTLS"):
                    smtp.starttls()
                if self.config.get("SMTP_USERNAME"):
                    smtp.login(self.config["SMTP_USERNAME"], self.config["SMTP_PASSWORD"])
            except (OSError, smtplib.SMTPException) as exc:
                raise SMTPUnavailable(f"{type(exc).__name__}: {exc}") from exc
            self.smtp = smtp
        try:
            self.smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
            raise   # this message was refused; the connection is fine for the next
        except OSError as exc:   # disconnected, timed out (SMTPException is an OSError too)
            self.close()
            raise SMTPUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def send_emails(session: Session, at: datetime) -> int:
    """Send what is due, one message at a time (claim, commit, send, record, commit); returns how
    many were sent or logged. A refused message does not stop the others."""
    config = current_app.config
    sender = f"sender-{uuid.uuid4().hex[:12]}"
    counts = {"sent": 0, "failed": 0, "retrying": 0, "claimed elsewhere": 0, "withheld": 0}
    link_key = password_links.link_key(config["SECRET_KEY"])
    outbox = _Outbox(config) if config.get("SMTP_HOST") else None
    try:
        for notification in pending_emails(session, at):
            if not claim_email(session, notification, sender, at):
                session.rollback()
                counts["claimed elsewhere"] += 1
                continue
            session.commit()   # the claim is visible to every other sender before anything is sent
            user = session.get(User, notification.user_id)
            secret_link = None
            if notification.kind in SECRET_LINK_KINDS:
                # The set-password link is made now, from its row and the key, and only while it works.
                secret_link = secret_link_for(session, notification, key=link_key, at=at)
                if secret_link is None:
                    mark_email_withheld(notification, at, "the set-password link was used, replaced by a newer "
                                                          "one, or its account deactivated")
                    session.commit()
                    counts["withheld"] += 1
                    continue
            message = email_for(notification, user, base_url=config["PUBLIC_BASE_URL"], sender=config["MAIL_FROM"],
                                default_locale=config.get("BABEL_DEFAULT_LOCALE") or "en", secret_link=secret_link)
            message["Message-ID"] = message_id(notification, config["MAIL_FROM"])
            if outbox is None:
                log.info("e-mail not sent (SMTP is not configured) to %s: %s", message["To"], message["Subject"])
            else:
                try:
                    outbox.send(message)
                except SMTPUnavailable as exc:
                    retry_email_later(notification, at, str(exc))
                    session.commit()
                    counts["retrying"] += 1
                    log.warning("e-mail: SMTP server unavailable (%s); the rest waits for the next run", exc)
                    break
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                    code, reason = _refusal(exc)
                    if code is not None and code >= 500:
                        mark_email_failed(notification, at, reason)
                        counts["failed"] += 1
                        log.warning("e-mail: notification %s refused for good: %s", notification.id, reason)
                    else:
                        retried = retry_email_later(notification, at, reason)
                        counts["retrying" if retried else "failed"] += 1
                        log.warning("e-mail: notification %s refused for now: %s", notification.id, reason)
                    session.commit()
                    continue
            mark_emailed(notification, at)
            session.commit()
            counts["sent"] += 1
    finally:
        if outbox is not None:
            outbox.close()
    if any(counts.values()):
        log.info("e-mail: %s", ", ".join(f"{n} {what}" for what, n in counts.items() if n))
    return counts["sent"]
