"""The shopper's GraphQL face: the journey from a guest session to a cancelled order, and
each refusal as the typed result a client branches on (REST's facts, GraphQL's shape)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.graphql import statements
from tests.e2e.graphql_shoppers import (
    ADD,
    ADDRESS_INPUT,
    CANCEL,
    CART,
    MY_ORDERS,
    REMOVE,
    UPDATE,
    add,
    ask,
    order,
    place,
    session,
    signed_up,
)
from tests.e2e.shoppers import PASSWORD, create_product


def test_shopper_journey_from_guest_session_to_cancelled_order(client: TestClient) -> None:
    product_id = create_product(client, "GQ Tee", [("GQ-TEE-M", 5), ("GQ-TEE-L", 2)], 12.5)
    guest = session(client)
    cart = add(client, guest, "GQ-TEE-M", 2)
    assert cart["__typename"] == "Cart"
    assert [(i["sku"], i["quantity"], i["subtotal"]) for i in cart["items"]] == [
        ("GQ-TEE-M", 2, 25.0)
    ]
    assert cart["items"][0]["productId"] == product_id
    assert (cart["total"], cart["currency"], cart["itemCount"]) == (25.0, "USD", 2)

    # Signing up with the guest token brings the cart along and retires the guest token.
    token = signed_up(client, "journey@example.com", PASSWORD, token=guest)
    assert ask(client, CART, token=token)["data"]["cart"]["itemCount"] == 2
    stale = ask(client, CART, token=guest, expect_errors=True)
    assert stale["errors"][0]["extensions"]["code"] == "unauthenticated"

    changed = ask(client, UPDATE, {"sku": "gq-tee-m", "quantity": 3}, token=token)
    assert changed["data"]["updateCartItem"]["items"][0]["quantity"] == 3
    add(client, token, "GQ-TEE-L")
    removed = ask(client, REMOVE, {"sku": "GQ-TEE-L"}, token=token)["data"]["removeCartItem"]
    assert [i["sku"] for i in removed["items"]] == ["GQ-TEE-M"]

    placed = place(client, token, "journey-1")
    assert placed["__typename"] == "OrderPlaced", placed
    assert (placed["status"], placed["total"], placed["replayed"]) == (
        "pending_payment",
        37.5,
        False,
    )
    assert placed["accessKey"] is None  # a customer's order opens by signing in
    assert ask(client, CART, token=token)["data"]["cart"]["items"] == []

    seen = order(client, token, placed["orderId"], min=placed["position"])["data"]["order"]
    assert (seen["status"], seen["total"], seen["version"]) == ("pending_payment", 37.5, 1)
    assert [(e["type"], e["version"]) for e in seen["events"]] == [("OrderPlaced", 1)]
    assert seen["events"][0]["actor"] == f"user:{seen['userId']}"
    assert seen["events"][0]["data"]["total"] == "37.50"  # the log's decimal string
    assert seen["shippingAddress"]["postalCode"] == "12345"

    mine = ask(client, MY_ORDERS, {"first": 5, "min": placed["position"]}, token=token)
    orders = mine["data"]["me"]["orders"]
    assert orders["totalCount"] == 1
    assert [e["node"]["id"] for e in orders["edges"]] == [placed["orderId"]]

    _cancel_and_look_back(client, token, placed)


def _cancel_and_look_back(client: TestClient, token: str, placed: dict) -> None:
    """The journey's end: the customer cancels, the stock comes back, and the order as it
    stood when placed is still there to read."""
    cancel = {"id": placed["orderId"], "reason": "changed my mind"}
    cancelled = ask(client, CANCEL, cancel, token=token)["data"]["cancelOrder"]
    assert cancelled["__typename"] == "OrderChanged", cancelled
    assert cancelled["order"]["status"] == "cancelled"
    assert cancelled["position"] > placed["position"]
    after = order(client, token, placed["orderId"], min=cancelled["position"])["data"]["order"]
    assert after["status"] == "cancelled"
    assert [e["type"] for e in after["events"]][-1] == "OrderCancelled"
    assert after["events"][-1]["data"]["reason"] == "changed my mind"
    # Time travel: as it stood when it was placed, replayed from its events.
    placed_at = after["events"][0]["occurredAt"]
    then = order(client, token, placed["orderId"], asOf=placed_at)["data"]["order"]
    assert (then["status"], then["version"]) == ("pending_payment", 1)
    naive = order(client, token, placed["orderId"], asOf="2026-01-01T00:00:00")
    assert naive["errors"][0]["extensions"]["code"] == "validation-error"
    assert "time zone" in naive["errors"][0]["message"]
    # The stock came back: all five can be put in a cart again.
    assert add(client, token, "GQ-TEE-M", 5)["__typename"] == "Cart"


def test_my_orders_page_by_cursor(client: TestClient) -> None:
    create_product(client, "GQ Pen", [("GQ-PEN", 10)], 2.0)
    token = signed_up(client, "pages@example.com", PASSWORD)
    last = 0
    for n in range(3):
        add(client, token, "GQ-PEN", n + 1)
        last = place(client, token, f"pages-{n}")["position"]
    first = ask(client, MY_ORDERS, {"first": 2, "min": last}, token=token)["data"]["me"]
    page = first["orders"]
    assert page["totalCount"] == 3
    assert len(page["edges"]) == 2
    assert page["pageInfo"]["hasNextPage"]
    assert not page["pageInfo"]["hasPreviousPage"]
    after = page["pageInfo"]["endCursor"]
    rest = ask(client, MY_ORDERS, {"first": 2, "after": after}, token=token)["data"]["me"]
    assert [e["node"]["total"] for e in rest["orders"]["edges"]] == [2.0]  # the oldest
    assert not rest["orders"]["pageInfo"]["hasNextPage"]
    bad = ask(client, MY_ORDERS, {"first": 0}, token=token, expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "validation-error"
    forged_cursor = {"first": 2, "after": "bm9wZQ"}
    forged = ask(client, MY_ORDERS, forged_cursor, token=token, expect_errors=True)
    assert "after" in forged["errors"][0]["message"]


_TABLES = ("accounts_users", "order_history", "stream_id")
ORDERS_WITH_EVENTS = """
query($first: Int!) {
  me { orders(first: $first) { edges { node { id events { type version } } } } }
}"""


def test_my_orders_with_their_events_cost_the_same_statements_for_2_or_6(
    client: TestClient,
) -> None:
    create_product(client, "GQ Clip", [("GQ-CLIP", 50)], 1.0)
    token = signed_up(client, "trails@example.com", PASSWORD)
    last = 0
    for n in range(6):
        add(client, token, "GQ-CLIP")
        last = place(client, token, f"clip-{n}")["position"]
    ask(client, MY_ORDERS, {"first": 1, "min": last}, token=token)  # the history caught up
    counts = {}
    for first in (2, 6):
        with statements(client) as seen:
            me = ask(client, ORDERS_WITH_EVENTS, {"first": first}, token=token)["data"]["me"]
        edges = me["orders"]["edges"]
        assert len(edges) == first
        assert all(e["node"]["events"] == [{"type": "OrderPlaced", "version": 1}] for e in edges)
        # What this query asks of the database (the projections' own polling, running
        # meanwhile in the background, is left out): the trails are one read, not one each.
        asked = [" ".join(q.split()) for q in seen if any(t in q for t in _TABLES)]
        trails = [q for q in asked if "FROM events WHERE events.stream_id" in q]
        assert len(trails) == 1, trails
        counts[first] = len(asked)
    # a count may be cached for one of the two reads: the same few either way, never 2 or 6
    assert max(counts.values()) <= 5, counts


def test_refusals_are_typed_results(client: TestClient) -> None:
    create_product(client, "GQ Mug", [("GQ-MUG", 1)], 8.0)
    token = signed_up(client, "typed@example.com", PASSWORD)

    zero = add(client, token, "GQ-MUG", 0)
    assert zero["__typename"] == "ValidationError"
    assert [e["field"] for e in zero["errors"]] == ["quantity"]
    short = add(client, token, "GQ-MUG", 3)
    assert short["__typename"] == "OutOfStock"
    assert (short["skus"], short["available"], short["httpStatus"]) == (["GQ-MUG"], 1, 409)
    unknown = add(client, token, "NO-SUCH-SKU")
    assert unknown["__typename"] == "ValidationError"
    assert unknown["errors"][0]["field"] == "sku"
    neither = ask(client, ADD, {"quantity": 1}, token=token)["data"]["addToCart"]
    assert (neither["__typename"], neither["errors"][0]["field"]) == ("ValidationError", "sku")

    empty = place(client, token, "empty-1")
    assert (empty["__typename"], empty["type"]) == ("Refused", "/problems/empty-cart")
    assert empty["httpStatus"] == 422

    missing = ask(client, UPDATE, {"sku": "GQ-MUG", "quantity": 1}, token=token)
    assert missing["data"]["updateCartItem"]["__typename"] == "NotFound"

    add(client, token, "GQ-MUG")
    control = place(client, token, "bad-1", pm="pm\u0007card")
    assert control["__typename"] == "ValidationError"
    assert [e["field"] for e in control["errors"]] == ["paymentMethodId"]
    no_city = place(client, token, "bad-2", address={**ADDRESS_INPUT, "city": " "})
    assert [e["field"] for e in no_city["errors"]] == ["city"]
    long_key = place(client, token, "k" * 201)
    assert [e["field"] for e in long_key["errors"]] == ["idempotencyKey"]

    anonymous = ask(client, CART, expect_errors=True)
    assert anonymous["data"] == {"cart": None}
    assert anonymous["errors"][0]["extensions"]["status"] == 401


def test_out_of_stock_at_checkout_names_the_skus(client: TestClient) -> None:
    create_product(client, "GQ Lamp", [("GQ-LAMP", 1)], 30.0)
    first = signed_up(client, "first@example.com", PASSWORD)
    second = signed_up(client, "second@example.com", PASSWORD)
    add(client, first, "GQ-LAMP")
    add(client, second, "GQ-LAMP")
    assert place(client, first, "lamp-a")["__typename"] == "OrderPlaced"
    refused = place(client, second, "lamp-b")
    assert refused["__typename"] == "OutOfStock"
    assert refused["skus"] == ["GQ-LAMP"]
    assert ask(client, CART, token=second)["data"]["cart"]["itemCount"] == 1  # kept


def test_another_users_order_is_not_found(client: TestClient) -> None:
    create_product(client, "GQ Cap", [("GQ-CAP", 5)], 15.0)
    owner = signed_up(client, "owner@example.com", PASSWORD)
    other = signed_up(client, "other@example.com", PASSWORD)
    add(client, owner, "GQ-CAP")
    placed = place(client, owner, "cap-1")
    peek = order(client, other, placed["orderId"], min=placed["position"])
    assert peek["data"] == {"order": None}
    assert peek["errors"][0]["extensions"]["code"] == "order-not-found"
    assert peek["errors"][0]["extensions"]["status"] == 404
    cancel = {"id": placed["orderId"], "reason": ""}
    assert ask(client, CANCEL, cancel, token=other)["data"]["cancelOrder"]["__typename"] == (
        "NotFound"
    )
    admin = order(client, "test-ops-token", placed["orderId"], min=placed["position"])
    assert admin["data"]["order"]["status"] == "pending_payment"  # the operator sees every order
    # Nobody signed in: asked to sign in, as REST's 401.
    assert order(client, None, placed["orderId"])["errors"][0]["extensions"]["status"] == 401


def test_guest_checks_out_with_an_email_and_opens_the_order_by_its_key(
    client: TestClient,
) -> None:
    create_product(client, "GQ Sock", [("GQ-SOCK", 9)], 4.0)
    guest = session(client)
    add(client, guest, "GQ-SOCK", 2)
    no_email = place(client, guest, "guest-1")
    assert no_email["__typename"] == "ValidationError"
    assert no_email["errors"][0]["field"] == "email"
    placed = place(client, guest, "guest-2", email="guest@example.com")
    assert placed["__typename"] == "OrderPlaced", placed
    assert placed["accessKey"]
    opened = order(client, None, placed["orderId"], key=placed["accessKey"])["data"]["order"]
    assert (opened["guestEmail"], opened["total"], opened["userId"]) == (
        "guest@example.com",
        8.0,
        "",
    )
    assert [e["actor"] for e in opened["events"]] == ["guest"]
    wrong = order(client, None, placed["orderId"], key="not-the-key")
    assert wrong["errors"][0]["extensions"]["code"] == "order-not-found"
    # The guest token alone is not a customer's: REST's 401, saying how to go on.
    as_guest = order(client, guest, placed["orderId"])
    assert "signIn" in as_guest["errors"][0]["message"]
