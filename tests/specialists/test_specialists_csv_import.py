"""Bulk onboarding from CSV: a dry run reports row by row; applying is all or nothing."""
import pytest
from sqlalchemy import func, select

from app.accounts.models import PasswordLink, User
from app.audit.models import AuditEvent
from app.errors import InvalidInput
from app.specialists.csv_import import format_weekly_hours, parse_weekly_hours
from app.specialists.models import Licence, SpecialistProfile
from tests.conftest import PASSWORD

HEADER = ("email,name,disciplines,languages,timezone,weekly_hours,"
          "licence_country,licence_number,licence_expires_on\n")
GOOD_ROWS = (
    "sen@kolkata.example.org,Dr Ananya Sen,radiology,en;bn;hi,Asia/Kolkata,"
    "mon-fri 09:30-13:00 14:00-17:30; sat 09:30-13:00,IN,WBMC-68412,2030-06-30\n"
    "akhmetov@almaty.example.org,Dr Timur Akhmetov,radiology;nuclear-medicine,kk;ru,,"
    "\"mon-fri 08:00-17:00; sat 22:00-02:00\",,,\n"
)
BAD_ROWS = (
    "bad.hours@example.org,Dr Bad Hours,pathology,en,,mon-fri 09:00-25:00,,,\n"
    "bad.discipline@example.org,Dr Astro,astrology,en,,,,,\n"
    "no.name@example.org,,pathology,en,,,,,\n"
    "half.licence@example.org,Dr Half,pathology,en,,,CN,,\n"
    "not an email,Dr Nobody,pathology,en,,,,,\n"
)


def post_csv(client, headers, organization_id, text, apply=None, content_type="text/csv"):
    query = {"organization_id": organization_id}
    if apply is not None:
        query["apply"] = "true" if apply else "false"
    return client.post("/api/v1/specialists/import", query_string=query, headers=headers,
                       data=text.encode("utf-8"), content_type=content_type)


def counts(session):
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(User)),
            session.scalar(select(func.count()).select_from(SpecialistProfile)),
            session.scalar(select(func.count()).select_from(Licence)))


@pytest.fixture
def coordinator_headers(make_user, api_auth):
    return api_auth.headers(make_user("coordinator"))


def test_dry_run_reports_every_row_and_writes_nothing(client, session, organization, coordinator_headers):
    before = counts(session)
    response = post_csv(client, coordinator_headers, organization.id, HEADER + GOOD_ROWS + BAD_ROWS)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["applied"] is False
    assert report["totals"] == {"rows": 7, "create": 2, "update": 0, "unchanged": 0, "error": 5}
    rows = {row["row"]: row for row in report["rows"]}
    sen = rows[2]
    assert (sen["email"], sen["action"], sen["errors"]) == ("sen@kolkata.example.org", "create", [])
    assert sen["changes"]["weekly_hours"] == {"from": None, "to": "mon-fri 09:30-13:00 14:00-17:30; sat 09:30-13:00"}
    assert sen["changes"]["disciplines"]["to"] == ["radiology"]
    assert sen["changes"]["licence"]["to"] == {"country": "IN", "number": "WBMC-68412", "expires_on": "2030-06-30"}
    # an empty time zone cell means the organisation's zone
    assert rows[3]["changes"]["home_timezone"]["to"] == "Asia/Shanghai"

    def errors(number):
        assert rows[number]["action"] == "error" and rows[number]["changes"] == {}
        return [(e["field"], e["message"]) for e in rows[number]["errors"]]

    [(field, message)] = errors(4)
    assert field == "weekly_hours" and "'09:00-25:00' on mon" in message and "out of range" in message
    [(field, message)] = errors(5)
    assert field == "disciplines" and "'astrology'" in message
    assert errors(6) == [("name", "is required for a new user")]
    assert {field for field, _ in errors(7)} == {"licence_number", "licence_expires_on"}
    assert errors(8)[0][0] == "email"
    assert counts(session) == before


def test_applying_a_file_with_a_bad_row_writes_nothing(client, session, organization, coordinator_headers,
                                                      assert_problem):
    before = counts(session)
    response = post_csv(client, coordinator_headers, organization.id, HEADER + GOOD_ROWS + BAD_ROWS, apply=True)
    problem = assert_problem(response, 422)
    assert "nothing was imported" in problem["detail"]
    assert problem["applied"] is False and problem["totals"]["error"] == 5
    assert len(problem["rows"]) == 7
    assert {"row": 4, "field": "weekly_hours"}.items() <= problem["errors"][0].items()
    assert counts(session) == before
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "specialists.imported")) is None


def test_applying_good_rows_creates_specialists_then_reimport_is_unchanged(
        client, session, organization, make_user, coordinator_headers):
    users_before = counts(session)[0]
    response = post_csv(client, coordinator_headers, organization.id, HEADER + GOOD_ROWS, apply=True)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["applied"] is True
    assert response.get_json()["totals"] == {"rows": 2, "create": 2, "update": 0, "unchanged": 0, "error": 0}
    assert counts(session) == (users_before + 2, 2, 1)

    sen = session.scalar(select(User).where(User.email == "sen@kolkata.example.org"))
    assert sen.roles == {"specialist"} and sen.organization_id == organization.id
    assert sen.languages == ["en", "bn", "hi"]
    profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == sen.id))
    assert profile.home_timezone == "Asia/Kolkata"
    assert profile.weekly_hours["mon"] == [["09:30", "13:00"], ["14:00", "17:30"]]
    assert profile.licences[0].verified_at is None  # imported licences await verification
    timur = session.scalar(select(User).where(User.email == "akhmetov@almaty.example.org"))
    timur_profile = session.scalar(select(SpecialistProfile).where(SpecialistProfile.user_id == timur.id))
    assert timur_profile.discipline_codes == ["nuclear-medicine", "radiology"]
    assert timur_profile.weekly_hours["sat"] == [["22:00", "02:00"]]
    # nobody knows the password of an imported user; each new person is sent a link to choose one
    assert client.post("/api/v1/auth/token", json={"email": sen.email, "password": PASSWORD}).status_code == 401
    assert response.get_json()["invited"] == 2
    links = session.scalars(select(PasswordLink).where(PasswordLink.user_id.in_([sen.id, timur.id]))).all()
    assert sorted(link.user_id for link in links) == sorted([sen.id, timur.id])
    assert {link.purpose for link in links} == {"invitation"}
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "specialists.imported"))
    assert event.detail["created"] == ["sen@kolkata.example.org", "akhmetov@almaty.example.org"]
    assert event.detail["via"] == "api"

    again = post_csv(client, coordinator_headers, organization.id, HEADER + GOOD_ROWS, apply=True)
    assert again.status_code == 200
    assert [row["action"] for row in again.get_json()["rows"]] == ["unchanged", "unchanged"]
    assert again.get_json()["invited"] == 0   # nobody new, nobody invited again
    assert counts(session) == (users_before + 2, 2, 1)


def test_reimport_updates_existing_users_of_the_organisation(client, session, organization, make_user,
                                                             make_specialist, coordinator_headers):
    specialist = make_specialist(email="zhou@fcg.example.org", zone="Asia/Shanghai", disciplines=("pathology",),
                                 name="Dr Zhou Min")
    referrer = make_user("referrer", email="huang@fcg.example.org", name="Dr Huang Wei")
    text = ("email,name,disciplines,weekly_hours\n"
            "ZHOU@fcg.example.org,,pathology;haematology,mon-fri 08:00-12:00 14:30-17:30\n"
            "huang@fcg.example.org,Dr Huang Wei,medical-oncology,\n")
    report = post_csv(client, coordinator_headers, organization.id, text).get_json()
    zhou, huang = report["rows"]
    assert zhou["action"] == "update"
    assert zhou["changes"]["disciplines"] == {"from": ["pathology"], "to": ["haematology", "pathology"]}
    assert zhou["changes"]["weekly_hours"] == {"from": "mon-fri 09:00-17:00",
                                               "to": "mon-fri 08:00-12:00 14:30-17:30"}
    assert "name" not in zhou["changes"]  # an empty cell keeps the current value
    assert huang["action"] == "update"
    assert huang["changes"]["roles"] == {"from": ["referrer"], "to": ["referrer", "specialist"]}
    assert post_csv(client, coordinator_headers, organization.id, text, apply=True).status_code == 200
    session.expire_all()
    assert session.get(User, referrer.id).roles == {"referrer", "specialist"}
    assert session.scalar(select(SpecialistProfile).where(
        SpecialistProfile.user_id == specialist.id)).discipline_codes == ["haematology", "pathology"]


def test_users_of_another_organisation_and_duplicates_are_errors(client, make_user, organization, other_organization,
                                                                 coordinator_headers):
    make_user("specialist", email="shrestha@ktm.example.org", organization_=other_organization)
    text = ("email,name,disciplines\n"
            "shrestha@ktm.example.org,Dr Prakash Shrestha,pathology\n"
            "twice@example.org,Dr Twice,pathology\n"
            "Twice@Example.org,Dr Twice Again,radiology\n")
    rows = post_csv(client, coordinator_headers, organization.id, text).get_json()["rows"]
    assert "Kathmandu Valley Cancer Hospital" in rows[0]["errors"][0]["message"]
    for row in rows[1:]:
        assert row["action"] == "error"
        assert row["errors"] == [{"field": "email",
                                  "message": "twice@example.org appears more than once in the file (rows 3, 4)"}]


def test_bad_requests_are_problems(client, app, session, make_user, api_auth, organization, coordinator_headers,
                                   assert_problem):
    assert_problem(post_csv(client, coordinator_headers, organization.id, HEADER + GOOD_ROWS,
                            content_type="application/json"), 415)
    assert_problem(post_csv(client, coordinator_headers, organization.id, HEADER,
                            content_type="text/csv; charset=latin-1"), 415)
    app.config["SPECIALIST_IMPORT_MAX_BYTES"] = 100
    assert "larger than 100 bytes" in assert_problem(
        post_csv(client, coordinator_headers, organization.id, HEADER + GOOD_ROWS), 413)["detail"]
    app.config["SPECIALIST_IMPORT_MAX_BYTES"] = 2 * 1024 * 1024
    for role in ("referrer", "specialist"):
        assert_problem(post_csv(client, api_auth.headers(make_user(role)), organization.id, HEADER), 403)
    assert_problem(post_csv(client, api_auth.headers(make_user("admin")), 9999, HEADER), 422)
    problem = assert_problem(client.post("/api/v1/specialists/import", headers=coordinator_headers,
                                         data=b"email\n", content_type="text/csv"), 422)
    assert problem["errors"][0]["field"] == "organization_id"
    problem = assert_problem(post_csv(client, coordinator_headers, organization.id, "email,nickname\n"), 422)
    assert problem["errors"][0]["field"] == "columns" and "nickname" in problem["detail"]
    problem = assert_problem(post_csv(client, coordinator_headers, organization.id, "name,disciplines\n"), 422)
    assert problem["errors"][0]["field"] == "columns"
    assert_problem(post_csv(client, coordinator_headers, organization.id, ""), 422)
    problem = assert_problem(client.post("/api/v1/specialists/import", headers=coordinator_headers,
                                         query_string={"organization_id": organization.id},
                                         data="email\n\xe9".encode("latin-1"), content_type="text/csv"), 422)
    assert "UTF-8" in problem["detail"]
    # A NUL in any cell: the file is refused, naming its line, and nobody is imported.
    before = counts(session)
    rows = GOOD_ROWS.splitlines(keepends=True)
    with_nul = HEADER + rows[0] + rows[1].replace(",", "\x00,", 1)
    for apply in (False, True):
        problem = assert_problem(post_csv(client, coordinator_headers, organization.id, with_nul, apply=apply), 422)
        assert problem["errors"][0]["field"] == "body" and "line 3" in problem["detail"] and "NUL" in problem["detail"]
    assert counts(session) == before


def test_a_byte_order_mark_and_blank_lines_are_fine(client, organization, coordinator_headers):
    text = "\ufeff" + HEADER + "\n" + GOOD_ROWS + ",,,,,,,,\n"
    report = post_csv(client, coordinator_headers, organization.id, text).get_json()
    assert report["totals"]["create"] == 2 and report["totals"]["rows"] == 2


@pytest.mark.parametrize("text, expected", [
    ("mon-fri 09:00-17:00", {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}),
    ("sat 22:00-02:00", {"sat": [["22:00", "02:00"]]}),
    ("MON,wed 8:00-12:00, 13:00 - 17:00; thu 18:00–21:00",
     {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "wed": [["08:00", "12:00"], ["13:00", "17:00"]],
      "thu": [["18:00", "21:00"]]}),
    ("fri-mon 10:00-11:00", {d: [["10:00", "11:00"]] for d in ("mon", "fri", "sat", "sun")}),
    ("mon 14:00-18:00; mon 09:00-12:00", {"mon": [["09:00", "12:00"], ["14:00", "18:00"]]}),
    ("sun 00:00-24:00;", {"sun": [["00:00", "24:00"]]}),
])
def test_compact_weekly_hours(text, expected):
    assert parse_weekly_hours(text) == expected


@pytest.mark.parametrize("text, message", [
    ("mon-fry 09:00-17:00", "'fry' is not a day"),
    ("09:00-17:00", "name the days first"),
    ("mon 9-17", "'9-17' is not a time range"),
    ("tue 10:00-10:00", "start equals end"),
    ("weekdays", "expected days then times"),
])
def test_compact_weekly_hours_errors(text, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        parse_weekly_hours(text)
    assert caught.value.field == "weekly_hours"


def test_compact_weekly_hours_round_trip():
    text = "mon-wed,fri 09:00-13:00 14:00-18:00; thu 09:00-13:00; sat 22:00-02:00"
    assert format_weekly_hours(parse_weekly_hours(text)) == text
