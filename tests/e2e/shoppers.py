"""Helpers for HTTP tests with several shoppers on one test client.

The test client keeps cookies like a browser; these helpers clear them after each call, so
every request is made with exactly the token the test names (or none).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import orjson
from fastapi.testclient import TestClient

from polyshop.api.rest.app import create_app
from polyshop.container import Container
from polyshop.orders.payments import sign

OPS = {"Authorization": "Bearer test-ops-token"}
PASSWORD = "correct horse battery"
ADDRESS = {
    "name": "Ann Lee",
    "line1": "1 Main Street",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}
ORDER_BODY = {"shipping_address": ADDRESS, "payment_method_id": "pm_card_visa"}
#: The payment webhook secret of the shops tests make to take payments.
SECRET = "webhook-secret-for-tests"


def make_client(container_for: Callable[..., Container], backend: str, **overrides: Any):
    """The real app around a fresh shop of `backend` (taking payments signed with SECRET),
    with `client.container` for the tests that look behind the API."""
    container = container_for(backend, payment_webhook_secret=SECRET, **overrides)
    client = TestClient(create_app(container), raise_server_exceptions=False)
    client.container = container  # type: ignore[attr-defined]
    return client


class Shopper:
    def __init__(self, client: TestClient, token: str | None) -> None:
        self.client = client
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        try:
            return self.client.request(method, path, headers=headers, **kwargs)
        finally:
            self.client.cookies.clear()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("DELETE", path, **kwargs)

    def add(self, sku: str, quantity: int = 1) -> httpx.Response:
        return self.post("/api/v1/cart/items", json={"sku": sku, "quantity": quantity})

    def cart(self) -> dict[str, Any]:
        response = self.get("/api/v1/cart")
        assert response.status_code == 200, response.text
        return response.json()

    def lines(self) -> dict[str, int]:
        return {item["sku"]: item["quantity"] for item in self.cart()["items"]}


def guest(client: TestClient) -> Shopper:
    response = Shopper(client, None).post("/api/v1/sessions")
    assert response.status_code == 201, response.text
    return Shopper(client, response.json()["token"])


def register(client: TestClient, email: str, via: Shopper | None = None) -> Shopper:
    caller = via or Shopper(client, None)
    response = caller.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Test"}
    )
    assert response.status_code == 201, response.text
    return Shopper(client, response.json()["token"])


def login(client: TestClient, email: str, via: Shopper | None = None) -> Shopper:
    caller = via or Shopper(client, None)
    response = caller.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return Shopper(client, response.json()["token"])


def create_product(
    client: TestClient, name: str, variants: list[tuple[str, int]], price: float = 10.0
) -> str:
    response = client.post(
        "/api/v1/products",
        json={
            "name": name,
            "description": f"{name} for tests.",
            "brand": "Acme",
            "category": "test/things",
            "price": price,
            "variants": [{"sku": sku, "stock": stock} for sku, stock in variants],
        },
        headers=OPS,
    )
    client.cookies.clear()
    assert response.status_code == 201, response.text
    return str(response.json()["product_id"])


def webhook(client: TestClient, payload: dict, *, secret: str = SECRET, at: int | None = None):
    """The payment provider's signed call, as it would make it."""
    body = orjson.dumps(payload)
    timestamp = str(at if at is not None else int(time.time()))
    return client.post(
        "/api/v1/payments/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Payment-Timestamp": timestamp,
            "X-Payment-Signature": sign(secret, timestamp, body),
        },
    )
