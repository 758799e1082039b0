"""The administrator's work over /api/v1: invitations, password resets, sites, the licence queue and the
discipline vocabulary."""
from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import PasswordLink, User


def _bearer(client, user, password="demo-password-for-tests"):
    answer = client.post("/api/v1/auth/token", json={"email": user.email, "password": password})
    assert answer.status_code == 201, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def test_the_admin_api_invites_resets_and_keeps_the_vocabulary(demo, client, session):
    admin = _bearer(client, demo["admin"])
    site_id = demo["coordinator"].organization_id
    invited = client.post("/api/v1/users/invitations", headers=admin, json={
        "email": "sofia.lee@example.org", "name": "Sofia Lee", "organization_id": site_id, "roles": ["coordinator"]})
    assert invited.status_code == 201, invited.get_json()
    body = invited.get_json()
    assert body["purpose"] == "invitation" and "token" not in body
    user = session.get(User, body["user_id"])
    assert session.scalar(select(PasswordLink).where(PasswordLink.user_id == user.id)) is not None
    assert client.post(f"/api/v1/users/{user.id}/password-reset", headers=admin).status_code == 201
    assert client.post("/api/v1/users/999999/password-reset", headers=admin).status_code == 404

    renamed = client.patch(f"/api/v1/organizations/{site_id}", headers=admin, json={"residency_region": "cn-south"})
    assert renamed.status_code == 200 and renamed.get_json()["residency_region"] == "cn-south"
    bad = client.patch(f"/api/v1/organizations/{site_id}", headers=admin, json={"timezone": "Mars/Olympus"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "timezone"

    added = client.post("/api/v1/disciplines", headers=admin, json={"code": "soft-tissue-surgery", "name": "Soft-tissue surgery",
                                                                    "labels": {"zh": "肉瘤外科"}})
    assert added.status_code == 201
    retired = client.patch("/api/v1/disciplines/soft-tissue-surgery", headers=admin, json={"retired": True})
    assert retired.get_json()["retired"] is True
    assert "soft-tissue-surgery" not in [item["code"] for item in client.get("/api/v1/disciplines", headers=admin).get_json()]

    pending = client.get("/api/v1/licences?queue=pending", headers=admin).get_json()
    assert len(pending) >= 2
    refused = client.post(f"/api/v1/licences/{pending[0]['id']}/reject", headers=admin, json={"note": "Not on the register"})
    assert refused.status_code == 200 and refused.get_json()["rejected_at"] is not None
    verified = client.post(f"/api/v1/licences/{pending[1]['id']}/evidence", headers=admin, json={"note": "Register checked"})
    assert verified.get_json()["status"] == "valid" and verified.get_json()["verification_note"] == "Register checked"
    assert client.get("/api/v1/licences?queue=all", headers=admin).status_code == 422

    coordinator = _bearer(client, demo["coordinator"])
    assert client.post("/api/v1/users/invitations", headers=coordinator, json={
        "email": "x@example.org", "name": "X", "organization_id": site_id, "roles": ["referrer"]}).status_code == 403
