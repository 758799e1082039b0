"""The OpenAPI document is built from the code and describes every API endpoint."""
import re


def test_document_describes_every_api_route(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in document["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"][path], (path, method)


def test_operations_carry_schemas_security_and_problem_responses(client):
    document = client.get("/api/v1/openapi.json").get_json()
    token = document["paths"]["/api/v1/auth/token"]["post"]
    assert token["security"] == []
    body_ref = token["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"email", "password"}
    assert schema["additionalProperties"] is False
    assert "201" in token["responses"] and "422" in token["responses"]
    users = document["paths"]["/api/v1/users"]["post"]
    assert users["x-roles"] == ["admin"]
    assert "application/problem+json" in users["responses"]["403"]["content"]
    patch = document["paths"]["/api/v1/users/{user_id}"]["patch"]
    assert patch["parameters"][0] == {"name": "user_id", "in": "path", "required": True,
                                      "schema": {"type": "integer"}}
    assert token["requestBody"]["required"] is True
    reject = document["paths"]["/api/v1/cover-requests/{request_id}/reject"]["post"]
    assert reject["requestBody"]["required"] is False   # its body (a reason) may be left out
    audit = document["paths"]["/api/v1/audit-events"]["get"]
    assert {p["name"] for p in audit["parameters"]} >= {"action", "since", "limit"}
    # every $ref resolves
    text = str(document)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in document["components"]["schemas"], name


def test_bodies_read_by_the_view_are_described(client):
    document = client.get("/api/v1/openapi.json").get_json()
    csv_import = document["paths"]["/api/v1/specialists/import"]["post"]
    assert "text/csv" in csv_import["requestBody"]["content"]
