"""Orders over HTTP on both databases: checkout, idempotency, lifecycle, payments webhook,
audit trail, time travel, history read model (and its rebuild), expiry, and who sees what."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from polyshop.orders.payments import sign
from tests.e2e.shoppers import (
    ADDRESS,
    OPS,
    SECRET,
    Shopper,
    create_product,
    guest,
    make_client,
    register,
    webhook,
)
from tests.e2e.shoppers import ORDER_BODY as BODY


def place(shopper: Shopper, key: str | None = None, body: dict | None = None):
    return shopper.post(
        "/api/v1/orders", json=body or BODY, headers={"Idempotency-Key": key or str(uuid.uuid4())}
    )


def stock(client: TestClient, sku: str) -> dict:
    return client.get(f"/api/v1/inventory/{sku}", headers=OPS).json()


def log_size(client: TestClient) -> int:
    """Events in the log (not the head: a rolled-back append still uses up a position)."""
    return len(client.container.machinery.store.read_all(0, 100_000))  # type: ignore[attr-defined]


def buyer(client: TestClient, email: str, **cart: int) -> Shopper:
    shopper = register(client, email)
    for sku, quantity in cart.items():
        assert shopper.add(sku.replace("_", "-"), quantity).status_code == 201
    return shopper


def test_placing_an_order_reserves_stock_snapshots_items_and_clears_the_cart(client):
    create_product(client, "Lamp", [("LAMP-1", 5)], price=40.00)
    create_product(client, "Bulb", [("BULB-1", 50)], price=2.50)
    ann = buyer(client, "ann@example.com", LAMP_1=2, BULB_1=4)
    body = {**BODY, "total": 0.01, "items": [{"sku": "LAMP-1", "price": 0.01}]}  # ignored

    response = place(ann, body=body)

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending_payment"
    assert order["total"] == 90.0
    assert [(i["sku"], i["quantity"], i["unit_price"], i["name"]) for i in order["items"]] == [
        ("BULB-1", 4, 2.5, "Bulb"),
        ("LAMP-1", 2, 40.0, "Lamp"),
    ]
    assert stock(client, "LAMP-1") == {
        "sku": "LAMP-1",
        "on_hand": 5,
        "reserved": 2,
        "available": 3,
    }
    assert ann.lines() == {}
    seen = ann.get(
        f"/api/v1/orders/{order['order_id']}", params={"min_position": order["position"]}
    )
    assert seen.status_code == 200
    assert seen.json()["status"] == "pending_payment"
    listed = ann.get("/api/v1/orders", params={"min_position": order["position"]}).json()
    assert [o["order_id"] for o in listed["orders"]] == [order["order_id"]]


def test_the_same_key_replays_the_answer_and_another_body_is_422(client):
    create_product(client, "Mug", [("MUG-1", 10)])
    ann = buyer(client, "ann@example.com", MUG_1=1)
    first = place(ann, "key-1")
    again = place(ann, "key-1")
    other = place(ann, "key-1", {**BODY, "payment_method_id": "pm_other"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422
    assert stock(client, "MUG-1")["reserved"] == 1


def test_a_crash_before_the_cart_is_cleared_leaves_one_order_that_the_retry_returns(
    client, monkeypatch
):
    create_product(client, "Vase", [("VASE-1", 10)])
    ann = buyer(client, "ann@example.com", VASE_1=1)
    carts = client.container.carts.store  # type: ignore[attr-defined]

    def crash(owner: str) -> None:
        raise ConnectionError("the process died here")

    monkeypatch.setattr(carts, "clear", crash)
    first = place(ann, "key-crash")
    monkeypatch.undo()
    retry = place(ann, "key-crash")

    assert first.status_code == retry.status_code == 201
    assert retry.json()["order_id"] == first.json()["order_id"]
    assert stock(client, "VASE-1")["reserved"] == 1
    events = client.container.machinery.store.read_all(0, 1000)  # type: ignore[attr-defined]
    assert sum(e.type == "OrderPlaced" for e in events) == 1


def test_short_stock_is_409_naming_each_sku_and_reserves_nothing(client):
    create_product(client, "Pen", [("PEN-1", 5)])
    create_product(client, "Ink", [("INK-1", 1)])
    create_product(client, "Pad", [("PAD-1", 1)])
    ann = buyer(client, "ann@example.com", PEN_1=2, INK_1=1, PAD_1=1)
    rival = buyer(client, "rival@example.com", INK_1=1, PAD_1=1)
    assert place(rival).status_code == 201
    before = log_size(client)

    response = place(ann)

    assert response.status_code == 409
    assert response.json()["skus"] == ["INK-1", "PAD-1"]
    assert stock(client, "PEN-1")["reserved"] == 0
    assert log_size(client) == before
    assert ann.lines() == {"PEN-1": 2, "INK-1": 1, "PAD-1": 1}


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (BODY, {}, 400),  # no Idempotency-Key
        ({"payment_method_id": "pm"}, None, 422),
        ({**BODY, "shipping_address": {**ADDRESS, "city": ""}}, None, 422),
        (
            {**BODY, "shipping_address": {k: v for k, v in ADDRESS.items() if k != "line1"}},
            None,
            422,
        ),
        ({**BODY, "shipping_address": {**ADDRESS, "country": "Narnia"}}, None, 422),
        ({**BODY, "payment_method_id": ""}, None, 422),
    ],
)
def test_bad_orders_are_refused_and_write_nothing(client, body, headers, status):
    create_product(client, "Cup", [("CUP-1", 10)])
    ann = buyer(client, "ann@example.com", CUP_1=1)
    before = log_size(client)
    response = ann.post(
        "/api/v1/orders",
        json=body,
        headers={"Idempotency-Key": "k"} if headers is None else headers,
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert log_size(client) == before
    assert ann.lines() == {"CUP-1": 1}


def test_an_empty_cart_or_a_discontinued_sku_is_422(client):
    pid = create_product(client, "Fad", [("FAD-1", 10)])
    ann = buyer(client, "ann@example.com")
    assert place(ann).status_code == 422
    ann.add("FAD-1", 1)
    assert client.delete(f"/api/v1/products/{pid}", headers=OPS).status_code == 200
    before = log_size(client)
    refused = place(ann)
    assert refused.status_code == 422
    assert refused.json()["skus"] == ["FAD-1"]
    assert log_size(client) == before


def test_guests_order_only_with_an_email_and_anonymous_callers_not_at_all(client):
    create_product(client, "Cup", [("CUP-1", 10)])
    visitor = guest(client)
    visitor.add("CUP-1", 1)
    refused = place(visitor)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["email"]
    assert place(Shopper(client, None)).status_code == 401


def test_the_lifecycle_and_its_invalid_transitions(client):
    create_product(client, "Desk", [("DESK-1", 3)], price=100.00)
    ann = buyer(client, "ann@example.com", DESK_1=1)
    order_id = place(ann).json()["order_id"]
    ship = lambda: client.post(  # noqa: E731
        f"/api/v1/orders/{order_id}/ship", json={"tracking_number": "1Z999"}, headers=OPS
    )

    assert ship().status_code == 409  # unpaid
    paid = webhook(
        client,
        {"order_id": order_id, "payment_id": "pay_1", "amount": 100.00, "status": "succeeded"},
    )
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert stock(client, "DESK-1") == {"sku": "DESK-1", "on_hand": 2, "reserved": 0, "available": 2}
    second_payment = webhook(
        client,
        {"order_id": order_id, "payment_id": "pay_2", "amount": 100.00, "status": "succeeded"},
    )
    assert second_payment.status_code == 409  # pay twice: refused, recorded for refund
    assert second_payment.json()["type"] == "/problems/payment-refund-due"
    assert ship().json()["order"]["tracking_number"] == "1Z999"
    assert ann.post(f"/api/v1/orders/{order_id}/cancel").status_code == 409  # shipped
    delivered = client.post(f"/api/v1/orders/{order_id}/deliver", headers=OPS)
    assert delivered.json()["order"]["status"] == "delivered"
    refunded = client.post(f"/api/v1/orders/{order_id}/refund", headers=OPS)
    assert refunded.json()["order"]["status"] == "refunded"
    assert client.post(f"/api/v1/orders/{order_id}/refund", headers=OPS).status_code == 409


def test_cancelling_releases_unpaid_stock_and_restocks_paid_stock(client):
    create_product(client, "Chair", [("CHAIR-1", 4)], price=50.00)
    ann = buyer(client, "ann@example.com", CHAIR_1=1)
    unpaid = place(ann).json()["order_id"]
    ann.add("CHAIR-1", 2)
    paid = place(ann).json()["order_id"]
    webhook(client, {"order_id": paid, "payment_id": "p", "amount": 100.0, "status": "succeeded"})
    assert stock(client, "CHAIR-1") == {
        "sku": "CHAIR-1",
        "on_hand": 2,
        "reserved": 1,
        "available": 1,
    }

    assert ann.post(f"/api/v1/orders/{unpaid}/cancel").json()["order"]["status"] == "cancelled"
    assert ann.post(f"/api/v1/orders/{paid}/cancel").json()["order"]["status"] == "cancelled"

    assert stock(client, "CHAIR-1") == {
        "sku": "CHAIR-1",
        "on_hand": 4,
        "reserved": 0,
        "available": 4,
    }


def test_popular_sorts_by_units_ordered_and_forgets_cancelled_orders(client):
    for name in ("Chair", "Lamp", "Desk"):  # created in this order: Desk is the newest
        create_product(client, name, [(f"{name.upper()}-1", 10)], price=20.00)
    ann = buyer(client, "ann@example.com", LAMP_1=3)
    unpaid = place(ann).json()["order_id"]
    ann.add("CHAIR-1", 2)
    paid = place(ann).json()["order_id"]
    webhook(client, {"order_id": paid, "payment_id": "p", "amount": 40.0, "status": "succeeded"})

    def popular() -> list[str]:
        caught_up = {"sort": "popular", "min_position": client.container.machinery.store.head()}  # type: ignore[attr-defined]
        response = client.get("/api/v1/products", params=caught_up)
        assert response.status_code == 200, response.text
        return [p["name"] for p in response.json()["products"]]

    assert popular() == ["Lamp", "Chair", "Desk"]
    ann.post(f"/api/v1/orders/{unpaid}/cancel")  # released: its units no longer count
    assert popular() == ["Chair", "Desk", "Lamp"]  # ties: newest first
    ann.post(f"/api/v1/orders/{paid}/cancel")  # paid, so restocked: returned units
    assert popular() == ["Desk", "Lamp", "Chair"]
    assert "units_ordered" not in client.get("/api/v1/products").text


def test_webhooks_are_signed_fresh_and_replays_are_harmless(client):
    create_product(client, "Rug", [("RUG-1", 3)], price=80.00)
    ann = buyer(client, "ann@example.com", RUG_1=1)
    order_id = place(ann).json()["order_id"]
    payment = {"order_id": order_id, "payment_id": "pay_9", "amount": 80.0, "status": "succeeded"}

    before = log_size(client)
    forged = webhook(client, payment, secret="not-the-secret-at-all")
    stale = webhook(client, payment, at=int(time.time()) - 3600)
    unsigned = client.post("/api/v1/payments/webhook", json=payment)
    assert [forged.status_code, stale.status_code, unsigned.status_code] == [401, 401, 401]
    assert log_size(client) == before

    first = webhook(client, payment)
    again = webhook(client, payment)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert again.json()["status"] == "paid"
    events = ann.get(f"/api/v1/orders/{order_id}/events").json()["events"]
    assert [e["type"] for e in events] == ["OrderPlaced", "OrderPaid"]


def test_a_payment_of_the_wrong_amount_is_recorded_and_does_not_pay(client):
    create_product(client, "Clock", [("CLOCK-1", 3)], price=30.00)
    ann = buyer(client, "ann@example.com", CLOCK_1=1)
    order_id = place(ann).json()["order_id"]
    short = webhook(
        client, {"order_id": order_id, "payment_id": "p1", "amount": 3.00, "status": "succeeded"}
    )
    assert short.status_code == 200
    assert short.json()["status"] == "pending_payment"
    order = ann.get(f"/api/v1/orders/{order_id}", params={"as_of": "2100-01-01T00:00:00Z"}).json()
    (payment,) = order["payments"]
    assert (payment["status"], payment["amount"]) == ("failed", 3.0)
    assert "does not match" in payment["reason"]
    assert stock(client, "CLOCK-1")["reserved"] == 1


def test_the_audit_trail_and_time_travel(client):
    create_product(client, "Kite", [("KITE-1", 3)], price=20.00)
    ann = buyer(client, "ann@example.com", KITE_1=1)
    order_id = place(ann).json()["order_id"]
    webhook(
        client, {"order_id": order_id, "payment_id": "p", "amount": 20.0, "status": "succeeded"}
    )
    client.post(f"/api/v1/orders/{order_id}/ship", json={"tracking_number": "T1"}, headers=OPS)

    events = ann.get(f"/api/v1/orders/{order_id}/events").json()["events"]
    assert [(e["type"], e["version"]) for e in events] == [
        ("OrderPlaced", 1),
        ("OrderPaid", 2),
        ("OrderShipped", 3),
    ]
    assert events[0]["actor"].startswith("user:")
    assert [e["actor"] for e in events[1:]] == ["payment-provider", "operator"]
    assert events[2]["data"] == {"tracking_number": "T1"}

    paid_at = events[1]["recorded_at"]
    then = ann.get(f"/api/v1/orders/{order_id}", params={"as_of": paid_at}).json()
    assert (then["status"], then["tracking_number"], then["version"]) == ("paid", None, 2)
    before = ann.get(f"/api/v1/orders/{order_id}", params={"as_of": "2000-01-01T00:00:00Z"})
    assert before.status_code == 404
    assert ann.get(f"/api/v1/orders/{order_id}", params={"as_of": "yesterday"}).status_code == 422


def test_users_see_only_their_own_orders_and_others_are_404(client):
    create_product(client, "Bell", [("BELL-1", 10)])
    ann = buyer(client, "ann@example.com", BELL_1=1)
    order = place(ann).json()
    bob = register(client, "bob@example.com")
    oid = order["order_id"]
    client.container.machinery.runner.wait_for("order_history", order["position"], 5)  # type: ignore[attr-defined]

    assert bob.get(f"/api/v1/orders/{oid}").status_code == 404
    assert (
        bob.get(f"/api/v1/orders/{oid}", params={"as_of": "2100-01-01T00:00:00Z"}).status_code
        == 404
    )
    assert bob.get(f"/api/v1/orders/{oid}/events").status_code == 404
    assert bob.post(f"/api/v1/orders/{oid}/cancel").status_code == 404
    assert bob.get("/api/v1/orders").json()["orders"] == []
    assert bob.get("/api/v1/orders", params={"user_id": "x"}).status_code == 403
    assert bob.post(f"/api/v1/orders/{oid}/ship", json={"tracking_number": "x"}).status_code == 403
    assert ann.get(f"/api/v1/orders/{uuid.uuid4()}").status_code == 404
    assert ann.get(f"/api/v1/orders/{oid}").status_code == 200
    # Admins filter by user, status and date.
    ann_id = ann.get("/api/v1/me").json()["id"]
    mine = client.get("/api/v1/orders", params={"user_id": ann_id}, headers=OPS)
    assert [o["order_id"] for o in mine.json()["orders"]] == [oid]
    pending = client.get("/api/v1/orders", params={"status": "pending_payment"}, headers=OPS)
    assert pending.json()["total"] == 1
    future = client.get(
        "/api/v1/orders", params={"placed_from": "2100-01-01T00:00:00Z"}, headers=OPS
    )
    assert future.json()["total"] == 0


def test_a_rebuilt_order_history_answers_exactly_as_the_live_one(client):
    create_product(client, "Tent", [("TENT-1", 20)], price=120.00)
    ids = []
    for i in range(4):
        shopper = buyer(client, f"u{i}@example.com", TENT_1=1)
        ids.append((shopper, place(shopper).json()["order_id"]))
    webhook(
        client, {"order_id": ids[0][1], "payment_id": "p0", "amount": 120.0, "status": "succeeded"}
    )
    webhook(
        client, {"order_id": ids[1][1], "payment_id": "p1", "amount": 120.0, "status": "succeeded"}
    )
    client.post(f"/api/v1/orders/{ids[1][1]}/ship", json={"tracking_number": "T"}, headers=OPS)
    ids[2][0].post(f"/api/v1/orders/{ids[2][1]}/cancel")
    runner = client.container.machinery.runner  # type: ignore[attr-defined]
    last = client.container.machinery.store.read_all(0, 100_000)[-1].position  # type: ignore[attr-defined]
    assert runner.wait_for("order_history", last, 5)

    def answers() -> list:
        listing = client.get("/api/v1/orders", params={"limit": 100}, headers=OPS).json()
        return [listing] + [shopper.get(f"/api/v1/orders/{oid}").json() for shopper, oid in ids]

    live = answers()
    runner.rebuild("order_history")
    assert answers() == live
    # And the read model equals a replay of each stream.
    for shopper, oid in ids:
        replayed = shopper.get(f"/api/v1/orders/{oid}", params={"as_of": "2100-01-01T00:00:00Z"})
        assert replayed.json() == shopper.get(f"/api/v1/orders/{oid}").json()


def test_unpaid_orders_are_cancelled_when_their_hold_expires(backend, container_for):
    with make_client(container_for, backend, order_hold=0.5, order_expiry_interval=0.2) as client:
        create_product(client, "Fig", [("FIG-1", 2)])
        ann = buyer(client, "ann@example.com", FIG_1=2)
        order_id = place(ann).json()["order_id"]
        assert stock(client, "FIG-1")["available"] == 0
        deadline = time.monotonic() + 10
        while stock(client, "FIG-1")["available"] != 2:
            assert time.monotonic() < deadline, "the hold never expired"
            time.sleep(0.1)
        events = ann.get(f"/api/v1/orders/{order_id}/events").json()["events"]
        assert [e["type"] for e in events] == ["OrderPlaced", "OrderCancelled"]
        assert events[1]["actor"] == "system:order-expiry"
        late = webhook(
            client,
            {"order_id": order_id, "payment_id": "late", "amount": 10.0, "status": "succeeded"},
        )
        assert late.status_code == 409
        events = ann.get(f"/api/v1/orders/{order_id}/events").json()["events"]
        assert events[-1]["type"] == "PaymentRefundDue"  # the money is not lost


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"payment_id": "p", "amount": "1e100000", "status": "succeeded"}, 422),
        ({"payment_id": "p", "amount": 10.005, "status": "succeeded"}, 422),
        ({"payment_id": "p", "amount": -10, "status": "succeeded"}, 422),
        ({"amount": 10, "status": "succeeded"}, 422),
        ({"payment_id": "p", "amount": 10, "status": "maybe"}, 422),
        ({"payment_id": "p", "amount": 10, "status": "succeeded", "order_id": "nope"}, 404),
    ],
)
def test_bad_webhook_bodies_are_4xx_and_change_nothing(client, payload, status):
    create_product(client, "Mat", [("MAT-1", 3)], price=10.00)
    ann = buyer(client, "ann@example.com", MAT_1=1)
    order_id = place(ann).json()["order_id"]
    before = log_size(client)
    response = webhook(client, {"order_id": order_id, **payload})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert log_size(client) == before


def test_a_signed_body_that_is_not_json_is_422(client):
    timestamp = str(int(time.time()))
    body = b"not json at all"
    response = client.post(
        "/api/v1/payments/webhook",
        content=body,
        headers={
            "X-Payment-Timestamp": timestamp,
            "X-Payment-Signature": sign(SECRET, timestamp, body),
        },
    )
    assert response.status_code == 422


def test_times_in_any_zone_mean_the_same_instant(client):
    create_product(client, "Owl", [("OWL-1", 3)])
    ann = buyer(client, "ann@example.com", OWL_1=1)
    placed = place(ann).json()
    client.container.machinery.runner.wait_for("order_history", placed["position"], 5)  # type: ignore[attr-defined]
    now_in_new_york = datetime.now(UTC).astimezone(timezone(timedelta(hours=-5))).isoformat()
    minute_ago_in_karachi = (
        (datetime.now(UTC) - timedelta(minutes=1)).astimezone(timezone(timedelta(hours=5)))
    ).isoformat()
    oid = placed["order_id"]
    assert ann.get(f"/api/v1/orders/{oid}", params={"as_of": now_in_new_york}).status_code == 200
    listed = ann.get("/api/v1/orders", params={"placed_from": minute_ago_in_karachi})
    assert listed.json()["total"] == 1
    naive = ann.get("/api/v1/orders", params={"placed_from": "2026-01-01T00:00:00"})
    assert naive.status_code == 422


def test_control_characters_are_422_on_every_database(client):
    create_product(client, "Nut", [("NUT-1", 3)])
    ann = buyer(client, "ann@example.com", NUT_1=1)
    before = log_size(client)
    attempts = [
        ann.patch("/api/v1/me", json={"name": "Ann\x00"}),
        ann.patch("/api/v1/me", json={"addresses": [{**ADDRESS, "city": "Spring\x00field"}]}),
        place(ann, body={**BODY, "payment_method_id": "pm\x00"}),
        ann.post("/api/v1/cart/items", json={"product_id": "p\x00", "quantity": 1}),
    ]
    assert [r.status_code for r in attempts] == [422] * 4
    assert log_size(client) == before
