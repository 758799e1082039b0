"""The e-mail job: send each notification once by SMTP when SMTP is configured, log it otherwise.

It lives beside the scheduler because it reads the app's configuration; what is due and what a
message says are plain Python in `app.notifications.delivery`.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.notifications.delivery import email_for, pending_emails

log = logging.getLogger(__name__)


def send_emails(session: Session, at: datetime) -> int:
    config = current_app.config
    sent = 0
    for notification in pending_emails(session, at):
        user = session.get(User, notification.user_id)
        message = email_for(notification, user, base_url=config["PUBLIC_BASE_URL"], sender=config["MAIL_FROM"],
                            default_locale=config.get("BABEL_DEFAULT_LOCALE") or "en")
        if config.get("SMTP_HOST"):
            with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
                if config.get("SMTP_STARTTLS"):
                    smtp.starttls()
                if config.get("SMTP_USERNAME"):
                    smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
                smtp.send_message(message)
        else:
            log.info("e-mail not sent (SMTP is not configured) to %s: %s", message["To"], message["Subject"])
        notification.emailed_at = at
        session.commit()  # one message at a time: a failure later never re-sends this one
        sent += 1
    return sent
