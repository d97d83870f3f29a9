"""GraphQL and REST are two faces of one shop: the same cart and order read the same through
both, a checkout key means one order whichever face retries it, and the login throttle
counts failures from both faces together."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.graphql_shoppers import (
    ADDRESS_INPUT,
    CART,
    MY_ORDERS,
    PLACE,
    SIGN_IN,
    SIGN_UP,
    add,
    ask,
    order,
    place,
    session,
    signed_up,
)
from tests.e2e.shoppers import ORDER_BODY, PASSWORD, Shopper, create_product, register


def test_the_same_key_twice_places_one_order(client: TestClient) -> None:
    create_product(client, "GQ Bag", [("GQ-BAG", 4)], 20.0)
    token = signed_up(client, "twice@example.com", PASSWORD)
    add(client, token, "GQ-BAG", 2)
    first = place(client, token, "same-key")
    again = place(client, token, "same-key")
    assert first["__typename"] == again["__typename"] == "OrderPlaced"
    assert again["orderId"] == first["orderId"]
    assert (first["replayed"], again["replayed"]) == (False, True)
    # REST, given the key GraphQL used and the same checkout, answers that order too.
    rest = Shopper(client, token).post(
        "/api/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": "same-key"}
    )
    assert rest.status_code == 201, rest.text
    assert rest.json()["order_id"] == first["orderId"]
    assert rest.headers["Idempotent-Replayed"] == "true"
    mine = ask(client, MY_ORDERS, {"first": 10, "min": first["position"]}, token=token)
    assert mine["data"]["me"]["orders"]["totalCount"] == 1
    # Another checkout with the key is refused, not a second order.
    add(client, token, "GQ-BAG")
    other = place(client, token, "same-key", pm="pm_card_mastercard")
    assert other["__typename"] == "Refused"
    assert other["type"] == "/problems/idempotency-key-reused"


def test_cart_and_order_answer_the_same_facts_on_both_faces(client: TestClient) -> None:
    create_product(client, "GQ Book", [("GQ-BOOK", 7)], 9.99)
    create_product(client, "GQ Pin", [("GQ-PIN", 3)], 1.25)
    shopper = register(client, "parity@example.com")
    assert shopper.add("GQ-BOOK", 3).status_code == 201
    assert shopper.add("GQ-PIN").status_code == 201

    rest_cart = shopper.cart()
    graph_cart = ask(client, CART, token=shopper.token)["data"]["cart"]
    assert graph_cart["total"] == rest_cart["total"] == 31.22
    assert (graph_cart["currency"], graph_cart["itemCount"]) == (
        rest_cart["currency"],
        rest_cart["item_count"],
    )
    assert [_line(i) for i in graph_cart["items"]] == [
        _line(i, snake=True) for i in rest_cart["items"]
    ]

    placed = place(client, str(shopper.token), "parity-1")
    rest_order = shopper.get(
        f"/api/v1/orders/{placed['orderId']}", params={"min_position": placed["position"]}
    ).json()
    graph_order = order(client, shopper.token, placed["orderId"], min=placed["position"])
    seen = graph_order["data"]["order"]
    assert (seen["id"], seen["status"], seen["total"], seen["currency"], seen["version"]) == (
        rest_order["order_id"],
        rest_order["status"],
        rest_order["total"],
        rest_order["currency"],
        rest_order["version"],
    )
    assert seen["items"] == [
        {
            "sku": i["sku"],
            "productId": i["product_id"],
            "name": i["name"],
            "quantity": i["quantity"],
            "unitPrice": i["unit_price"],
            "subtotal": i["subtotal"],
        }
        for i in rest_order["items"]
    ]
    assert seen["shippingAddress"]["postalCode"] == rest_order["shipping_address"]["postal_code"]
    rest_events = shopper.get(f"/api/v1/orders/{placed['orderId']}/events").json()["events"]
    assert [
        (e["type"], e["version"], e["position"], e["data"], e["actor"]) for e in seen["events"]
    ] == [(e["type"], e["version"], e["position"], e["data"], e["actor"]) for e in rest_events]


def _line(item: dict, *, snake: bool = False) -> tuple:
    names = ("product_id", "sku", "name", "quantity", "price", "subtotal", "available")
    if not snake:
        names = ("productId", *names[1:])
    return tuple(item[name] for name in names)


def test_sign_in_with_a_guest_token_merges_the_cart_and_sign_out_ends_it(
    client: TestClient,
) -> None:
    create_product(client, "GQ Cup", [("GQ-CUP", 9)], 5.0)
    account = signed_up(client, "merge@example.com", PASSWORD)
    add(client, account, "GQ-CUP", 1)
    guest = session(client)
    add(client, guest, "GQ-CUP", 2)
    variables = {"email": "merge@example.com", "password": PASSWORD}
    signed = ask(client, SIGN_IN, variables, token=guest)["data"]["signIn"]
    assert signed["__typename"] == "SignedIn", signed
    token = signed["token"]
    assert ask(client, CART, token=token)["data"]["cart"]["itemCount"] == 3

    out = ask(client, "mutation { signOut { __typename } }", token=token)
    assert out["data"]["signOut"]["__typename"] == "SignedOut"
    gone = ask(client, CART, token=token, expect_errors=True)
    assert gone["errors"][0]["extensions"]["code"] == "unauthenticated"


def test_failed_sign_ins_on_both_faces_count_against_one_throttle(client: TestClient) -> None:
    register(client, "throttled@example.com")
    wrong = {"email": "throttled@example.com", "password": "not the password"}
    for _ in range(3):
        response = Shopper(client, None).post("/api/v1/auth/login", json=wrong)
        assert response.status_code == 401
    refusals = [ask(client, SIGN_IN, wrong)["data"]["signIn"] for _ in range(3)]
    assert [r["__typename"] for r in refusals] == ["NotAllowed", "NotAllowed", "Refused"]
    assert refusals[-1]["httpStatus"] == 429
    assert refusals[-1]["retryAfter"] > 0
    # The right password waits too: the account is throttled, not the guess.
    right = {"email": "throttled@example.com", "password": PASSWORD}
    assert ask(client, SIGN_IN, right)["data"]["signIn"]["__typename"] == "Refused"


def test_place_order_mutation_needs_a_session(client: TestClient) -> None:
    variables = {"key": "k-1", "address": ADDRESS_INPUT, "pm": "pm_card_visa"}
    result = ask(client, PLACE, variables)["data"]["placeOrder"]
    assert (result["__typename"], result["httpStatus"]) == ("NotAllowed", 401)


def test_sign_ups_from_one_address_count_on_both_faces(client: TestClient) -> None:
    """REST's limit of 20 sign-ups per address in 15 minutes: every attempt counts, even
    one refused for its password, whichever face it came through."""
    short = {"email": "many@example.com", "password": "short", "name": "Test"}
    for _ in range(10):
        response = Shopper(client, None).post("/api/v1/auth/register", json=short)
        assert response.status_code == 422, response.text
    for _ in range(10):
        refused = ask(client, SIGN_UP, {"email": "many@example.com", "password": "short"})
        assert refused["data"]["signUp"]["__typename"] == "ValidationError"
    good = {"email": "many@example.com", "password": PASSWORD}
    throttled = ask(client, SIGN_UP, good)["data"]["signUp"]
    assert (throttled["__typename"], throttled["httpStatus"]) == ("Refused", 429)
    assert throttled["retryAfter"] > 0
