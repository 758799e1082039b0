"""Recurring jobs of the specialists area. Each is `job(session, at)`: idempotent, safe to run late or twice."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserRole
from app.notifications.operations import notify
from app.specialists.models import Licence, SpecialistProfile
from app.timekeeping import ensure_utc, to_local

WARN_BEFORE = timedelta(days=30)
NOTIFICATION_KIND = "licence_expiring"


def _coordinators(session: Session, organization_id: int) -> list[User]:
    return list(session.scalars(
        select(User).join(UserRole)
        .where(User.organization_id == organization_id, User.is_active.is_(True),
               UserRole.role == "coordinator")
        .order_by(User.id)))


def warn_expiring_licences(session: Session, at: datetime) -> int:
    """Notify each specialist, and every coordinator of their organisation, about verified
    licences that expire within 30 days of `at` and have not expired yet.

    One notification per licence, expiry date and recipient (the dedupe key), so running this
    hourly, daily or twice adds nothing new; renewing the licence (a new expiry date) warns
    again when the new date comes near. Returns how many notifications were added.
    """
    at = ensure_utc(at)
    horizon = at + WARN_BEFORE
    # Dates are compared in each specialist's zone below; this only narrows the rows read.
    candidates = session.scalars(
        select(Licence).join(Licence.profile).join(SpecialistProfile.user)
        .where(Licence.verified_at.is_not(None), User.is_active.is_(True),
               Licence.expires_on >= (at - timedelta(days=2)).date(),
               Licence.expires_on <= (horizon + timedelta(days=2)).date())
        .order_by(Licence.expires_on, Licence.id))
    added = 0
    for licence in candidates:
        expires_at = licence.expires_at()
        if not at < expires_at <= horizon:
            continue
        specialist = licence.profile.user
        zone = licence.profile.home_timezone
        days_left = (licence.expires_on - to_local(at, zone).date()).days
        params = {"country": licence.jurisdiction, "jurisdiction": licence.jurisdiction,
                  "number": licence.registration_number, "name": specialist.name,
                  "expires_on": licence.expires_on.isoformat(), "zone": zone, "days_left": days_left}
        recipients = [specialist] + [user for user in _coordinators(session, specialist.organization_id)
                                     if user.id != specialist.id]
        for recipient in recipients:
            text = "licence_expiring.own" if recipient.id == specialist.id else "licence_expiring.other"
            added += notify(
                session, user_id=recipient.id, kind=NOTIFICATION_KIND,
                dedupe_key=f"licence-expiry:{licence.id}:{licence.expires_on.isoformat()}:user:{recipient.id}",
                # the page each reader keeps licences on: their own, or the specialist's in the directory
                params={"text": text, **params}, at=at,
                link="/me/licences" if recipient.id == specialist.id else f"/coordinator/specialists/{specialist.id}",
            )
    return added
