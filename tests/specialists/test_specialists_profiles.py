"""Specialist profiles: the vocabulary, validation that names the field, who may edit, and search."""
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent


def put_profile(client, headers, user_id, body):
    return client.put(f"/api/v1/specialists/{user_id}/profile", headers=headers, json=body)


def test_disciplines_come_from_the_controlled_vocabulary(client, make_user, api_auth):
    response = client.get("/api/v1/disciplines", headers=api_auth.headers(make_user()))
    assert response.status_code == 200
    codes = {row["code"] for row in response.get_json()}
    assert len(codes) == 28
    assert {"radiology", "pathology", "medical-oncology", "clinical-oncology", "thoracic-surgery"} <= codes


def test_a_specialist_creates_then_updates_their_profile(client, session, make_user, api_auth):
    user = make_user("specialist", languages=["en"])
    headers = api_auth.headers(user)
    response = put_profile(client, headers, user.id, {
        "disciplines": ["pathology", "Radiology", "pathology"], "sub_specialty": "  Cytology ",
        "languages": ["ne", "EN"], "home_timezone": "Asia/Kathmandu",
        "weekly_hours": {"sun": [["10:00", "17:00"]], "mon": [["14:00", "18:00"], ["09:00", "12:00"]],
                         "sat": []},
        "buffer_before_minutes": 15, "takes_urgent": False,
    })
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["disciplines"] == ["pathology", "radiology"]
    assert body["sub_specialty"] == "Cytology"
    assert body["languages"] == ["ne", "en"]
    assert body["home_timezone"] == "Asia/Kathmandu"
    # stored in the engine's format, ranges in order, empty days left out
    assert body["weekly_hours"] == {"mon": [["09:00", "12:00"], ["14:00", "18:00"]],
                                    "sun": [["10:00", "17:00"]]}
    assert (body["buffer_before_minutes"], body["buffer_after_minutes"]) == (15, 0)
    assert (body["min_notice_hours"], body["max_meetings_per_day"], body["max_meetings_per_week"]) == (24, 3, 10)
    assert body["takes_urgent"] is False and body["updated_at"].endswith("Z")

    response = put_profile(client, headers, user.id, {"min_notice_hours": 48})
    assert response.status_code == 200
    again = client.get(f"/api/v1/specialists/{user.id}", headers=headers).get_json()
    assert again["min_notice_hours"] == 48
    assert again["disciplines"] == ["pathology", "radiology"]  # omitted fields are kept
    assert again["weekly_hours"]["sun"] == [["10:00", "17:00"]]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("specialist.%"))).all()
    assert actions == ["specialist.profile_created", "specialist.profile_updated"]


@pytest.mark.parametrize("body, field", [
    ({"disciplines": ["radiology", "astrology"]}, "disciplines[1]"),
    ({"disciplines": ["radiology", 7]}, "disciplines[1]"),
    ({"weekly_hours": {"fri": [["09:00", "25:00"]]}}, "weekly_hours.fri[0]"),
    ({"weekly_hours": {"mon": [["09:00", "12:00"]], "fri": [["9am", "5pm"]]}}, "weekly_hours.fri[0]"),
    ({"weekly_hours": {"fry": [["09:00", "17:00"]]}}, "weekly_hours.fry"),
    ({"weekly_hours": {"mon": "09:00-17:00"}}, "weekly_hours.mon"),
    ({"home_timezone": "Mars/Olympus_Mons"}, "home_timezone"),
    ({"home_timezone": None}, "home_timezone"),
    ({"buffer_before_minutes": 241}, "buffer_before_minutes"),
    ({"buffer_after_minutes": -5}, "buffer_after_minutes"),
    ({"max_meetings_per_day": 0}, "max_meetings_per_day"),
    ({"max_meetings_per_day": 5, "max_meetings_per_week": 2}, "max_meetings_per_week"),
    ({"languages": ["english"]}, "languages"),
    ({"takes_urgent": "yes"}, "takes_urgent"),
    ({"colour": "blue"}, "colour"),
])
def test_invalid_profile_fields_are_422_naming_the_field(client, make_specialist, api_auth,
                                                         assert_problem, body, field):
    user = make_specialist()
    response = put_profile(client, api_auth.headers(user), user.id, body)
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == field, problem
    assert field.split("[")[0].split(".")[0] in problem["detail"]


def test_a_new_profile_needs_a_discipline(client, make_user, api_auth, assert_problem):
    user = make_user("specialist")
    problem = assert_problem(put_profile(client, api_auth.headers(user), user.id,
                                         {"home_timezone": "Asia/Dubai"}), 422)
    assert problem["errors"][0]["field"] == "disciplines"


def test_failed_update_changes_nothing(client, make_specialist, api_auth):
    user = make_specialist(zone="Asia/Dubai")
    headers = api_auth.headers(user)
    put_profile(client, headers, user.id, {"home_timezone": "Asia/Karachi", "buffer_before_minutes": 999})
    assert client.get(f"/api/v1/specialists/{user.id}", headers=headers).get_json()["home_timezone"] == "Asia/Dubai"


def test_who_may_edit_a_profile(client, make_user, make_specialist, api_auth, assert_problem):
    alice = make_specialist()
    bob = make_specialist(disciplines=("pathology",))
    referrer = make_user("referrer")
    coordinator = make_user("coordinator")
    admin = make_user("admin")
    change = {"sub_specialty": "Neuro-oncology"}

    assert put_profile(client, api_auth.headers(alice), alice.id, change).status_code == 200
    assert "specialist themself" in assert_problem(
        put_profile(client, api_auth.headers(alice), bob.id, change), 403)["detail"]
    assert_problem(put_profile(client, api_auth.headers(referrer), alice.id, change), 403)
    # a referrer cannot make themself a profile either
    assert_problem(put_profile(client, api_auth.headers(referrer), referrer.id,
                               {"disciplines": ["radiology"]}), 403)
    assert put_profile(client, api_auth.headers(coordinator), bob.id, change).status_code == 200
    assert put_profile(client, api_auth.headers(admin), alice.id, change).status_code == 200
    # only specialists can have a profile, whoever asks
    body = assert_problem(put_profile(client, api_auth.headers(coordinator), referrer.id,
                                      {"disciplines": ["radiology"]}), 409)
    assert "specialist role" in body["detail"]
    assert_problem(put_profile(client, api_auth.headers(coordinator), 9999, change), 404)
    assert_problem(client.put(f"/api/v1/specialists/{alice.id}/profile", json=change), 401)


def test_profile_of_someone_without_one_is_404(client, make_user, api_auth, assert_problem):
    referrer = make_user("referrer")
    body = assert_problem(client.get(f"/api/v1/specialists/{referrer.id}",
                                     headers=api_auth.headers(referrer)), 404)
    assert "no specialist profile" in body["detail"]


def test_search_by_discipline_language_and_urgent_cover(client, make_user, make_specialist, api_auth,
                                                       assert_problem):
    radiologist = make_specialist(disciplines=("radiology",), languages=("ru", "en"), name="A Radiologist")
    pathologist = make_specialist(disciplines=("pathology",), languages=("zh",), takes_urgent=False,
                                  name="B Pathologist")
    both = make_specialist(disciplines=("pathology", "radiology"), languages=("en",), name="C Both")
    headers = api_auth.headers(make_user("referrer"))

    def ids(query=""):
        response = client.get(f"/api/v1/specialists{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [row["user_id"] for row in response.get_json()]

    assert ids() == [radiologist.id, pathologist.id, both.id]
    assert ids("?discipline=radiology") == [radiologist.id, both.id]
    assert ids("?discipline=pathology&language=en") == [both.id]
    assert ids("?language=ZH") == [pathologist.id]
    assert ids("?takes_urgent=false") == [pathologist.id]
    assert ids("?takes_urgent=true&discipline=pathology") == [both.id]
    assert assert_problem(client.get("/api/v1/specialists?discipline=astrology", headers=headers),
                          422)["errors"][0]["field"] == "discipline"
    assert assert_problem(client.get("/api/v1/specialists?language=english", headers=headers),
                          422)["errors"][0]["field"] == "language"
    assert assert_problem(client.get("/api/v1/specialists?licensed_in=XX", headers=headers),
                          422)["errors"][0]["field"] == "licensed_in"
    assert assert_problem(client.get("/api/v1/specialists?colour=red", headers=headers),
                          422)["errors"][0]["field"] == "colour"


def test_deactivated_specialists_are_not_listed(client, session, make_user, make_specialist, api_auth):
    gone = make_specialist()
    gone.is_active = False
    session.commit()
    response = client.get("/api/v1/specialists", headers=api_auth.headers(make_user()))
    assert response.get_json() == []
