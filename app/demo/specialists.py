"""Demo specialists: profiles, working hours in their own zones, licences, leave and overrides.

Plain Python over a session; the caller commits. Dates are relative to `at`, so the demo always
shows a licence about to expire (and its warning), one that has expired, upcoming leave and an
override. Safe to call again: people who already have a profile are left alone.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import operations as accounts
from app.accounts.models import Organization, User
from app.specialists import operations
from app.specialists.csv_import import parse_weekly_hours
from app.specialists.jobs import warn_expiring_licences
from app.specialists.models import SpecialistProfile
from app.timekeeping import ensure_utc, to_local


@dataclass(frozen=True)
class DemoLicence:
    country: str
    number: str
    expires_in_days: int  # from the specialist's local today; negative = already expired
    verified: bool = True


@dataclass(frozen=True)
class DemoSpecialist:
    local_part: str
    disciplines: tuple[str, ...]
    sub_specialty: str
    zone: str
    hours: str  # compact weekly-hours text, see app.specialists.csv_import
    licences: tuple[DemoLicence, ...]
    settings: dict = field(default_factory=dict)
    leave_days: tuple[int, int] | None = None  # local dates, days from today, inclusive
    override: tuple[int, list, str] | None = None  # (days from today, ranges, note)


SPECIALISTS = (
    DemoSpecialist(
        "radiologist.kolkata", ("radiology",), "Thoracic and oncological imaging", "Asia/Kolkata",
        "mon-fri 09:30-13:00 14:00-17:30; sat 09:30-13:00",  # a split day, and Saturday mornings
        (DemoLicence("IN", "WBMC-68412", 3 * 365), DemoLicence("CN", "CN-TM-2024-0381", 20)),
        {"buffer_before_minutes": 10, "buffer_after_minutes": 10},
    ),
    DemoSpecialist(
        "pathologist.kathmandu", ("pathology",), "Haematopathology and cytology", "Asia/Kathmandu",
        "sun-fri 10:00-17:00",  # Nepal's working week runs Sunday to Friday
        (DemoLicence("NP", "NMC-11873", 2 * 365), DemoLicence("CN", "CN-TM-2025-0112", 400)),
        {"min_notice_hours": 48}, leave_days=(12, 16),
    ),
    DemoSpecialist(
        "oncologist.moscow", ("medical-oncology",), "Lung and upper GI cancers", "Europe/Moscow",
        "mon-fri 09:00-18:00",
        (DemoLicence("RU", "77-01-004519", 4 * 365), DemoLicence("KZ", "KZ-LIC-20931", -40)),
        {"max_meetings_per_day": 4, "max_meetings_per_week": 12},
    ),
    DemoSpecialist(
        "surgeon.dubai", ("thoracic-surgery",), "Minimally invasive thoracic surgery", "Asia/Dubai",
        "mon-thu 07:30-15:30; fri 07:30-11:30",
        (DemoLicence("AE", "DHA-P-0093385", 700),),
        {"takes_urgent": False, "buffer_before_minutes": 15, "buffer_after_minutes": 15},
    ),
    DemoSpecialist(
        "oncologist.karachi", ("medical-oncology", "clinical-oncology"), "Breast and head-and-neck cancers",
        "Asia/Karachi",
        "mon-sat 09:00-14:00; mon,wed,thu 18:00-21:00",  # an evening clinic three days a week
        (DemoLicence("PK", "PMDC-54321-S", 900), DemoLicence("CN", "CN-TM-2025-0207", 500)),
        {"buffer_after_minutes": 10},
        override=(5, [["10:00", "13:00"]], "Hospital tumour board in the afternoon"),
    ),
    DemoSpecialist(
        "radiologist.almaty", ("radiology", "nuclear-medicine"), "PET-CT", "Asia/Almaty",
        "mon-fri 08:00-17:00; sat 22:00-02:00",  # a Saturday night reporting session
        (DemoLicence("KZ", "KZ-LIC-17754", 3 * 365), DemoLicence("RU", "77-01-010233", 600)),
        override=(9, [], "Conference in Astana"),
    ),
    DemoSpecialist(
        "pathologist.fcg", ("pathology",), "Molecular pathology", "Asia/Shanghai",
        "mon-fri 08:00-12:00 14:30-17:30",  # the long Chinese lunch break splits the day
        (DemoLicence("CN", "110450000123456", 5 * 365),),
    ),
    DemoSpecialist(
        "clinonc.nairobi", ("clinical-oncology",), "Radiotherapy of cervical and prostate cancers",
        "Africa/Nairobi", "mon-fri 08:00-16:30",
        (DemoLicence("KE", "KMPDC-A9921", 800), DemoLicence("CN", "CN-TM-2025-0301", 60, verified=False)),
    ),
    DemoSpecialist(
        "surgeon.tashkent", ("thoracic-surgery",), "Oesophageal and lung resections", "Asia/Tashkent",
        "mon-sat 08:00-14:00",
        (DemoLicence("UZ", "UZ-MH-044218", 1000),),
    ),
)

# Specialists the base demo does not create: local part, name, organisation name, languages.
EXTRA_PEOPLE = (
    ("clinonc.nairobi", "Dr Kevin Otieno", "Nairobi Teaching and Referral Hospital", ["en", "sw"]),
    ("surgeon.tashkent", "Dr Rustam Yusupov", "Tashkent Republican Clinical Hospital", ["uz", "ru", "en"]),
)


def _verifier(users_by_email: dict[str, User], domain: str) -> User | None:
    preferred = users_by_email.get(f"coordinator@{domain}")
    if preferred is not None:
        return preferred
    return next((user for user in users_by_email.values() if user.has_role("coordinator", "admin")), None)


def _add_extra_people(session: Session, users: dict[str, User], domain: str,
                      password: str | None) -> None:
    for local_part, name, organization_name, languages in EXTRA_PEOPLE:
        email = f"{local_part}@{domain}"
        if email in users:
            continue
        existing = accounts.find_user_by_email(session, email)
        if existing is not None:
            users[email] = existing
            continue
        organization = session.scalar(select(Organization).where(Organization.name == organization_name))
        if organization is None:
            continue
        users[email] = accounts.create_user(
            session, email=email, name=name, password=password or secrets.token_urlsafe(32),
            organization=organization, roles=["specialist"], languages=languages,
            check_strength=False)  # the demo's published password (production refuses seed-demo)


def seed_specialists(session: Session, users_by_email: dict[str, User], at: datetime, *,
                     password: str | None = None) -> list[SpecialistProfile]:
    """Give the demo specialists profiles, licences, leave and overrides; add a few more
    specialists (with `password`, else one nobody knows) so each core discipline has two
    people in different zones. Runs the licence-expiry job once so its warning shows."""
    from app.demo.network import EMAIL_DOMAIN

    at = ensure_utc(at)
    users = dict(users_by_email)
    _add_extra_people(session, users, EMAIL_DOMAIN, password)
    verifier = _verifier(users, EMAIL_DOMAIN)
    known = operations.discipline_codes(session)
    profiles = []
    for demo in SPECIALISTS:
        user = users.get(f"{demo.local_part}@{EMAIL_DOMAIN}")
        if user is None or not user.has_role("specialist") or operations.find_profile(session, user.id):
            continue
        values = {"disciplines": list(demo.disciplines), "sub_specialty": demo.sub_specialty,
                  "home_timezone": demo.zone, "weekly_hours": parse_weekly_hours(demo.hours),
                  **demo.settings}
        profile, _ = operations.save_profile(session, user, values, known_disciplines=known)
        today = to_local(at, demo.zone).date()
        for licence in demo.licences:
            expires_on = today + timedelta(days=licence.expires_in_days)
            # An expired licence was recorded and checked back when it was still good.
            recorded_at = at - timedelta(days=10 if licence.expires_in_days >= 0 else 400)
            record = operations.add_licence(session, profile, jurisdiction=licence.country,
                                            registration_number=licence.number,
                                            expires_on=expires_on, at=recorded_at)
            if licence.verified and verifier is not None and verifier.id != user.id:
                operations.verify_licence(session, record, verifier=verifier,
                                          at=recorded_at + timedelta(days=2))
        if demo.leave_days is not None:
            first, last = demo.leave_days
            operations.add_leave(session, profile, from_date=today + timedelta(days=first),
                                 to_date=today + timedelta(days=last), reason="Annual leave")
        if demo.override is not None:
            offset, ranges, note = demo.override
            operations.set_override(session, profile, today + timedelta(days=offset), ranges, note)
        profiles.append(profile)
    warn_expiring_licences(session, at)
    return profiles
