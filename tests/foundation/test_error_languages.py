"""Domain errors and validation messages carry their values as data and are shown in the reader's language:
problem+json `detail` and `errors[].message` follow Accept-Language, pages follow the reader's language, and
logs (str(error)) stay English."""
from app.errors import Conflict, InvalidInput
from app.vocabulary import N_


def test_a_domain_error_keeps_its_template_and_values_and_reads_english_outside_a_request():
    error = Conflict(N_("Meeting #%(meeting_id)s is %(meeting_status)s; only a scheduled meeting can start."),
                     params={"meeting_id": 7, "meeting_status": "finished"}, meeting_status="finished")
    assert str(error) == error.message == "Meeting #7 is finished; only a scheduled meeting can start."
    assert error.params == {"meeting_id": 7, "meeting_status": "finished"} and error.extra == {"meeting_status": "finished"}
    assert InvalidInput("notes", N_("must be at most %(limit)s characters"), params={"limit": 5}).message == \
        "must be at most 5 characters"


def test_problem_details_follow_accept_language(client, make_user, api_auth):
    user = make_user("specialist")
    headers = api_auth.headers(user)
    for language, expected in (("en", "No case with id 424242."), ("ru", "Нет случая с id 424242."),
                               ("zh-CN", "没有编号为 424242 的病例。")):
        body = client.get("/api/v1/cases/424242", headers={**headers, "Accept-Language": language}).get_json()
        assert body["detail"] == expected, body
        assert body["status"] == 404


def test_validation_messages_follow_accept_language(client, make_user, api_auth):
    user = make_user("specialist")
    headers = api_auth.headers(user)
    answers = {}
    for language in ("en", "ru", "zh"):
        response = client.patch("/api/v1/me", json={"locale": 5, "unknown": 1},
                                headers={**headers, "Accept-Language": language})
        assert response.status_code == 422
        answers[language] = {e["field"]: e["message"] for e in response.get_json()["errors"]}
    assert answers["en"]["unknown"] == "is not a known field"
    assert answers["ru"]["unknown"] == "неизвестное поле"
    assert answers["zh"]["unknown"] == "不是已知字段"


def test_an_error_page_is_in_the_readers_language(client, make_user):
    from tests.conftest import PASSWORD

    user = make_user("specialist", locale="ru")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    page = client.get("/meetings/424242").get_data(as_text=True)
    assert "Нет заседания с id 424242." in page


def test_instants_in_a_message_are_shown_in_the_readers_language(app):
    error = Conflict(N_("This shift started at %(starts_at)s; cover can only be arranged for shifts that have not "
                        "started yet."), params={"starts_at": "2027-02-10T06:00:00Z"})
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        shown = error.message
    assert shown.startswith("Дежурство началось") and "2027" in shown and "T06:00:00Z" not in shown
    assert "T06:00:00Z" in str(error)  # logs keep the exact instant
