"""Domain errors and validation messages carry their values as data and are shown in the reader's language:
problem+json `detail` and `errors[].message` follow Accept-Language, pages follow the reader's language, and
logs (str(error)) stay English."""
import ast
from pathlib import Path

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


def test_refusals_before_the_endpoint_runs_follow_accept_language_too(client, make_user, api_auth):
    """Signing in, roles and the shape of the body are refused in the reader's language as well."""
    answers = {}
    headers = api_auth.headers(make_user("referrer"))
    for language in ("en", "ru", "zh"):
        anonymous = client.get("/api/v1/cases", headers={"Accept-Language": language})
        forbidden = client.get("/api/v1/licences", headers={**headers, "Accept-Language": language})
        not_json = client.patch("/api/v1/me", data="locale=ru", content_type="text/plain",
                                headers={**headers, "Accept-Language": language})
        assert (anonymous.status_code, forbidden.status_code, not_json.status_code) == (401, 403, 415)
        answers[language] = [response.get_json()["detail"] for response in (anonymous, forbidden, not_json)]
    assert answers["en"][0].startswith("Sign in first") and "Bearer" in answers["ru"][0]
    assert answers["en"][1] == "Your role does not allow this. Needed: administrator, coordinator."
    for language in ("ru", "zh"):
        assert all(theirs != english for theirs, english in zip(answers[language], answers["en"])), answers


def test_an_error_page_is_in_the_readers_language(client, make_user):
    from tests.conftest import PASSWORD

    user = make_user("specialist", locale="ru")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    page = client.get("/meetings/424242").get_data(as_text=True)
    assert "Нет заседания с id 424242." in page


def test_working_hours_refused_by_the_scheduling_rules_are_explained_in_the_readers_language(client, make_user,
                                                                                          api_auth):
    user = make_user("specialist")
    headers = api_auth.headers(user)
    answers = {}
    for language in ("en", "ru", "zh"):
        response = client.put(f"/api/v1/specialists/{user.id}/profile",
                              json={"disciplines": ["radiology"], "weekly_hours": {"fri": [["09:00", "25:00"]]}},
                              headers={**headers, "Accept-Language": language})
        assert response.status_code == 422, response.get_json()
        answers[language] = {e["field"]: e["message"] for e in response.get_json()["errors"]}
    assert answers["en"] == {"weekly_hours.fri[0]": 'end "25:00" is out of range (00:00 to 24:00)'}
    assert answers["ru"]["weekly_hours.fri[0]"] != answers["en"]["weekly_hours.fri[0]"]
    assert '"25:00"' in answers["ru"]["weekly_hours.fri[0]"] and '"25:00"' in answers["zh"]["weekly_hours.fri[0]"]
    assert answers["zh"]["weekly_hours.fri[0]"] != answers["en"]["weekly_hours.fri[0]"]


def test_instants_in_a_message_are_shown_in_the_readers_language(app):
    error = Conflict(N_("This shift started at %(starts_at)s; cover can only be arranged for shifts that have not "
                        "started yet."), params={"starts_at": "2027-02-10T06:00:00Z"})
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        shown = error.message
    assert shown.startswith("Дежурство началось") and "2027" in shown and "T06:00:00Z" not in shown
    assert "T06:00:00Z" in str(error)  # logs keep the exact instant


DOMAIN_ERRORS = {"DomainError", "InvalidInput", "MalformedInput", "NotFound", "Conflict", "PermissionDenied",
                 "NotAuthenticated", "TooManyAttempts", "InvalidValue", "SignInRefused", "RequestError"}
FIELD_FIRST = {"InvalidInput", "MalformedInput", "RequestError"}


def _untranslatable_messages(tree):
    """Domain errors built with English text the catalogues cannot hold: a plain or f-string, or text
    glued together (`"..." + x`, `"%s" % x`, `str(exc)`), instead of an `N_("...")` template and its params."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if called not in DOMAIN_ERRORS:
            continue
        position = 1 if called in FIELD_FIRST else 0
        message = next((k.value for k in node.keywords if k.arg in ("message", "template")),
                       node.args[position] if len(node.args) > position else None)
        literal = isinstance(message, (ast.JoinedStr, ast.BinOp)) or (
            isinstance(message, ast.Constant) and isinstance(message.value, str))
        stringified = isinstance(message, ast.Call) and getattr(message.func, "id", None) == "str"
        if literal or stringified:
            yield node.lineno, ast.unparse(message)[:80]


def test_every_domain_error_in_the_app_carries_a_translatable_template():
    root = Path(__file__).resolve().parents[2] / "app"
    found = [f"{path.relative_to(root.parent)}:{line}: {text}"
             for path in sorted(root.rglob("*.py"))
             for line, text in _untranslatable_messages(ast.parse(path.read_text(encoding="utf-8")))]
    assert not found, "Raise these with N_('...%(name)s...'), params={...}:\n" + "\n".join(found)


def test_discipline_codes_are_written_by_their_names_for_the_reader_whatever_their_name(app):
    """A CodeList reads as the disciplines' names in the reader's language under any name; a plain list
    of codes (as a stored notification's params come back) does under `disciplines`."""
    from flask_babel import refresh

    from app.vocabulary import CodeList

    codes = CodeList(["radiology", "pathology"])
    template = N_("the seat needs %(needed)s; the case needs %(disciplines)s; none: %(none)s")
    said = {}
    for language in ("ru", "zh"):
        with app.test_request_context(headers={"Accept-Language": language}):
            refresh()   # the test's application context outlives each request; Flask-Babel keeps its locale there
            said[language] = InvalidInput("seats", template, params={"needed": codes, "disciplines": list(codes),
                                                                     "none": CodeList()}).message
    in_russian = said["ru"].split("; ")[0].removeprefix("the seat needs ")
    assert said["ru"] == f"the seat needs {in_russian}; the case needs {in_russian}; none: —"
    assert said["ru"] != said["zh"] and "radiology" not in said["ru"] + said["zh"]
    assert str(codes) == "radiology, pathology"      # where a message is filled in English (logs)
