"""Accounts and sessions over HTTP, in embedded mode (SQLite file) and server mode
(PostgreSQL + Redis): sign-up, login, logout, profile, throttling, roles and who sees what."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from structlog.testing import capture_logs

from polyshop.accounts.schema import users
from polyshop.api.rest.app import create_app
from tests.e2e.shoppers import ADDRESS, OPS, PASSWORD, Shopper, guest, login, register


def events_of(client: TestClient, type_: str) -> list[dict]:
    store = client.container.machinery.store  # type: ignore[attr-defined]
    return [e.data for e in store.read_all(0, 10_000) if e.type == type_]


def test_sign_up_log_in_and_read_the_profile(client: TestClient):
    ann = register(client, "Ann.Lee@Example.com")
    profile = ann.get("/api/v1/me").json()
    assert (profile["email"], profile["role"], profile["addresses"]) == (
        "Ann.Lee@example.com",
        "customer",
        [],
    )
    again = login(client, "ann.lee@EXAMPLE.com")  # the same account, any case
    assert again.get("/api/v1/me").json()["id"] == profile["id"]
    assert again.token != ann.token


def test_the_session_cookie_is_http_only_and_same_site_lax(client: TestClient):
    response = client.post(
        "/api/v1/auth/register", json={"email": "cookie@example.com", "password": PASSWORD}
    )
    cookie = response.headers["set-cookie"].lower()
    assert "polyshop_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    # The cookie alone authenticates (the web pages use it).
    assert client.get("/api/v1/me").json()["email"] == "cookie@example.com"
    client.cookies.clear()


def test_emails_are_unique_case_insensitively(client: TestClient):
    register(client, "dup@example.com")
    response = Shopper(client, None).post(
        "/api/v1/auth/register", json={"email": "DUP@example.com", "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert len(events_of(client, "UserRegistered")) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "weak@example.com", "password": "password"}, "password"),
        ({"email": "weak@example.com", "password": "1234567890"}, "password"),
        ({"email": "big@example.com", "password": "x" * 129}, "password"),
        ({"email": "big@example.com", "password": "x" * 5000}, "password"),
        ({"email": "big@example.com"}, "password"),
        ({"email": "n@example.com", "password": PASSWORD, "name": "n" * 101}, "name"),
        ({"email": "n@example.com", "password": PASSWORD, "role": "admin"}, "role"),
    ],
)
def test_bad_sign_ups_are_refused_and_write_nothing(client: TestClient, body: dict, field: str):
    response = Shopper(client, None).post("/api/v1/auth/register", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in {error["field"] for error in response.json()["errors"]}
    assert events_of(client, "UserRegistered") == []


def test_a_wrong_password_or_unknown_email_is_the_same_401(client: TestClient):
    register(client, "ann@example.com")
    anonymous = Shopper(client, None)
    wrong = anonymous.post(
        "/api/v1/auth/login", json={"email": "ann@example.com", "password": "wrong password!"}
    )
    unknown = anonymous.post(
        "/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_repeated_failures_are_throttled_with_retry_after(client: TestClient):
    register(client, "target@example.com")
    anonymous = Shopper(client, None)
    statuses = [
        anonymous.post(
            "/api/v1/auth/login", json={"email": "target@example.com", "password": f"guess-{i:04}"}
        ).status_code
        for i in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    # Now even the right password waits: the guesser must not learn it is right.
    throttled = anonymous.post(
        "/api/v1/auth/login", json={"email": "target@example.com", "password": PASSWORD}
    )
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert throttled.headers["content-type"] == "application/problem+json"
    # Other accounts can still log in.
    register(client, "other@example.com")
    login(client, "other@example.com")


def test_one_address_spraying_many_accounts_is_throttled(client: TestClient):
    anonymous = Shopper(client, None)
    statuses = [
        anonymous.post(
            "/api/v1/auth/login", json={"email": f"u{i}@example.com", "password": PASSWORD}
        ).status_code
        for i in range(31)
    ]
    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429


def test_logout_revokes_the_token_at_once(client: TestClient):
    ann = register(client, "ann@example.com")
    assert ann.post("/api/v1/auth/logout").status_code == 204
    response = ann.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "token", ["garbage", "", "x" * 5000, "Bearer", "abc def", "\u00e9\u00e9\u00e9"]
)
def test_garbage_tokens_are_401(client: TestClient, token: str):
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}".encode()})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_guests_have_no_profile(client: TestClient):
    assert guest(client).get("/api/v1/me").status_code == 401


def test_profile_and_addresses_change_with_an_audit_event(client: TestClient):
    ann = register(client, "ann@example.com")
    response = ann.patch("/api/v1/me", json={"name": "Ann Lee", "addresses": [ADDRESS]})
    assert response.status_code == 200, response.text
    assert response.json()["position"] > 0
    profile = ann.get("/api/v1/me").json()
    assert profile["name"] == "Ann Lee"
    assert profile["addresses"][0]["city"] == "Springfield"
    (change,) = events_of(client, "ProfileUpdated")
    assert change["changes"]["addresses"][0]["postal_code"] == "12345"


@pytest.mark.parametrize(
    "patch",
    [
        {"addresses": [{**ADDRESS, "country": "USA"}]},
        {"addresses": [{**ADDRESS, "line1": ""}]},
        {"addresses": [{k: v for k, v in ADDRESS.items() if k != "city"}]},
        {"addresses": [ADDRESS] * 11},
        {"email": "new@example.com"},
        {"role": "admin"},
    ],
)
def test_bad_profile_changes_are_refused_and_change_nothing(client: TestClient, patch: dict):
    ann = register(client, "ann@example.com")
    response = ann.patch("/api/v1/me", json=patch)
    assert response.status_code == 422, response.text
    assert ann.get("/api/v1/me").json()["addresses"] == []
    assert events_of(client, "ProfileUpdated") == []


def test_no_event_ever_holds_a_password_or_its_hash(client: TestClient):
    ann = register(client, "ann@example.com")
    ann.patch("/api/v1/me", json={"name": "Ann", "addresses": [ADDRESS]})
    store = client.container.machinery.store  # type: ignore[attr-defined]
    with store.read_engine.connect() as connection:
        stored_hash = connection.execute(select(users.c.password_hash)).scalar_one()
    assert stored_hash.startswith("$argon2id$")
    log_text = repr([(e.type, e.data, e.metadata) for e in store.read_all(0, 1000)])
    assert PASSWORD not in log_text
    assert stored_hash not in log_text
    assert "argon2" not in log_text


def test_tokens_never_appear_in_logs(client: TestClient):
    with capture_logs() as logs:
        visitor = guest(client)
        visitor.get("/api/v1/cart")
        ann = register(client, "ann@example.com", via=visitor)
        ann.get("/api/v1/me")
        ann.get("/api/v1/me", headers={"X-Request-Id": "r1"})
        ann.post("/api/v1/auth/logout")
        ann.get("/api/v1/me")  # a 401 with a revoked token
    text = repr(logs)
    assert logs, "the access log should have recorded these requests"
    assert visitor.token not in text
    assert ann.token not in text  # type: ignore[operator]


def test_admin_endpoints_refuse_anonymous_401_and_customers_403(client: TestClient):
    customer = register(client, "customer@example.com")
    paths = [
        ("GET", "/api/v1/admin/projections"),
        ("GET", "/api/v1/inventory/SKU-1"),
        ("POST", "/api/v1/products"),
        ("PATCH", "/api/v1/products/00000000-0000-0000-0000-000000000000"),
        ("DELETE", "/api/v1/products/00000000-0000-0000-0000-000000000000"),
        ("POST", "/api/v1/inventory/SKU-1/adjust"),
    ]
    for method, path in paths:
        assert Shopper(client, None).call(method, path, json={}).status_code == 401, path
        assert guest(client).call(method, path, json={}).status_code == 401, path
        assert customer.call(method, path, json={}).status_code == 403, path


def test_an_admin_user_reaches_admin_endpoints(client: TestClient):
    register(client, "boss@example.com")
    container = client.container  # type: ignore[attr-defined]
    from polyshop.accounts import commands
    from polyshop.accounts.domain import Role

    commands.set_role(container.machinery.store, "boss@example.com", Role.ADMIN)
    boss = login(client, "boss@example.com")
    assert boss.get("/api/v1/admin/projections").status_code == 200
    assert boss.get("/api/v1/me").json()["role"] == "admin"
    (change,) = events_of(client, "RoleChanged")
    assert change["role"] == "admin"


def test_the_operator_token_still_works_for_scripts(client: TestClient):
    assert client.get("/api/v1/admin/projections", headers=OPS).status_code == 200


def test_an_unused_session_expires_and_a_used_one_slides(backend, container_for):
    container = container_for(backend, session_ttl=1.0)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        idle, busy = guest(client), guest(client)
        for _ in range(3):
            time.sleep(0.6)
            assert busy.get("/api/v1/cart").status_code == 200
        expired = idle.get("/api/v1/cart")
        assert expired.status_code == 401
        assert expired.headers["content-type"] == "application/problem+json"
