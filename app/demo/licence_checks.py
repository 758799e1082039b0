"""Demo: renewed licences waiting in the verification queue (app.web.admin_views, /admin/licences).

Two specialists whose licences run out (one within weeks, one already) have recorded the renewals;
nobody has checked them yet. With the demo's expiring and expired licences the queue has all three tabs.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.specialists import operations
from app.specialists.models import Licence
from app.timekeeping import to_local

# (the licence being renewed, the renewal's number, its lifetime in days)
RENEWALS = (("CN-TM-2024-0381", "CN-TM-2026-0381", 2 * 365), ("KZ-LIC-20931", "KZ-LIC-31207", 3 * 365))


def seed_licence_checks(session: Session, at: datetime) -> None:
    for old_number, new_number, lifetime in RENEWALS:
        old = session.scalar(select(Licence).where(Licence.registration_number == old_number))
        if old is None:
            continue
        today = to_local(at, old.profile.home_timezone).date()
        operations.add_licence(session, old.profile, jurisdiction=old.jurisdiction, registration_number=new_number,
                               expires_on=today + timedelta(days=lifetime), at=at)
