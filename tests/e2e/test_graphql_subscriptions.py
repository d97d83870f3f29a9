"""`orderUpdated` over WebSocket (graphql-transport-ws) on both databases: the owner sees
"paid" then "shipped" as an admin acts over REST; an admin may watch any order and resume
after a version; strangers and anonymous callers get an error and no events; completing a
subscription (or closing the connection) ends its watch; the limits refuse clearly."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from polyshop.api.rest.dependencies import SESSION_COOKIE
from polyshop.container import Container
from tests.e2e.shoppers import (
    OPS,
    ORDER_BODY,
    Shopper,
    create_product,
    make_client,
    register,
    webhook,
)

OPS_TOKEN = "test-ops-token"
ORDER_UPDATED = """
subscription Watch($id: ID!, $after: Int) {
  orderUpdated(id: $id, afterVersion: $after) {
    orderId status position
    event { type version occurredAt }
  }
}
"""


def placed_order(client: TestClient, email: str) -> tuple[Shopper, str]:
    """A signed-in customer and the order they placed (unpaid, 20.00)."""
    sku = f"SKU-{uuid.uuid4().hex[:8]}"
    create_product(client, f"Lamp {sku}", [(sku, 5)], price=20.0)
    owner = register(client, email)
    assert owner.add(sku).status_code == 201
    placed = owner.post(
        "/api/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert placed.status_code == 201, placed.text
    return owner, placed.json()["order_id"]


def pay(client: TestClient, order_id: str) -> None:
    paid = webhook(
        client, {"order_id": order_id, "payment_id": "pay", "amount": 20.0, "status": "succeeded"}
    )
    assert paid.status_code == 200, paid.text


def admin(client: TestClient, order_id: str, action: str, **body: Any) -> None:
    response = client.post(f"/api/v1/orders/{order_id}/{action}", json=body, headers=OPS)
    client.cookies.clear()
    assert response.status_code == 200, response.text


@contextmanager
def connection(
    client: TestClient,
    *,
    token: str | None = None,
    init: dict[str, Any] | None = None,
    cookie: str | None = None,
) -> Iterator[WebSocketTestSession]:
    """An acknowledged graphql-transport-ws connection; `token` goes in the header,
    `cookie` in the session cookie, `init` is the connection_init payload."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if cookie:
        headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
    with client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
    ) as ws:
        ws.send_json({"type": "connection_init", "payload": init or {}})
        assert ws.receive_json() == {"type": "connection_ack"}
        yield ws


def subscribe(ws: WebSocketTestSession, id_: str, order_id: str, after: int | None = None) -> None:
    variables = {"id": order_id, "after": after}
    payload = {"query": ORDER_UPDATED, "variables": variables}
    ws.send_json({"id": id_, "type": "subscribe", "payload": payload})


def update(ws: WebSocketTestSession, id_: str) -> dict[str, Any]:
    message = ws.receive_json()
    assert (message["type"], message["id"]) == ("next", id_), message
    assert "errors" not in message["payload"], message
    return dict(message["payload"]["data"]["orderUpdated"])


def watching(client: TestClient) -> int:
    container: Container = client.container  # type: ignore[attr-defined]
    return container.orders.watching


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after 10 s"
        time.sleep(0.01)


@pytest.mark.parametrize("sent_in", ["header", "cookie", "connection_init"])
def test_the_owner_sees_paid_then_shipped_as_they_happen(client: TestClient, sent_in: str) -> None:
    owner, order_id = placed_order(client, "owner@example.com")
    assert owner.token is not None
    how: dict[str, Any] = {
        "header": {"token": owner.token},
        "cookie": {"cookie": owner.token},
        "connection_init": {"init": {"authorization": f"Bearer {owner.token}"}},
    }[sent_in]
    with connection(client, **how) as ws:
        subscribe(ws, "1", order_id)
        wait_until(lambda: watching(client) == 1, "watching")
        pay(client, order_id)
        admin(client, order_id, "ship", tracking_number="1Z999")

        paid, shipped = update(ws, "1"), update(ws, "1")
    assert paid["orderId"] == shipped["orderId"] == order_id
    assert (paid["status"], paid["event"]["type"], paid["event"]["version"]) == (
        "paid", "OrderPaid", 2)  # fmt: skip
    assert (shipped["status"], shipped["event"]["type"], shipped["event"]["version"]) == (
        "shipped", "OrderShipped", 3)  # fmt: skip
    assert 0 < paid["position"] < shipped["position"]
    assert paid["event"]["occurredAt"] <= shipped["event"]["occurredAt"]
    wait_until(lambda: watching(client) == 0, "closed with the connection")
    # The position is the client's read-your-writes token: the order reads as shipped.
    order = owner.get(f"/api/v1/orders/{order_id}", params={"min_position": shipped["position"]})
    assert order.json()["status"] == "shipped"


def test_an_admin_token_in_connection_init_watches_any_order_and_resumes_after_a_version(
    client: TestClient,
) -> None:
    _, order_id = placed_order(client, "buyer@example.com")
    pay(client, order_id)
    admin(client, order_id, "ship", tracking_number="T1")
    with connection(client, init={"authorization": f"Bearer {OPS_TOKEN}"}) as ws:
        subscribe(ws, "a", order_id, after=1)  # seen: placed; missed: paid and shipped
        caught_up = [update(ws, "a"), update(ws, "a")]
        admin(client, order_id, "deliver")
        live = update(ws, "a")
    assert [(u["status"], u["event"]["version"]) for u in caught_up] == [
        ("paid", 2),
        ("shipped", 3),
    ]
    assert (live["status"], live["event"]["type"], live["event"]["version"]) == (
        "delivered", "OrderDelivered", 4)  # fmt: skip


def test_strangers_and_anonymous_callers_get_an_error_and_no_events(client: TestClient) -> None:
    owner, order_id = placed_order(client, "owner@example.com")
    stranger = register(client, "stranger@example.com")
    refusals = {}
    for who, token, init in [
        ("stranger", stranger.token, None),
        ("stranger-in-init", None, {"authorization": f"Bearer {stranger.token}"}),
        ("anonymous", None, None),
        ("bad token", "not-a-session", None),
    ]:
        with connection(client, token=token, init=init) as ws:
            subscribe(ws, "1", order_id)
            message = ws.receive_json()
            assert (message["type"], message["id"]) == ("next", "1"), (who, message)
            assert message["payload"]["data"] is None, (who, message)
            refusals[who] = message["payload"]["errors"][0]["extensions"]["code"]
            assert ws.receive_json() == {"id": "1", "type": "complete"}, who
            assert watching(client) == 0
            pay(client, order_id) if who == "stranger" else None
            # The connection still serves: a ping is answered, and no update came first.
            ws.send_json({"type": "ping"})
            assert ws.receive_json() == {"type": "pong"}, who
    assert refusals == {
        "stranger": "order-not-found",  # someone else's order does not exist for them
        "stranger-in-init": "order-not-found",
        "anonymous": "unauthenticated",
        "bad token": "unauthenticated",
    }
    wait_until(lambda: owner.get(f"/api/v1/orders/{order_id}").json()["status"] == "paid", "paid")


def test_completing_a_subscription_stops_its_updates(client: TestClient) -> None:
    owner, order_id = placed_order(client, "owner@example.com")
    with connection(client, token=owner.token) as ws:
        subscribe(ws, "first", order_id)
        wait_until(lambda: watching(client) == 1, "watching")
        pay(client, order_id)
        assert update(ws, "first")["status"] == "paid"

        ws.send_json({"id": "first", "type": "complete"})
        wait_until(lambda: watching(client) == 0, "unsubscribed")
        admin(client, order_id, "ship", tracking_number="T2")
        # A second subscription resumes after "paid": the next message on the connection
        # is its "shipped", none for the completed one.
        subscribe(ws, "second", order_id, after=2)
        message = ws.receive_json()
    assert message["id"] == "second", message
    assert message["payload"]["data"]["orderUpdated"]["status"] == "shipped"


def test_the_per_connection_and_per_process_limits_refuse_clearly(
    backend: str, container_for: Callable[..., Container]
) -> None:
    with make_client(container_for, backend, order_subscriptions_max=2) as client:
        owner, order_id = placed_order(client, "owner@example.com")
        with connection(client, token=owner.token) as ws:
            for n in range(3):
                subscribe(ws, str(n), order_id)
            refused = ws.receive_json()
            wait_until(lambda: watching(client) == 2, "watching twice")
        assert refused["type"] == "next", refused  # one of the three, whichever came last
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "too-many-subscriptions"
        assert refused["payload"]["errors"][0]["extensions"]["status"] == 503

    with make_client(container_for, backend) as client:
        owner, order_id = placed_order(client, "busy@example.com")
        with connection(client, token=owner.token) as ws:
            for n in range(17):
                subscribe(ws, str(n), order_id)
            over = ws.receive_json()
        assert (over["type"], over["id"]) == ("error", "16"), over
        assert over["payload"][0]["message"] == "Subscription limit reached"
    # The shop closed: its one follower of the log stopped with it.
    assert "order-updates" not in {thread.name for thread in threading.enumerate()}
