"""Small helpers shared by the rota tests."""
from __future__ import annotations


def assert_problem(response, status):
    """An RFC 9457 problem+json answer with the given status; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body
