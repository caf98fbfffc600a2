"""Accounts: who may register as what, approval by an admin, argon2id hashing."""

from __future__ import annotations

from sqlalchemy import select

from louise.auth.models import AccountStatus, User
from tests.conftest import TEST_PASSWORD

BODY = {"email": "Erika@Example.test", "password": "lange-genug-123", "name": "Erika M."}


def test_resident_registers_and_can_log_in_at_once(client):
    r = client.post("/api/v1/auth/register", json=BODY)
    assert r.status_code == 201
    assert r.json["role"] == "customer" and r.json["status"] == "active"
    assert r.json["email"] == "erika@example.test"
    assert "password" not in r.json and "password_hash" not in r.json
    login = client.post(
        "/api/v1/auth/login", json={"email": "ERIKA@example.test", "password": BODY["password"]}
    )
    assert login.status_code == 200


def test_password_is_stored_as_argon2id_at_owasp_minimum_cost(client, db_session):
    client.post("/api/v1/auth/register", json=BODY)
    stored = db_session.scalar(select(User).where(User.email == "erika@example.test"))
    assert stored.password_hash.startswith("$argon2id$")
    params = dict(p.split("=") for p in stored.password_hash.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2 and int(params["p"]) >= 1


def test_duplicate_email_is_a_conflict(client):
    assert client.post("/api/v1/auth/register", json=BODY).status_code == 201
    again = client.post("/api/v1/auth/register", json={**BODY, "email": "erika@EXAMPLE.test"})
    assert again.status_code == 409
    assert "email" in again.json["errors"]["json"]


def test_merchant_registration_waits_for_admin_approval(client, auth_headers):
    r = client.post("/api/v1/auth/register", json={**BODY, "role": "merchant"})
    assert r.status_code == 201 and r.json["status"] == "pending"
    login = client.post(
        "/api/v1/auth/login", json={"email": BODY["email"], "password": BODY["password"]}
    )
    assert login.status_code == 403
    admin = auth_headers("admin")
    pending = client.get("/api/v1/users?status=pending", headers=admin)
    assert [u["id"] for u in pending.json["items"]] == [r.json["id"]]
    approved = client.put(
        f"/api/v1/users/{r.json['id']}/status", json={"status": "active"}, headers=admin
    )
    assert approved.status_code == 200
    login = client.post(
        "/api/v1/auth/login", json={"email": BODY["email"], "password": BODY["password"]}
    )
    assert login.status_code == 200


def test_staff_roles_cannot_self_register(client):
    for role in ("courier", "dispatcher", "admin"):
        r = client.post("/api/v1/auth/register", json={**BODY, "role": role})
        assert r.status_code == 422
        assert "role" in r.json["errors"]["json"]


def test_role_cannot_be_smuggled_in_with_unknown_fields(client):
    r = client.post("/api/v1/auth/register", json={**BODY, "status": "active", "id": 1})
    assert r.status_code == 422
    assert set(r.json["errors"]["json"]) == {"status", "id"}


def test_only_admin_creates_staff_accounts(client, auth_headers):
    body = {
        "email": "kurier@example.test",
        "password": TEST_PASSWORD,
        "name": "K",
        "role": "courier",
    }
    assert client.post("/api/v1/users", json=body).status_code == 401
    assert (
        client.post("/api/v1/users", json=body, headers=auth_headers("customer")).status_code == 403
    )
    assert (
        client.post("/api/v1/users", json=body, headers=auth_headers("merchant")).status_code == 403
    )
    assert (
        client.post("/api/v1/users", json=body, headers=auth_headers("dispatcher")).status_code
        == 403
    )
    r = client.post("/api/v1/users", json=body, headers=auth_headers("admin"))
    assert r.status_code == 201 and r.json["role"] == "courier" and r.json["status"] == "active"


def test_dispatcher_creates_a_hotline_customer_without_login(client, auth_headers):
    body = {"name": "Frau Schmidt", "phone": "+49 2041 123456", "role": "customer"}
    r = client.post("/api/v1/users", json=body, headers=auth_headers("dispatcher"))
    assert r.status_code == 201
    assert r.json["email"] is None and r.json["phone"] == "+49 2041 123456"


def test_short_password_is_refused_naming_the_field(client):
    r = client.post("/api/v1/auth/register", json={**BODY, "password": "kurz"})
    assert r.status_code == 422 and "password" in r.json["errors"]["json"]


def test_admin_cannot_disable_itself(client, make_user, auth_headers):
    admin = make_user("admin")
    r = client.put(
        f"/api/v1/users/{admin.id}/status", json={"status": "disabled"}, headers=auth_headers(admin)
    )
    assert r.status_code == 409


def test_disabled_account_cannot_log_in(client, make_user):
    user = make_user("customer", status=AccountStatus.DISABLED)
    r = client.post("/api/v1/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert r.status_code == 403
