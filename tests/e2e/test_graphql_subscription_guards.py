"""What keeps subscriptions in bounds on both databases: a user holds at most
`MAX_WATCHES_PER_VIEWER` watches however many connections they open; a socket signed in
before sign-out cannot start a subscription after it; a cookie-signed socket opened by a
page of another origin is refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from polyshop.api.rest.dependencies import SESSION_COOKIE
from polyshop.orders.updates import MAX_WATCHES_PER_VIEWER
from tests.e2e.test_graphql_subscriptions import (
    connection,
    pay,
    placed_order,
    subscribe,
    update,
    wait_until,
    watching,
)


def test_one_user_cannot_take_every_subscription_of_the_process(client: TestClient) -> None:
    owner, order_id = placed_order(client, "owner@example.com")
    other, theirs = placed_order(client, "other@example.com")
    per_connection = 16
    assert 2 * per_connection == MAX_WATCHES_PER_VIEWER
    with (
        connection(client, token=owner.token) as first,
        connection(client, token=owner.token) as second,
        connection(client, token=owner.token) as third,
    ):
        for n in range(per_connection):
            subscribe(first, f"a{n}", order_id)
            subscribe(second, f"b{n}", order_id)
        wait_until(lambda: watching(client) == MAX_WATCHES_PER_VIEWER, "watching 32")
        subscribe(third, "over", order_id)
        pay(client, order_id)  # a watch let through would answer "paid" here
        refused = third.receive_json()
        assert (refused["type"], refused["id"]) == ("next", "over"), refused
        error = refused["payload"]["errors"][0]
        assert error["extensions"]["code"] == "too-many-subscriptions"
        assert error["extensions"]["status"] == 429
        assert "one user may hold at most 32" in error["message"]
        assert watching(client) == MAX_WATCHES_PER_VIEWER
        with connection(client, token=other.token) as elsewhere:
            subscribe(elsewhere, "theirs", theirs)  # someone else still gets one
            wait_until(lambda: watching(client) == MAX_WATCHES_PER_VIEWER + 1, "theirs")
            pay(client, theirs)
            assert update(elsewhere, "theirs")["status"] == "paid"
    wait_until(lambda: watching(client) == 0, "all closed")


def test_a_subscription_started_after_sign_out_on_the_same_socket_is_refused(
    client: TestClient,
) -> None:
    owner, order_id = placed_order(client, "owner@example.com")
    with connection(client, token=owner.token) as ws:
        subscribe(ws, "before", order_id)
        wait_until(lambda: watching(client) == 1, "watching")
        signed_out = owner.post("/api/v1/auth/logout")
        assert signed_out.status_code in (200, 204), signed_out.text
        subscribe(ws, "after", order_id)
        pay(client, order_id)  # a subscription let through would answer "paid"
        message = ws.receive_json()
        while message.get("id") != "after":
            message = ws.receive_json()
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None, message
    assert message["payload"]["errors"][0]["extensions"]["code"] == "unauthenticated"


def _opened(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """The answer to connection_init on a socket opened with `headers`."""
    with client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
    ) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        return dict(ws.receive_json())


def test_a_cookie_signed_socket_from_another_origin_is_refused(client: TestClient) -> None:
    owner, order_id = placed_order(client, "owner@example.com")
    cookie = {"Cookie": f"{SESSION_COOKIE}={owner.token}"}
    with pytest.raises(WebSocketDisconnect) as closed:  # the handshake answered 403
        _opened(client, {**cookie, "Origin": "https://evil.example"})
    assert closed.value.code == 1008
    # The shop's own pages and a client sending no Origin connect by cookie; a page of
    # another origin may connect without the cookie, signing in with a token it holds.
    assert _opened(client, {**cookie, "Origin": "http://testserver"})["type"] == "connection_ack"
    assert _opened(client, cookie)["type"] == "connection_ack"
    elsewhere = {"Origin": "https://app.example"}
    bearer = {"Authorization": f"Bearer {owner.token}", **elsewhere}
    assert _opened(client, bearer)["type"] == "connection_ack"
    assert _opened(client, elsewhere)["type"] == "connection_ack"
    with connection(client, init={"authorization": f"Bearer {owner.token}"}) as ws:
        subscribe(ws, "init", order_id)
        wait_until(lambda: watching(client) == 1, "watching by connection_init")
    with connection(client, cookie=owner.token) as ws:
        subscribe(ws, "1", order_id)
        wait_until(lambda: watching(client) == 1, "watching by cookie")
