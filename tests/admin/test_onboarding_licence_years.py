"""The onboarding page refuses a licence expiring after the supported years on its row, in the reader's
language, and applies nothing."""
from sqlalchemy import select

from app.accounts.models import User
from tests.conftest import PASSWORD

CSV = ("email,name,disciplines,licence_country,licence_number,licence_expires_on\n"
       "far.future@example.org,Dr Far Future,radiology,CN,CN-9,9999-12-31\n")


def test_a_licence_expiring_in_9999_is_an_error_on_its_row_and_nothing_is_applied(app, client, session,
                                                                                   organization, make_user):
    admin = make_user("admin")
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 302
    for action in ("preview", "apply"):
        response = client.post("/admin/onboarding", data={"organization_id": str(organization.id),
                                                          "action": action, "csv_text": CSV})
        assert response.status_code in (200, 422), response.status_code
        page = response.get_data(as_text=True)
        assert "between the years 1900 and 2199" in page, action
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "far.future@example.org")) is None
    chinese = client.post("/admin/onboarding", headers={"Accept-Language": "zh"},
                          data={"organization_id": str(organization.id), "action": "preview", "csv_text": CSV})
    assert "必须在 1900 年至 2199 年之间" in chinese.get_data(as_text=True)
