"""A FHIR client is refused in its reader's language: every OperationOutcome's `diagnostics` (the facade's own
refusals, the domain's rules, Werkzeug's routing and size limits) is a Meridian sentence in the language of
`Accept-Language` (English without one), while the issue code, the expression and the status stay the same;
logs keep English. Every refusal in app/fhir is built from a template marked for the catalogues."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import app.fhir
from app.fhir.errors import FhirError, Phrase, from_domain, invalid_element
from app.vocabulary import N_

from tests.fhir.conftest import FHIR_JSON, validated

ENGLISH: dict = {}
RUSSIAN = {"Accept-Language": "ru-RU,ru;q=0.9"}
CHINESE = {"Accept-Language": "zh-CN"}
LANGUAGES = {"en": ENGLISH, "ru": RUSSIAN, "zh": CHINESE}


def refused(response, status: int) -> dict:
    """The one issue of an OperationOutcome answered with `status` (and its headers, under `_headers`)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == FHIR_JSON, response.get_data(as_text=True)[:200]
    body = validated(response.get_json())
    assert body["resourceType"] == "OperationOutcome"
    (issue,) = body["issue"]
    assert issue["severity"] == "error"
    return {**issue, "_headers": dict(response.headers)}


def ask(client, headers, language: str, method: str, path: str, user=None, *, extra=None, **kwargs) -> object:
    sent = {**(headers(user) if user is not None else {}), **LANGUAGES[language], **(extra or {})}
    return client.open("/fhir/R4/" + path, method=method, headers=sent, **kwargs)


def in_each_language(client, headers, status: int, method: str, path: str, user=None, **kwargs) -> dict:
    """The refusal in English, Russian and Chinese: same code, expression and status, each its own words."""
    issues = {language: refused(ask(client, headers, language, method, path, user, **kwargs), status)
              for language in LANGUAGES}
    for issue in issues.values():
        assert (issue["code"], issue.get("expression")) == (issues["en"]["code"], issues["en"].get("expression"))
    texts = {language: issue["diagnostics"] for language, issue in issues.items()}
    assert len(set(texts.values())) == 3, texts
    return issues


def words(issues: dict) -> dict:
    return {language: issue["diagnostics"] for language, issue in issues.items()}


# --- what a client sees ---------------------------------------------------------------------------------------


SEARCH_REFUSALS = [
    ("ServiceRequest?authored=ge2026-13-45", 400, "invalid", "authored", {
        "en": "authored: '2026-13-45' is not a real date and time (no such month, day, hour, minute or second).",
        "ru": "authored: «2026-13-45» — несуществующие дата или время (такого месяца, дня, часа, минуты или "
              "секунды нет).",
        "zh": "authored：“2026-13-45”不是真实存在的日期时间（月、日、时、分或秒超出范围）。"}),
    ("Appointment?date=tomorrow", 400, "invalid", "date", {
        "en": "date: 'tomorrow' is not a FHIR date or dateTime (e.g. 2026-03-02 or 2026-03-02T09:00:00Z).",
        "ru": "date: «tomorrow» не является значением FHIR date или dateTime (например, 2026-03-02 или "
              "2026-03-02T09:00:00Z).",
        "zh": "date：“tomorrow”不是 FHIR date 或 dateTime 值（例如 2026-03-02 或 2026-03-02T09:00:00Z）。"}),
    ("ServiceRequest?authored=ne2026-03-02", 400, "invalid", "authored", {
        "en": "authored: the prefix 'ne' is not supported; use one of eq, gt, ge, lt, le.",
        "ru": "authored: префикс «ne» не поддерживается; используйте один из: eq, gt, ge, lt, le.",
        "zh": "authored：不支持前缀“ne”；请使用以下之一：eq, gt, ge, lt, le。"}),
    ("ServiceRequest?status=bogus", 400, "invalid", "status", {
        "en": "status: bogus is not a ServiceRequest status.",
        "ru": "status: bogus — не статус ServiceRequest.",
        "zh": "status：bogus 不是 ServiceRequest 的状态。"}),
    ("ServiceRequest?_count=lots", 400, "invalid", "_count", {
        "en": "_count must be a whole number from 0 to 100.",
        "ru": "_count должен быть целым числом от 0 до 100.",
        "zh": "_count 必须是 0 至 100 之间的整数。"}),
    ("Slot?schedule=Schedule/1&start=ge2026-03-05&start=lt2026-03-03", 400, "invalid", "start", {
        "en": "start: the window's upper bound must be after its lower bound.",
        "ru": "start: верхняя граница интервала должна быть позже нижней.",
        "zh": "start：时间窗口的上限必须晚于下限。"}),
    ("Slot?schedule=Schedule/1&start=ge2026-03-02&start=lt2026-06-03", 400, "invalid", "start", {
        "en": "start: the window may span at most 31 days.",
        "ru": "start: длина интервала — не более 31 дн.",
        "zh": "start：时间窗口最长为 31 天。"}),
    ("Patient", 404, "not-supported", None, {
        "en": "'Patient' is not a resource type this server supports; see /fhir/R4/metadata.",
        "ru": "Тип ресурса «Patient» этим сервером не поддерживается; см. /fhir/R4/metadata.",
        "zh": "本服务器不支持资源类型“Patient”；请参阅 /fhir/R4/metadata。"}),
    ("ServiceRequest/999", 404, "not-found", None, {
        "en": "No ServiceRequest with id 999.",
        "ru": "Нет объекта «ServiceRequest» с id 999.",
        "zh": "没有编号为 999 的ServiceRequest。"}),
]


@pytest.mark.parametrize("path, status, code, expression, expected", SEARCH_REFUSALS,
                         ids=[case[0] for case in SEARCH_REFUSALS])
def test_a_bad_search_or_read_is_refused_in_the_readers_language(client, headers, network, path, status, code,
                                                                 expression, expected):
    issues = in_each_language(client, headers, status, "GET", path, network.referrer)
    assert words(issues) == expected
    assert issues["en"]["code"] == code and issues["en"].get("expression") == ([expression] if expression else None)


def test_a_reader_who_chose_a_language_is_refused_in_it_without_asking(fhir, network, session):
    network.referrer.locale = "zh"
    session.commit()
    outcome = fhir.get("ServiceRequest", network.referrer, params={"status": "bogus"}, status=400)
    assert outcome["issue"][0]["diagnostics"] == "status：bogus 不是 ServiceRequest 的状态。"
    # A client that names a language gets it, as with resources.
    outcome = fhir.get("ServiceRequest", network.referrer, params={"status": "bogus"}, status=400,
                       extra_headers=RUSSIAN)
    assert outcome["issue"][0]["diagnostics"] == "status: bogus — не статус ServiceRequest."


def test_an_unknown_search_parameter_is_reported_and_refused_in_the_readers_language(fhir, client, headers,
                                                                                     network):
    bundle = fhir.get("Organization", network.referrer, params={"colour": "blue"}, extra_headers=CHINESE)
    (warning,) = [entry["resource"]["issue"][0] for entry in bundle["entry"] if entry["search"]["mode"] == "outcome"]
    assert warning == {"severity": "warning", "code": "not-supported", "expression": ["colour"],
                       "diagnostics": "此处不支持搜索参数“colour”，已忽略。"}

    strict = {"Prefer": "handling=strict"}
    issues = in_each_language(client, headers, 400, "GET", "Organization?colour=blue", network.referrer,
                              extra=strict)
    assert words(issues) == {"en": "Unknown search parameter(s): colour (Prefer: handling=strict).",
                             "ru": "Неизвестные параметры поиска: colour (Prefer: handling=strict).",
                             "zh": "未知的搜索参数：colour（Prefer: handling=strict）。"}
    assert issues["ru"]["code"] == "not-supported"


def test_no_token_or_a_bad_one_is_refused_in_the_readers_language(client, headers, network):
    issues = in_each_language(client, headers, 401, "GET", "Organization")
    assert words(issues) == {
        "en": "Sign in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token.",
        "ru": "Сначала войдите: отправьте 'Authorization: Bearer <token>', полученный от POST /api/v1/auth/token.",
        "zh": "请先登录：发送从 POST /api/v1/auth/token 获得的 'Authorization: Bearer <token>'。"}
    assert issues["zh"]["code"] == "login" and issues["zh"]["_headers"]["WWW-Authenticate"].startswith("Bearer")
    bad = in_each_language(client, lambda user: {"Authorization": "Bearer not-a-token"}, 401, "GET",
                           "Organization", network.referrer)
    assert words(bad) == words(issues)


def test_a_role_that_may_not_is_refused_in_the_readers_language(client, headers, network):
    body = json.dumps({"resourceType": "ServiceRequest"})
    issues = in_each_language(client, headers, 403, "POST", "ServiceRequest", network.coordinator, data=body,
                              content_type=FHIR_JSON)
    assert words(issues) == {"en": "Your role does not allow this.", "ru": "Ваша роль этого не позволяет.",
                             "zh": "您的角色不允许此操作。"}
    assert issues["ru"]["code"] == "forbidden"


def test_a_body_of_the_wrong_resource_type_is_refused_in_the_readers_language(client, headers, network):
    body = json.dumps({"resourceType": "Patient", "id": "p"})
    issues = in_each_language(client, headers, 400, "POST", "ServiceRequest", network.referrer, data=body,
                              content_type=FHIR_JSON)
    assert words(issues) == {"en": "Expected a ServiceRequest resource (resourceType 'ServiceRequest').",
                             "ru": "Ожидался ресурс ServiceRequest (resourceType «ServiceRequest»).",
                             "zh": "应为 ServiceRequest 资源（resourceType 为“ServiceRequest”）。"}
    assert issues["zh"]["code"] == "structure"


def test_a_body_that_is_not_fhir_json_is_refused_in_the_readers_language(client, headers, network):
    issues = in_each_language(client, headers, 415, "POST", "ServiceRequest", network.referrer, data="<xml/>",
                              content_type="application/xml")
    assert issues["ru"]["diagnostics"] == ("Отправьте тело запроса в формате FHIR JSON с заголовком "
                                           "'Content-Type: application/fhir+json'.")
    assert issues["ru"]["code"] == "not-supported"


def referral(network, **changes) -> str:
    body = {"resourceType": "ServiceRequest", "status": "draft", "intent": "order",
            "subject": {"identifier": {"value": "FCG-2026-7001"}},
            "performer": [{"reference": f"HealthcareService/{network.board.id}"}]}
    return json.dumps({**body, **changes})


def test_a_referral_rule_names_the_element_and_reads_in_the_readers_language(client, headers, network):
    named = {"contained": [{"resourceType": "Patient", "id": "p", "name": [{"family": "Huang"}]}],
             "subject": {"reference": "#p", "identifier": {"value": "FCG-2026-7001"}}}
    issues = in_each_language(client, headers, 422, "POST", "ServiceRequest", network.referrer,
                              data=referral(network, **named), content_type=FHIR_JSON)
    assert words(issues) == {
        "en": "Patient.name: Meridian never stores a patient's name; send only the site's pseudonymous "
              "reference as the identifier",
        "ru": "Patient.name: Meridian никогда не хранит ФИО пациента; передайте в качестве идентификатора только "
              "псевдонимный код пациента, присвоенный учреждением",
        "zh": "Patient.name：Meridian 从不存储患者姓名；请仅将本机构的患者假名编号作为标识符发送"}
    assert issues["zh"]["code"] == "processing" and issues["zh"]["expression"] == ["Patient.name"]

    # The requester's id is the client's own value, kept as it is in every language.
    someone_else = {"requester": {"reference": f"Practitioner/{network.colleague.id}"}}
    issues = in_each_language(client, headers, 422, "POST", "ServiceRequest", network.referrer,
                              data=referral(network, **someone_else), content_type=FHIR_JSON)
    assert issues["ru"]["diagnostics"] == (f"ServiceRequest.requester: должен быть вы "
                                           f"(Practitioner/{network.referrer.id}) или не указан")


def test_a_domain_rule_reached_through_the_facade_reads_in_the_readers_language(client, headers, network):
    issues = in_each_language(client, headers, 422, "POST", "ServiceRequest", network.referrer,
                              data=referral(network, subject={"identifier": {"value": "Huang Wei"}}),
                              content_type=FHIR_JSON)
    assert issues["ru"]["expression"] == ["ServiceRequest.subject.identifier.value"]
    assert words(issues)["ru"] == (
        "ServiceRequest.subject.identifier.value: должно быть псевдонимным кодом учреждения, а не именем: 3–64 "
        "буквы, цифры, '-' или '_', хотя бы одна цифра (например, FCG-2026-0142)")
    assert words(issues)["zh"].startswith("ServiceRequest.subject.identifier.value：必须为机构的假名编号")


def test_werkzeugs_method_not_allowed_is_an_operation_outcome_in_the_readers_language(client, headers, network):
    issues = in_each_language(client, headers, 405, "TRACE", "Organization", network.referrer)
    assert words(issues) == {"en": "TRACE is not supported on /fhir/R4/Organization.",
                             "ru": "Метод TRACE не поддерживается для /fhir/R4/Organization.",
                             "zh": "/fhir/R4/Organization 不支持 TRACE 方法。"}
    assert issues["ru"]["code"] == "not-supported" and "GET" in issues["ru"]["_headers"]["Allow"]
    # The facade's own answer to a write it does not take reads the same way.
    own = in_each_language(client, headers, 405, "DELETE", "Organization/1", network.referrer)
    assert own["zh"]["diagnostics"] == "不支持 DELETE 方法：此 FHIR 接口仅支持读取、搜索和创建转诊。"


def test_werkzeugs_too_large_body_is_an_operation_outcome_in_the_readers_language(app, client, headers, network):
    headers(network.referrer)  # the token first: signing in is a request too
    app.config["MAX_CONTENT_LENGTH"] = 64
    for content_type, data in ((FHIR_JSON, referral(network)), ("application/x-www-form-urlencoded",
                                                                 "name=" + "x" * 100)):
        path = "ServiceRequest" if content_type == FHIR_JSON else "Organization/_search"
        issues = in_each_language(client, headers, 413, "POST", path, network.referrer, data=data,
                                  content_type=content_type)
        assert words(issues) == {"en": "The request body is larger than the limit of 64 bytes.",
                                 "ru": "Тело запроса больше допустимых 64 байт.",
                                 "zh": "请求内容超过 64 字节的上限。"}
        assert issues["zh"]["code"] == "too-costly"


def test_the_facades_own_body_limit_reads_in_the_readers_language(app, client, headers, network):
    headers(network.referrer)  # the token first: signing in is a request too
    app.config["API_MAX_JSON_BYTES"] = 64
    issues = in_each_language(client, headers, 413, "POST", "ServiceRequest", network.referrer,
                              data=referral(network), content_type=FHIR_JSON)
    assert issues["ru"]["diagnostics"] == "Тело запроса больше допустимых 64 байт."


def test_nothing_at_a_path_reads_in_the_readers_language(client, headers, network):
    issues = in_each_language(client, headers, 404, "GET", "ServiceRequest/1/_history", network.referrer)
    assert issues["ru"]["diagnostics"] == ("По адресу /fhir/R4/ServiceRequest/1/_history ничего нет; "
                                           "см. /fhir/R4/metadata.")
    assert issues["ru"]["code"] == "not-supported"


# --- how a refusal is made ------------------------------------------------------------------------------------


def test_a_refusal_is_rendered_when_written_and_logged_in_english(app):
    from flask_babel import refresh

    error = invalid_element("ServiceRequest.requester", N_("must be you (Practitioner/%(id)s) or left out"),
                            {"id": 7})
    assert str(error) == error.english == "ServiceRequest.requester: must be you (Practitioner/7) or left out"
    with app.test_request_context("/fhir/R4/ServiceRequest", headers=RUSSIAN):
        assert error.outcome().issue[0].diagnostics == ("ServiceRequest.requester: должен быть вы (Practitioner/7) "
                                                        "или не указан")
        assert str(error) == error.english  # still English for the log
    with app.test_request_context("/fhir/R4/ServiceRequest", headers=CHINESE):
        refresh()  # the app context (and Flask-Babel's choice on `g`) outlives one request in tests
        assert error.diagnostics == "ServiceRequest.requester：必须是您本人（Practitioner/7）或不填写"


def test_a_domain_error_passes_its_template_and_values_through(app):
    from app.errors import InvalidInput, NotFound

    missing = from_domain(NotFound(N_("No %(what)s with id %(resource_id)s."),
                                   params={"what": "CarePlan", "resource_id": "12"}))
    assert (missing.status, missing.code, missing.template, missing.params) == (
        404, "not-found", "No %(what)s with id %(resource_id)s.", {"what": "CarePlan", "resource_id": "12"})
    broken = from_domain(InvalidInput("sex", N_("must be one of %(choices)s"), {"choices": "female, male"}),
                         field_paths={"sex": "Patient.gender"})
    assert (broken.status, broken.code, broken.expression) == (422, "processing", "Patient.gender")
    assert str(broken) == "Patient.gender: must be one of female, male"
    assert isinstance(broken.params["message"], Phrase)


BUILDERS = {"FhirError": (1, "diagnostics"), "invalid_element": (1, "template"), "Phrase": (0, "template")}


def _name(func) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _template_argument(call: ast.Call, position: int, keyword: str):
    if len(call.args) > position:
        return call.args[position]
    return next((item.value for item in call.keywords if item.arg == keyword), None)


def _is_marked(node) -> bool:
    """`N_("...")` with one literal string (what pybabel extracts), or a template already made: a domain
    error's (`error.template`, marked where it was raised) or a helper's `template` argument (checked where the
    helper is called)."""
    if (isinstance(node, ast.Attribute) and node.attr == "template") or (isinstance(node, ast.Name)
                                                                        and node.id == "template"):
        return True
    return (isinstance(node, ast.Call) and _name(node.func) == "N_" and len(node.args) == 1 and not node.keywords
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))


def unmarked_refusals(source: str) -> tuple[int, list[int]]:
    """How many refusals `source` builds, and the lines of those not built from a marked template."""
    built, unmarked = 0, []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _name(node.func) in BUILDERS:
            built += 1
            if not _is_marked(_template_argument(node, *BUILDERS[_name(node.func)])):
                unmarked.append(node.lineno)
    return built, unmarked


def test_every_refusal_in_the_facade_is_built_from_a_marked_template():
    built, problems = 0, []
    for path in sorted(Path(app.fhir.__file__).parent.glob("*.py")):
        count, lines = unmarked_refusals(path.read_text(encoding="utf-8"))
        built += count
        problems += [f"{path.name}:{line}" for line in lines]
    assert built >= 40, built  # the check reads what it should
    assert not problems, f"FhirError built from a plain string (use N_ and params): {problems}"


def test_a_refusal_from_a_plain_string_would_be_caught():
    source = '''
FhirError(400, f"{name}: bad")
FhirError(400, "plain")
FhirError(400, "a" + name)
invalid_element("Patient.name", message)
FhirError(400, N_("%(name)s: fine"), params={"name": name})
raise FhirError(status, diagnostics=N_("fine too"))
from_domain_error = FhirError(404, error.template, params=error.params)
'''
    assert unmarked_refusals(source) == (7, [2, 3, 4, 5])


def test_a_refusal_is_never_a_server_error_whatever_the_language(client, headers, network):
    for language in LANGUAGES:
        response = ask(client, headers, language, "GET", "Organization?_count=-1", network.referrer)
        assert response.status_code == 400 and "Traceback" not in response.get_data(as_text=True)
    assert FhirError(400, N_("The body is nested too deeply.")).code == "invalid"
