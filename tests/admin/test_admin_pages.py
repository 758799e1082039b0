"""The administrator's pages through the test client: sites, people, invitations and the set-password
link, licence checks, the discipline vocabulary and CSV onboarding."""
from __future__ import annotations

import io
import re

from sqlalchemy import select

from app.accounts.models import Organization, User
from app.audit.models import AuditEvent
from app.audit.operations import write_now
from app.notifications.models import Notification
from app.specialists.models import Discipline, Licence
from tests.notifications.emailed_links import emailed_link
from tests.web.page_helpers import error_beside, main_of, text

NEW_PASSWORD = "quiet harbour lantern 58"


def _audited(session, action: str) -> list[AuditEvent]:
    write_now(session)
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_admin_has_a_workspace_of_their_own_and_others_cannot_open_it(demo, sign_in, client):
    page = text(sign_in(demo["admin"]).get("/"))
    for name in ("People", "Sites", "Disciplines", "Licence checks", "Onboarding"):
        assert f">{name}</a>" in page
    assert 'aria-controls="site-menu"' in page  # the phone-width menu button
    for path in ("/admin/users", "/admin/sites", "/admin/sites/new", "/admin/disciplines", "/admin/licences",
                 "/admin/onboarding", "/admin/users/invite", f"/admin/users/{demo['coordinator'].id}"):
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/users/99999999999999999999").status_code == 404
    assert client.get("/admin/users?site=abc&role=king&active=maybe").status_code == 200
    assert client.get("/admin/users?cursor=garbage").status_code == 422
    client.post("/logout")
    sign_in(demo["coordinator"])
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/licences").status_code == 200  # coordinators verify licences too


def test_an_admin_adds_and_edits_a_site(demo, sign_in, client, session):
    sign_in(demo["admin"])
    refused = client.post("/admin/sites/new", data={"name": "Almaty Oncology Centre", "country": "XX",
                                                     "timezone": "Asia/Almaty", "residency_region": "kz"})
    assert refused.status_code == 422
    assert "ISO 3166" in error_beside(text(refused), "country")
    saved = client.post("/admin/sites/new", data={"name": "Almaty Oncology Centre", "country": "KZ",
                                                   "timezone": "Asia/Almaty", "residency_region": "kz"})
    assert saved.status_code == 302
    site = session.scalar(select(Organization).where(Organization.name == "Almaty Oncology Centre"))
    assert client.post(f"/admin/sites/{site.id}", data={"name": site.name, "country": "KZ", "timezone": "Asia/Qostanay",
                                                          "residency_region": "eaeu"}).status_code == 302
    session.refresh(site)
    assert (site.timezone, site.residency_region) == ("Asia/Qostanay", "eaeu")
    assert "Almaty Oncology Centre" in text(client.get("/admin/sites"))
    assert _audited(session, "organization.updated")


def test_an_invited_coordinator_sets_a_password_once_and_signs_in(app, demo, sign_in, client, session):
    sign_in(demo["admin"])
    site = demo["coordinator"].organization
    answer = client.post("/admin/users/invite", data={"name": "Anna Petrova", "email": "anna.petrova@example.org",
                                                      "organization_id": str(site.id), "roles": ["coordinator"]})
    assert answer.status_code == 302, text(answer)
    invited = session.scalar(select(User).where(User.email == "anna.petrova@example.org"))
    assert "Sent; unused" in text(client.get(f"/admin/users/{invited.id}"))
    # The database holds no link: the e-mail gets one made from the link's row and the app's key.
    assert session.scalar(select(Notification.link).where(Notification.user_id == invited.id)) is None
    link = emailed_link(app, session, invited)
    assert link.startswith("/set-password/")
    assert client.post("/admin/users/invite", data={"name": "Anna Again", "email": "ANNA.PETROVA@example.org",
                                                    "organization_id": str(site.id),
                                                    "roles": ["referrer"]}).status_code == 409
    client.post("/logout")

    weak = client.post(link, data={"new_password": "short", "confirm": "short"})
    assert weak.status_code == 422 and "at least 12" in error_beside(text(weak), "new_password")
    done = client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert client.get(link).status_code == 404  # used once
    sign_in(invited, password=NEW_PASSWORD)
    assert ">Dashboard</a>" in text(client.get("/"))
    assert _audited(session, "user.invited") and _audited(session, "auth.password_set_with_link")


def test_roles_deactivation_and_reset_keep_the_rules(demo, sign_in, client, session):
    admin, referrer = demo["admin"], demo["referrer"]
    sign_in(admin)
    own = client.post(f"/admin/users/{admin.id}/roles", data={"roles": ["admin", "specialist"]})
    assert own.status_code == 403 and "another administrator" in text(own)
    assert client.post(f"/admin/users/{referrer.id}/roles",
                       data={"roles": ["referrer", "specialist"]}).status_code == 302
    session.refresh(referrer)
    assert referrer.roles == {"referrer", "specialist"}
    assert client.post(f"/admin/users/{referrer.id}/active", data={"active": "no"}).status_code == 302
    session.refresh(referrer)
    assert not referrer.is_active
    assert "Deactivated" in text(client.get("/admin/users?active=no"))
    assert client.post(f"/admin/users/{referrer.id}/active", data={"active": "yes"}).status_code == 302
    assert client.post(f"/admin/users/{referrer.id}/reset").status_code == 302
    assert session.scalar(select(Notification).where(Notification.user_id == referrer.id,
                                                     Notification.kind == "account.password_reset"))
    client.post("/logout")
    refused = client.post("/login", data={"email": referrer.email, "password": "demo-password-for-tests"})
    assert refused.status_code == 401  # the old password stopped working


def test_licences_are_verified_or_refused_with_evidence(demo, sign_in, client, session):
    sign_in(demo["admin"])
    page = text(client.get("/admin/licences?queue=pending"))
    ids = [int(found) for found in re.findall(r'id="licence-(\d+)"', page)]
    assert len(ids) >= 2, "the demo has licences waiting for verification"
    assert client.post(f"/admin/licences/{ids[0]}?queue=pending",
                       data={"verdict": "verify", "note": "Checked on the national register"}).status_code == 302
    assert client.post(f"/admin/licences/{ids[1]}?queue=pending", data={"verdict": "reject", "note": ""}).status_code == 302
    assert session.get(Licence, ids[1]).rejected_at is None  # a refusal needs its reason
    client.post(f"/admin/licences/{ids[1]}?queue=pending", data={"verdict": "reject", "note": "Number not found"})
    session.expire_all()
    assert session.get(Licence, ids[0]).verification_note == "Checked on the national register"
    assert session.get(Licence, ids[1]).rejected_at is not None
    assert [event.detail["note"] for event in _audited(session, "licence.rejected")] == ["Number not found"]
    for queue in ("expiring", "expired", "nonsense"):
        assert client.get(f"/admin/licences?queue={queue}").status_code == 200
    client.post("/logout")
    sign_in(session.get(Licence, ids[1]).profile.user)  # the holder reads why
    own = main_of(text(client.get("/me/licences")))
    assert "refused" in own and "Number not found" in own


def test_a_discipline_is_added_translated_and_retired(demo, sign_in, client, session):
    sign_in(demo["admin"])
    bad = client.post("/admin/disciplines", data={"code": "Sarcoma!", "name": "Sarcoma surgery"})
    assert bad.status_code == 422 and error_beside(text(bad), "code")
    assert client.post("/admin/disciplines", data={"code": "sarcoma-surgery", "name": "Sarcoma surgery",
                                                   "label_zh": "肉瘤外科", "label_ru": "Хирургия сарком"}).status_code == 302
    assert client.post("/admin/disciplines/sarcoma-surgery/retired", data={"retired": "yes"}).status_code == 302
    assert session.get(Discipline, "sarcoma-surgery").retired_at is not None
    assert "Retired" in text(client.get("/admin/disciplines"))
    client.post("/language", data={"locale": "zh"})
    assert "肉瘤外科" in main_of(text(client.get("/admin/disciplines")))


CSV = ("email,name,disciplines,languages,timezone,weekly_hours,licence_country,licence_number,licence_expires_on\n"
       "dr.sharma@example.org,Dr Priya Sharma,pathology,en;hi,Asia/Kathmandu,mon-fri 09:00-17:00,NP,NMC-5521,2030-01-31\n"
       "dr.rai@example.org,Dr Bikash Rai,radiology,en,Asia/Kathmandu,mon-fri 10:00-16:00,,,\n")


def test_csv_onboarding_previews_row_by_row_then_applies(demo, sign_in, client, session):
    sign_in(demo["admin"])
    site = demo["coordinator"].organization
    broken = CSV.replace("radiology", "astrology")
    preview = client.post("/admin/onboarding", data={"organization_id": str(site.id), "action": "preview",
                                                     "file": (io.BytesIO(broken.encode()), "partners.csv")},
                          content_type="multipart/form-data")
    page = text(preview)
    assert preview.status_code == 200 and "will create" in page and "<strong>disciplines</strong>" in page
    assert "Apply these changes" not in page
    preview = client.post("/admin/onboarding", data={"organization_id": str(site.id), "action": "preview",
                                                     "file": (io.BytesIO(CSV.encode()), "partners.csv")},
                          content_type="multipart/form-data")
    assert "2 rows: 2 to create" in text(preview)
    assert "<strong>timezone</strong>: <span class=\"wrap\">Asia/Kathmandu</span>" in text(preview)
    assert session.scalar(select(User).where(User.email == "dr.sharma@example.org")) is None  # a dry run
    applied = client.post("/admin/onboarding", data={"organization_id": str(site.id), "action": "apply",
                                                     "csv_text": CSV})
    assert applied.status_code == 200 and "Onboarding applied" in text(applied)
    created = session.scalar(select(User).where(User.email == "dr.sharma@example.org"))
    assert created is not None and created.has_role("specialist")
    assert session.scalar(select(Notification).where(Notification.user_id == created.id,
                                                     Notification.kind == "account.invitation"))
    empty = client.post("/admin/onboarding", data={"organization_id": str(site.id), "action": "preview"})
    assert empty.status_code == 422


def test_the_onboarding_command_previews_then_applies(demo, app, session, tmp_path):
    site = demo["coordinator"].organization
    path = tmp_path / "partners.csv"
    path.write_text(CSV, encoding="utf-8")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["onboard-specialists", str(path), "--site", site.name])
    assert dry.exit_code == 0, dry.output
    assert "row 2 dr.sharma@example.org: will create" in dry.output and "nothing written (add --apply)" in dry.output
    assert session.scalar(select(User).where(User.email == "dr.rai@example.org")) is None
    applied = runner.invoke(args=["onboard-specialists", str(path), "--site", str(site.id), "--apply"])
    assert applied.exit_code == 0, applied.output
    assert "row 3 dr.rai@example.org: created" in applied.output
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "dr.rai@example.org")).has_role("specialist")
    unknown = runner.invoke(args=["onboard-specialists", str(path), "--site", "Atlantis General"])
    assert unknown.exit_code != 0 and "no site" in unknown.output
