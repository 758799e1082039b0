"""Every role is refused where it does not belong; unknown views are refused outright."""
import pytest

from app.security import access_of

# (method, path, body, roles allowed)
MATRIX = [
    ("GET", "/api/v1/me", None, {"referrer", "specialist", "coordinator", "admin"}),
    ("GET", "/api/v1/organizations", None, {"referrer", "specialist", "coordinator", "admin"}),
    ("POST", "/api/v1/organizations",
     {"name": "Nairobi Teaching Hospital", "country": "KE", "timezone": "Africa/Nairobi",
      "residency_region": "ke"}, {"admin"}),
    ("GET", "/api/v1/users", None, {"coordinator", "admin"}),
    ("POST", "/api/v1/users",
     {"email": "new.person@example.org", "name": "New Person", "password": "long enough pw",
      "organization_id": 1, "roles": ["referrer"]}, {"admin"}),
    ("PATCH", "/api/v1/users/1", {"is_active": True}, {"admin"}),
    ("GET", "/api/v1/audit-events", None, {"admin"}),
]
ROLES = ["referrer", "specialist", "coordinator", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client, make_user, api_auth, role):
    user = make_user(role)
    headers = api_auth.headers(user)
    for method, path, body, allowed in MATRIX:
        response = client.open(path, method=method, json=body, headers=headers)
        if role in allowed:
            assert response.status_code < 400, (method, path, response.get_json())
        else:
            assert response.status_code == 403, (method, path, response.status_code)
            assert response.mimetype == "application/problem+json"


def test_anonymous_is_refused_everywhere_but_public_views(client):
    for method, path, body, _ in MATRIX:
        response = client.open(path, method=method, json=body)
        assert response.status_code == 401, (method, path)
    assert client.get("/").status_code == 302  # pages send you to sign in


def test_every_view_declares_who_may_use_it(app):
    undeclared = [rule.rule for rule in app.url_map.iter_rules()
                  if rule.endpoint != "static" and access_of(app.view_functions[rule.endpoint]) is None]
    assert undeclared == []


def test_a_view_without_declared_access_is_refused(app_config):
    from app import create_app

    application = create_app(app_config)

    @application.get("/forgotten")
    def forgotten():
        return "secret"

    assert application.test_client().get("/forgotten").status_code == 403
