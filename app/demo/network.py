"""The demo network: a hub in Fangchenggang and partner sites across nine time zones, with people
of every role.

Plain Python over a session; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import operations as accounts
from app.accounts.models import Organization

EMAIL_DOMAIN = "demo.meridian.health"

# name, country, IANA zone, data-residency region
ORGANIZATIONS = [
    ("Fangchenggang Regional Cancer Centre", "CN", "Asia/Shanghai", "cn"),
    ("Almaty Oncology Institute", "KZ", "Asia/Almaty", "kz"),
    ("Tashkent Republican Clinical Hospital", "UZ", "Asia/Tashkent", "uz"),
    ("Karachi Institute of Oncology", "PK", "Asia/Karachi", "pk"),
    ("Kolkata Medical College Hospital", "IN", "Asia/Kolkata", "in"),
    ("Kathmandu Valley Cancer Hospital", "NP", "Asia/Kathmandu", "np"),
    ("Moscow City Oncology Hospital No. 62", "RU", "Europe/Moscow", "ru"),
    ("Dubai Specialist Hospital", "AE", "Asia/Dubai", "ae"),
    ("Nairobi Teaching and Referral Hospital", "KE", "Africa/Nairobi", "ke"),
]

# local part of the e-mail, name, organisation (index above), roles, languages
PEOPLE = [
    ("admin", "Meridian Administrator", 0, ["admin"], ["en", "zh"]),
    ("coordinator", "Li Na", 0, ["coordinator"], ["zh", "en"]),
    ("coordinator.fcg", "Chen Jing", 0, ["coordinator"], ["zh"]),
    ("coordinator.almaty", "Aigerim Nurlanovna", 1, ["coordinator"], ["kk", "ru", "en"]),
    ("referrer", "Dr Huang Wei", 0, ["referrer"], ["zh", "en"]),
    ("referrer.tashkent", "Dr Dilnoza Karimova", 2, ["referrer"], ["uz", "ru"]),
    ("referrer.nairobi", "Dr Wanjiru Kamau", 8, ["referrer"], ["en", "sw"]),
    ("radiologist.kolkata", "Dr Ananya Sen", 4, ["specialist"], ["en", "bn", "hi"]),
    ("pathologist.kathmandu", "Dr Prakash Shrestha", 5, ["specialist"], ["ne", "en"]),
    ("oncologist.moscow", "Dr Elena Sokolova", 6, ["specialist"], ["ru", "en"]),
    ("surgeon.dubai", "Dr Omar Haddad", 7, ["specialist"], ["ar", "en"]),
    ("oncologist.karachi", "Dr Ayesha Siddiqui", 3, ["specialist", "referrer"], ["ur", "en"]),
    ("radiologist.almaty", "Dr Timur Akhmetov", 1, ["specialist"], ["kk", "ru", "en"]),
    ("pathologist.fcg", "Dr Zhou Min", 0, ["specialist"], ["zh", "en"]),
]


# Interface languages some people chose; everyone else follows their browser.
SAVED_LOCALES = {"oncologist.moscow": "ru", "coordinator.fcg": "zh"}


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    roles: tuple[str, ...]
    organization: str
    timezone: str


def database_is_empty(session: Session) -> bool:
    return session.scalar(select(Organization.id).limit(1)) is None


def seed_network(session: Session, password: str) -> list[DemoLogin]:
    """The demo's sites and people (every role), nothing else."""
    organizations = [
        accounts.create_organization(session, name=name, country=country, timezone=zone,
                                     residency_region=region)
        for name, country, zone, region in ORGANIZATIONS
    ]
    logins = []
    for local_part, name, org_index, roles, languages in PEOPLE:
        organization = organizations[org_index]
        user = accounts.create_user(
            session, email=f"{local_part}@{EMAIL_DOMAIN}", name=name, password=password,
            organization=organization, roles=roles, languages=languages,
            check_strength=False,  # the demo's password is published; production refuses seed-demo
            locale=SAVED_LOCALES.get(local_part),
        )
        logins.append(DemoLogin(user.email, name, tuple(roles), organization.name,
                                organization.timezone))
    return logins


def demo_logins() -> list[DemoLogin]:
    """The logins `seed_demo` creates, without touching a database (for printing)."""
    return [
        DemoLogin(f"{local}@{EMAIL_DOMAIN}", name, tuple(roles), ORGANIZATIONS[index][0],
                  ORGANIZATIONS[index][2])
        for local, name, index, roles, _ in PEOPLE
    ]
