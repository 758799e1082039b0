"""A coordinator onboards a partner hospital's specialists from CSV through the pages, as the
administrator does: the page is in their menu, a dry run shows each row and saves nothing, then applying
creates the specialists and sends each a link to set their password. A referrer may not open it."""
from __future__ import annotations

import io

from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.audit.operations import write_now
from app.notifications.models import Notification
from tests.web.page_helpers import text

CSV = ("email,name,disciplines,languages,timezone,weekly_hours,licence_country,licence_number,licence_expires_on\n"
       "dr.karki@partner.example.org,Dr Meena Karki,pathology,ne;en,Asia/Kathmandu,mon-fri 09:00-17:00,NP,NMC-6610,"
       "2031-03-31\n"
       "dr.tamang@partner.example.org,Dr Pasang Tamang,radiology,en,Asia/Kathmandu,sun-thu 10:00-16:00,,,\n")


def test_a_coordinator_previews_then_applies_a_csv_of_specialists(demo, sign_in, client, session):
    coordinator = demo["coordinator"]
    assert not coordinator.has_role("admin")
    sign_in(coordinator)
    assert 'href="/admin/onboarding"' in text(client.get("/"))          # in the coordinator's menu
    form = client.get("/admin/onboarding")
    assert form.status_code == 200 and "Preview (dry run)" in text(form)
    site = coordinator.organization

    preview = client.post("/admin/onboarding", data={"organization_id": str(site.id), "action": "preview",
                                                     "file": (io.BytesIO(CSV.encode()), "partner.csv")},
                          content_type="multipart/form-data")
    page = text(preview)
    assert preview.status_code == 200, page
    assert "Dry run: nothing is saved yet" in page and "2 rows: 2 to create" in page
    assert "dr.karki@partner.example.org" in page and "Apply these changes" in page
    assert session.scalar(select(User).where(User.email == "dr.karki@partner.example.org")) is None

    applied = client.post("/admin/onboarding", data={"organization_id": str(site.id), "action": "apply",
                                                     "csv_text": CSV})
    assert applied.status_code == 200 and "Onboarding applied: 2 created, 0 updated" in text(applied)
    session.expire_all()
    for email in ("dr.karki@partner.example.org", "dr.tamang@partner.example.org"):
        person = session.scalar(select(User).where(User.email == email))
        assert person is not None and person.has_role("specialist") and person.organization_id == site.id
        assert session.scalar(select(Notification).where(Notification.user_id == person.id,
                                                         Notification.kind == "account.invitation"))
    write_now(session)
    actors = set(session.scalars(select(AuditEvent.actor_id).where(AuditEvent.action == "specialists.imported")))
    assert actors == {coordinator.id}, actors

    client.post("/logout")
    sign_in(demo["referrer"])
    assert client.get("/admin/onboarding").status_code == 403


def test_the_rows_errors_are_in_the_readers_language(demo, sign_in, client, session):
    coordinator = demo["coordinator"]
    coordinator.locale = "ru"
    session.commit()
    sign_in(coordinator)
    bad = ("email,name,disciplines,licence_country,licence_number,licence_expires_on\n"
           "not-an-address,,pathology,NP,NMC-1,31.03.2031\n"
           "twice@partner.example.org,Dr Twice,pathology,,,\n"
           "twice@partner.example.org,Dr Twice,pathology,,,\n")
    preview = client.post("/admin/onboarding", data={"organization_id": str(coordinator.organization_id),
                                                     "action": "preview",
                                                     "file": (io.BytesIO(bad.encode()), "partner.csv")},
                          content_type="multipart/form-data")
    page = text(preview)
    assert "not-an-address — недействительный адрес электронной почты" in page
    assert "обязательно для нового пользователя" in page
    assert "31.03.2031 — не дата в формате ГГГГ-ММ-ДД" in page
    assert "twice@partner.example.org встречается в файле несколько раз (строки 3, 4)" in page
    assert "is required" not in page and "appears more than once" not in page
