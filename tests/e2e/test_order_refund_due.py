"""A paid order cancelled by its customer: the stock goes back and the money is recorded as
due for refund, visible to an admin in the audit trail and the order, until refunded."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.e2e.shoppers import OPS, ORDER_BODY, create_product, register, webhook


def caught_up(client: TestClient) -> dict[str, int]:
    return {"min_position": client.container.machinery.store.head()}  # type: ignore[attr-defined]


def test_cancelling_a_paid_order_records_the_payment_as_due_for_refund(client):
    create_product(client, "Kettle", [("KETTLE-1", 3)], price=45.50)
    ann = register(client, "ann@example.com")
    assert ann.add("KETTLE-1", 2).status_code == 201
    placed = ann.post(
        "/api/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    order_id = placed.json()["order_id"]
    paid = webhook(
        client, {"order_id": order_id, "payment_id": "pay_7", "amount": 91.0, "status": "succeeded"}
    )
    assert paid.json()["status"] == "paid"

    cancelled = ann.post(f"/api/v1/orders/{order_id}/cancel")

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["order"]["status"] == "cancelled"
    events = client.get(f"/api/v1/orders/{order_id}/events", headers=OPS).json()["events"]
    assert [e["type"] for e in events] == [
        "OrderPlaced",
        "OrderPaid",
        "OrderCancelled",
        "PaymentRefundDue",
    ]
    assert events[-1]["data"]["payment_id"] == "pay_7"
    assert events[-1]["data"]["amount"] == "91.00"
    order = client.get(f"/api/v1/orders/{order_id}", params=caught_up(client), headers=OPS)
    assert order.json()["payments"] == [
        {
            "payment_id": "pay_7",
            "status": "refund_due",
            "amount": 91.0,
            "reason": "the order was cancelled after it was paid",
        }
    ]
    stock = client.get("/api/v1/inventory/KETTLE-1", headers=OPS).json()
    assert stock["available"] == 3  # restocked

    refunded = client.post(f"/api/v1/orders/{order_id}/refund", headers=OPS)

    assert refunded.json()["order"]["status"] == "refunded"
    (payment,) = refunded.json()["order"]["payments"]
    assert (payment["status"], payment["amount"]) == ("refunded", 91.0)
    assert client.get("/api/v1/inventory/KETTLE-1", headers=OPS).json()["available"] == 3
    listed = client.get("/api/v1/orders", params=caught_up(client), headers=OPS).json()
    assert [p["status"] for p in listed["orders"][0]["payments"]] == ["refunded"]
