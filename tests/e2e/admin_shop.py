"""Helpers for the admin's orders and inventory tests: an admin signed in through the
admin's form (the client keeps the cookie), CSRF pairs, and orders placed and paid as a
shopper and the payment provider would."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient

from polyshop.accounts import commands
from polyshop.accounts.domain import Role
from polyshop.container import Container
from tests.e2e.shoppers import ORDER_BODY, PASSWORD, Shopper, register, webhook


def shop(client: TestClient) -> Container:
    return client.container  # type: ignore[attr-defined]


def csrf_pair(client: TestClient) -> tuple[str, str]:
    """A CSRF cookie and its form token, as a browser holds them after opening a page."""
    cookie = "c" * 32
    return cookie, client.app.state.storefront.csrf.token_for(cookie)  # type: ignore[attr-defined]


def admin_signs_in(client: TestClient, email: str = "boss@example.com") -> str:
    """An admin signs in through the form; the client keeps the session cookie. Returns
    the admin's user id."""
    user_id = register_user(client, email)
    commands.set_role(shop(client).machinery.store, email, Role.ADMIN)
    signed = client.post(
        "/admin/login",
        data={"email": email, "password": PASSWORD, "next": "/admin"},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    return user_id


def register_user(client: TestClient, email: str) -> str:
    shopper = register(client, email)
    me = shopper.get("/api/v1/me")
    assert me.status_code == 200, me.text
    return str(me.json()["id"])


def form_token(html: str) -> str:
    """The CSRF token the page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def place(shopper: Shopper, sku: str, quantity: int = 1) -> dict[str, Any]:
    assert shopper.add(sku, quantity).status_code == 201
    response = shopper.post(
        "/api/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def pay(client: TestClient, order: dict[str, Any]) -> None:
    answer = webhook(
        client,
        {
            "order_id": order["order_id"],
            "payment_id": f"pay-{order['order_id'][-6:]}",
            "amount": float(order["total"]),
            "status": "succeeded",
        },
    )
    assert answer.status_code == 200, answer.text


def caught_up(client: TestClient) -> None:
    runner = shop(client).machinery.runner
    head = shop(client).machinery.store.head()
    for name in runner.names:
        assert runner.wait_for(name, head, 10), name
