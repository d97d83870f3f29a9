"""Guest orders over HTTP on both databases: a guest session orders with an email, opens
the order with its access key (never with a wrong one), and the order joins the account
later registered with that email; the history read model rebuilds identically after."""

from __future__ import annotations

import uuid

from tests.e2e.shoppers import (
    OPS,
    Shopper,
    create_product,
    guest,
    register,
    webhook,
)
from tests.e2e.shoppers import ORDER_BODY as BODY

GUEST_BODY = {**BODY, "email": "Gus@Example.com"}


def place(shopper: Shopper, body: dict, key: str | None = None):
    return shopper.post(
        "/api/v1/orders", json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())}
    )


def guest_order(client, sku: str = "MUG-1", body: dict | None = None) -> tuple[Shopper, dict]:
    visitor = guest(client)
    assert visitor.add(sku, 1).status_code == 201
    placed = place(visitor, body or GUEST_BODY)
    assert placed.status_code == 201, placed.text
    return visitor, placed.json()


def test_a_guest_orders_with_an_email_and_opens_the_order_with_its_key(client):
    create_product(client, "Mug", [("MUG-1", 5)], price=12.00)
    _, order = guest_order(client)
    order_id, key = order["order_id"], order["access_key"]
    assert len(key) >= 32

    by_query = Shopper(client, None).get(f"/api/v1/orders/{order_id}", params={"key": key})
    by_header = Shopper(client, None).get(
        f"/api/v1/orders/{order_id}", headers={"X-Order-Key": key}
    )
    assert by_query.status_code == by_header.status_code == 200
    assert by_query.json()["guest_email"] == "Gus@example.com"
    assert by_query.json()["user_id"] == ""
    assert by_query.json()["total"] == 12.0
    wrong = Shopper(client, None).get(f"/api/v1/orders/{order_id}", params={"key": key[:-1] + "x"})
    assert wrong.status_code == 404
    assert Shopper(client, None).get(f"/api/v1/orders/{order_id}").status_code == 401
    stranger = register(client, "stranger@example.com")
    assert stranger.get(f"/api/v1/orders/{order_id}").status_code == 404
    # The key is not stored: nothing in the log or the history holds it.
    log = client.container.machinery.store.read_all(0, 100_000)  # type: ignore[attr-defined]
    assert all(key not in str(event.data) for event in log)


def test_a_guest_retry_replays_the_order_without_its_key(client):
    create_product(client, "Mug", [("MUG-1", 5)], price=12.00)
    visitor = guest(client)
    visitor.add("MUG-1", 2)
    first = place(visitor, GUEST_BODY, key="k-1")
    again = place(visitor, GUEST_BODY, key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["order_id"] == first.json()["order_id"]
    assert first.json()["access_key"]
    assert again.json()["access_key"] is None
    stock = client.get("/api/v1/inventory/MUG-1", headers=OPS).json()
    assert stock["reserved"] == 2


def test_a_guest_without_a_valid_email_orders_nothing(client):
    create_product(client, "Mug", [("MUG-1", 5)])
    visitor = guest(client)
    visitor.add("MUG-1", 1)
    refused = place(visitor, {**BODY, "email": "not-an-address"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["email"]
    assert visitor.lines() == {"MUG-1": 1}


def test_the_guest_signing_up_with_the_email_claims_their_guest_orders(client):
    create_product(client, "Mug", [("MUG-1", 5)], price=12.00)
    create_product(client, "Pen", [("PEN-1", 5)], price=3.00)
    visitor, first = guest_order(client)
    assert visitor.add("PEN-1", 1).status_code == 201
    second = place(visitor, GUEST_BODY).json()
    _, other = guest_order(client, "PEN-1", {**BODY, "email": "someone@example.com"})
    # The same email, from another guest session: someone typing an address is no proof.
    _, elsewhere = guest_order(client, "PEN-1")
    paid = webhook(
        client,
        {"order_id": first["order_id"], "payment_id": "g1", "amount": 12.0, "status": "succeeded"},
    )
    assert paid.status_code == 200

    gus = register(client, "gus@example.com", via=visitor)
    runner = client.container.machinery.runner  # type: ignore[attr-defined]
    assert runner.wait_for("order_history", client.container.machinery.store.head(), 5)  # type: ignore[attr-defined]

    mine = gus.get("/api/v1/orders").json()
    assert {o["order_id"] for o in mine["orders"]} == {first["order_id"], second["order_id"]}
    seen = gus.get(f"/api/v1/orders/{first['order_id']}").json()
    assert seen["status"] == "paid"
    assert seen["user_id"] != ""
    assert [t["event"] for t in seen["timeline"]] == ["OrderPlaced", "OrderPaid", "OrderClaimed"]
    assert gus.get(f"/api/v1/orders/{other['order_id']}").status_code == 404
    assert gus.get(f"/api/v1/orders/{elsewhere['order_id']}").status_code == 404
    # The key still opens the claimed order (it was the guest's link).
    by_key = Shopper(client, None).get(
        f"/api/v1/orders/{first['order_id']}", params={"key": first["access_key"]}
    )
    assert by_key.status_code == 200


def test_the_order_history_rebuilds_identically_with_claimed_orders(client):
    create_product(client, "Mug", [("MUG-1", 9)], price=12.00)
    visitor, claimed = guest_order(client)
    _, unclaimed = guest_order(client, body={**BODY, "email": "other@example.com"})
    webhook(
        client,
        {"order_id": claimed["order_id"], "payment_id": "c", "amount": 12.0, "status": "succeeded"},
    )
    gus = register(client, "gus@example.com", via=visitor)
    runner = client.container.machinery.runner  # type: ignore[attr-defined]
    assert runner.wait_for("order_history", client.container.machinery.store.head(), 5)  # type: ignore[attr-defined]

    def answers() -> list:
        listing = client.get("/api/v1/orders", params={"limit": 100}, headers=OPS).json()
        ids = (claimed["order_id"], unclaimed["order_id"])
        return [listing, gus.get("/api/v1/orders").json()] + [
            client.get(f"/api/v1/orders/{oid}", headers=OPS).json() for oid in ids
        ]

    live = answers()
    assert len(live[1]["orders"]) == 1
    runner.rebuild("order_history")
    assert answers() == live
    replayed = client.get(
        f"/api/v1/orders/{claimed['order_id']}",
        params={"as_of": "2100-01-01T00:00:00Z"},
        headers=OPS,
    )
    assert replayed.json() == live[2]
