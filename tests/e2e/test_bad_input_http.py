"""Bad requests get typed, explained problems that quote little of what was sent, and change
nothing: text the shop cannot store, the wrong media type, no such route or method, bodies
that cannot be read, long ids, and a guest at checkout."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.shoppers import OPS, ORDER_BODY, create_product, guest, register

PROBLEM = "application/problem+json"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/"), body  # typed, never about:blank
    assert body["title"]
    assert body["detail"]
    return body


def head(client: TestClient) -> int:
    return client.container.machinery.store.head()  # type: ignore[attr-defined]


def test_a_lone_surrogate_in_the_profile_name_is_a_422_naming_it(client: TestClient):
    customer = register(client, "ann@example.com")
    before = head(client)

    response = customer.patch(
        "/api/v1/me",
        content=b'{"name": "\\ud83d"}',
        headers={"Content-Type": "application/json"},
    )

    body = problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["name"]
    assert "surrogate" in body["detail"]
    assert head(client) == before
    assert customer.get("/api/v1/me").json()["name"] == "Test"


def test_a_surrogate_pair_and_an_escaped_backslash_are_ordinary_text(client: TestClient):
    customer = register(client, "ben@example.com")

    paired = customer.patch(
        "/api/v1/me",
        content=b'{"name": "Ben \\ud83d\\ude00"}',
        headers={"Content-Type": "application/json"},
    )
    literal = customer.patch(
        "/api/v1/me",
        content=b'{"name": "C:\\\\ud83d"}',
        headers={"Content-Type": "application/json"},
    )

    assert paired.status_code == 200, paired.text
    assert paired.json()["name"] == "Ben \U0001f600"
    assert literal.status_code == 200, literal.text
    assert literal.json()["name"] == "C:\\ud83d"


def test_a_nul_is_refused_alike_in_both_modes_wherever_it_is_sent(client: TestClient):
    before = head(client)

    in_body = client.post(
        "/api/v1/products",
        content=b'{"name": "Lamp", "description": "a\\u0000b", "brand": "Acme",'
        b' "category": "home", "price": 5, "variants": [{"sku": "L-1"}]}',
        headers={**OPS, "Content-Type": "application/json"},
    )
    in_query = client.get("/api/v1/products?brand=%00")

    assert [e["field"] for e in problem(in_body, 422)["errors"]] == ["description"]
    assert "NUL" in in_body.json()["detail"]
    assert [e["field"] for e in problem(in_query, 422)["errors"]] == ["brand"]
    assert head(client) == before


def test_text_that_is_not_utf8_in_a_url_is_a_422_naming_the_parameter(client: TestClient):
    customer = register(client, "cy@example.com")

    in_path = customer.get("/api/v1/orders/%ED%A0%BD")
    in_query = client.get("/api/v1/products/search?q=caf%E9")
    in_header = customer.post(
        "/api/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": b"caf\xe9"}
    )

    assert [e["field"] for e in problem(in_path, 422)["errors"]] == ["order_id"]
    assert [e["field"] for e in problem(in_query, 422)["errors"]] == ["q"]
    assert [e["field"] for e in problem(in_header, 422)["errors"]] == ["Idempotency-Key"]


def test_a_form_field_holding_a_nul_is_a_422_naming_it(client: TestClient):
    response = client.post(
        "/admin/login",
        content=b"email=ann%00%40example.com&password=x&next=%2Fadmin%2Fanalytics",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert [e["field"] for e in problem(response, 422)["errors"]] == ["email"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_a_415_saying_to_send_json(
    client: TestClient, content_type: str | None
):
    customer = register(client, "dee@example.com")
    before = head(client)
    headers = {"Content-Type": content_type} if content_type else {}

    response = customer.patch("/api/v1/me", content=b'{"name": "Dee"}', headers=headers)

    body = problem(response, 415)
    assert body["type"] == "/problems/unsupported-media-type"
    assert "application/json" in body["detail"]
    assert "dictionary" not in response.text
    assert head(client) == before


def test_unknown_routes_and_wrong_methods_are_typed_problems(client: TestClient):
    missing = client.get("/api/v1/nowhere")
    wrong_method = client.delete("/healthz")

    assert problem(missing, 404)["type"] == "/problems/not-found"
    assert "/docs" in missing.json()["detail"]
    body = problem(wrong_method, 405)
    assert body["type"] == "/problems/method-not-allowed"
    assert "DELETE" in body["detail"]
    assert "GET" in body["detail"]
    assert wrong_method.headers["allow"] == "GET"
    # Several routes share a path: the 405 names the methods of every one (RFC 9110).
    cart = client.options("/api/v1/cart")
    assert problem(cart, 405)["type"] == "/problems/method-not-allowed"
    assert cart.headers["allow"] == "DELETE, GET"
    # A path another route's template would also match names its own resource's methods.
    assert client.options("/api/v1/products/search").headers["allow"] == "GET"


def test_unreadable_bodies_are_typed_problems_that_say_why(client: TestClient):
    customer = register(client, "eve@example.com")
    json_headers = {"Content-Type": "application/json"}

    truncated = customer.patch("/api/v1/me", content=b'{"name": ', headers=json_headers)
    not_utf8 = customer.patch("/api/v1/me", content=b'{"name": "\xff"}', headers=json_headers)
    deep = customer.patch(
        "/api/v1/me", content=b"[" * 30_000 + b'"\\ud83d"' + b"]" * 30_000, headers=json_headers
    )

    body = problem(truncated, 400)
    assert body["type"] == "/problems/malformed-json"
    assert "character 9" in body["detail"]
    assert problem(not_utf8, 400)["type"] == "/problems/malformed-body"
    assert problem(deep, 400)["type"] == "/problems/malformed-body"


LONG = "a" * 5000


@pytest.mark.parametrize(
    ("method", "path", "admin"),
    [
        ("GET", f"/api/v1/orders/{LONG}", False),
        ("GET", f"/api/v1/products/{LONG}", False),
        ("GET", f"/api/v1/products/{LONG}/recommendations", False),
        ("PATCH", f"/api/v1/products/{LONG}", True),
        ("GET", f"/api/v1/inventory/{LONG}", True),
        ("DELETE", f"/api/v1/cart/items/{LONG}", False),
        ("GET", f"/api/v1/{LONG}", False),
    ],
)
def test_a_long_id_is_quoted_back_as_a_short_prefix_only(
    client: TestClient, method: str, path: str, admin: bool
):
    caller = register(client, "fay@example.com")
    headers = OPS if admin else caller.headers

    response = client.request(method, path, headers=headers, json={} if method == "PATCH" else None)

    body = problem(response, 404)
    assert len(response.content) < 400
    assert "a" * 32 in body["detail"]
    assert "…" in body["detail"]
    assert "a" * 41 not in body["detail"]


def test_a_long_key_in_a_body_is_named_by_a_short_prefix(client: TestClient):
    product = {
        "name": "Lamp",
        "brand": "Acme",
        "category": "home",
        "price": 5,
        "variants": [{"sku": "L-1"}],
        "attributes": {LONG: "x"},
    }

    response = client.post("/api/v1/products", json=product, headers=OPS)

    body = problem(response, 422)
    assert len(response.content) < 1000
    assert all(len(e["field"]) < 100 for e in body["errors"])


def test_a_guest_at_checkout_is_told_how_to_go_on(client: TestClient):
    create_product(client, "Mug", [("MUG-1", 5)])
    shopper = guest(client)
    assert shopper.add("MUG-1").status_code == 201

    response = shopper.post(
        "/api/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": "guest-try"}
    )

    # A guest may order with an email address (guest checkout); without one, they are told
    # both ways on.
    body = problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["email"]
    detail = body["detail"]
    assert "email address" in detail
    assert "/api/v1/auth/login" in detail
    assert "/api/v1/auth/register" in detail
    assert "guest token" in detail
    assert "cart" in detail
    assert shopper.lines() == {"MUG-1": 1}  # the cart waits for the account


def test_the_admin_page_quotes_a_long_product_id_as_a_short_prefix(client: TestClient):
    page = client.get("/admin/analytics", params={"product": LONG}, headers=OPS)

    assert page.status_code == 404
    assert "a" * 40 + "…" in page.text  # the message
    assert page.text.count(LONG) == 1  # only the form field keeps what was typed
