"""The GraphQL response cache on both databases: an anonymous catalog query asked again is
answered from memory (no SQL at all, the persisted and GET forms too), a price or stock
change evicts it, and what must never be kept (a session's answer, a mutation, a
`minPosition` read) never is; a product view is counted on a hit as on a miss."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient

from polyshop.container import Container
from tests.e2e.graphql import statements
from tests.e2e.shoppers import OPS, PASSWORD, guest
from tests.e2e.test_analytics_http import admin, buy_together, caught_up, product

GET_PRODUCT = """query GetProduct($id: ID!) {
  product(id: $id) {
    id name price inStock
    variants { sku price available }
    recommendations(limit: 4) { id name variants { available } }
  }
}"""


def shop(client: TestClient) -> Container:
    return client.container  # type: ignore[attr-defined]


def post(client: TestClient, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    """POST an operation with no cookie (and a bearer token if given)."""
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response


def asked(client: TestClient, product_id: str, token: str | None = None) -> dict[str, Any]:
    """GetProduct's `product`, asked by a visitor (or the session of `token`)."""
    body = {"query": GET_PRODUCT, "variables": {"id": product_id}}
    answer = post(client, body, token).json()
    assert "errors" not in answer, answer
    return dict(answer["data"]["product"])


def settled(client: TestClient, product_id: str) -> None:
    """Wait until GetProduct of `product_id` is answered from memory: the cache's follower
    of the log has passed the product's creation (else it may evict a first answer)."""
    deadline = time.monotonic() + 2
    while True:
        with statements(client) as seen:
            asked(client, product_id)
        if not seen:
            return
        assert time.monotonic() < deadline, "never answered from memory"
        time.sleep(0.02)


def twice_from_memory(client: TestClient, send: Any) -> httpx.Response:
    """Send the request twice: the second runs no SQL and answers the first's bytes."""
    first = send()
    with statements(client) as seen:
        second = send()
    assert seen == []
    assert (second.content, second.headers["content-type"]) == (
        first.content,
        first.headers["content-type"],
    )
    return second


def test_a_repeated_anonymous_product_query_is_answered_from_memory(client: TestClient):
    lamp = product(client, "Lamp", "LAMP-1", price=40.0)
    body = {"query": GET_PRODUCT, "variables": {"id": lamp}}
    with statements(client) as seen:
        first = post(client, body)
    assert seen  # the miss read the document
    settled(client, lamp)

    second = twice_from_memory(client, lambda: post(client, body))
    assert (
        second.json()["data"]["product"]["price"]
        == 40.0
        == first.json()["data"]["product"]["price"]
    )

    digest = hashlib.sha256(GET_PRODUCT.encode()).hexdigest()
    persisted = {"version": 1, "sha256Hash": digest}
    post(client, {**body, "extensions": {"persistedQuery": persisted}})  # stores the query
    hashed = {"variables": {"id": lamp}, "extensions": {"persistedQuery": persisted}}
    assert twice_from_memory(client, lambda: post(client, hashed)).json() == first.json()

    params = {"query": GET_PRODUCT, "variables": f'{{"id": "{lamp}"}}'}
    answer = twice_from_memory(client, lambda: client.get("/graphql", params=params))
    assert answer.json() == first.json()


def poll(client: TestClient, product_id: str, done: Any) -> dict[str, Any]:
    """The product as GraphQL answers it, asked until `done(answer)` (2 s at most)."""
    deadline = time.monotonic() + 2
    while not done(found := asked(client, product_id)):
        assert time.monotonic() < deadline, f"still {found}"
        time.sleep(0.02)
    return found


def adjust(client: TestClient, product_id: str, sku: str, delta: int) -> dict[str, Any]:
    """Adjust `sku`'s stock; the product's REST page once the read model holds it."""
    adjusted = client.post(
        f"/api/v1/inventory/{sku}/adjust", json={"delta": delta, "reason": "count"}, headers=OPS
    )
    assert adjusted.status_code == 200, adjusted.text
    at = adjusted.json()["position"]
    read = client.get(f"/api/v1/products/{product_id}", params={"min_position": at})
    assert read.status_code == 200, read.text
    return dict(read.json())


def test_a_price_change_evicts_the_kept_answer(client: TestClient):
    lamp = product(client, "Lamp", "LAMP-1", price=40.0)
    settled(client, lamp)
    assert asked(client, lamp)["price"] == 40.0  # kept

    repriced = client.patch(f"/api/v1/products/{lamp}", json={"price": 35.5}, headers=OPS)
    assert repriced.status_code == 200, repriced.text
    at = repriced.json()["position"]
    read = client.get(f"/api/v1/products/{lamp}", params={"min_position": at})
    assert read.json()["price"] == 35.5
    assert poll(client, lamp, lambda p: p["price"] == 35.5)["variants"][0]["price"] == 35.5


def test_a_stock_change_evicts_the_answers_showing_the_product(client: TestClient):
    """Stock that stays above zero moves no listing (any catalog change does, and drops
    every kept answer): only answers showing the SKU go, the product's own and those
    recommending it alike."""
    lamp = product(client, "Lamp", "LAMP-1")
    desk = product(client, "Lamp Desk", "DESK-1")
    settled(client, lamp)
    settled(client, desk)
    assert desk in {r["id"] for r in asked(client, lamp)["recommendations"]}

    assert adjust(client, lamp, "LAMP-1", -4)["variants"][0]["available"] == 5
    assert poll(client, lamp, lambda p: p["variants"][0]["available"] == 5)["inStock"]

    assert adjust(client, desk, "DESK-1", -2)["variants"][0]["available"] == 7

    def desk_shows_7(answer: dict[str, Any]) -> bool:
        shown = {r["id"]: r["variants"][0]["available"] for r in answer["recommendations"]}
        return shown.get(desk) == 7

    poll(client, lamp, desk_shows_7)


def test_a_sessions_answer_is_never_kept_nor_served_a_visitors(client: TestClient):
    tent, stove, mat = (product(client, n, f"{n.upper()}-1") for n in ("Tent", "Stove", "Mat"))
    buy_together(client, "a@example.com", "TENT-1", "STOVE-1")
    caught_up(client, buy_together(client, "b@example.com", "TENT-1", "MAT-1"))
    shopper = guest(client)
    assert shopper.add("STOVE-1").status_code == 201

    def recommended(token: str | None) -> set[str]:
        return {p["id"] for p in asked(client, tent, token)["recommendations"]}

    assert recommended(shopper.token) == {mat}  # first: nothing kept for a session
    assert recommended(None) == {stove, mat}  # the visitor's answer, now kept
    assert recommended(None) == {stove, mat}
    assert recommended(shopper.token) == {mat}  # never the visitor's kept answer
    client.cookies.set("polyshop_session", str(shopper.token))
    answer = client.post("/graphql", json={"query": GET_PRODUCT, "variables": {"id": tent}})
    client.cookies.clear()
    assert {p["id"] for p in answer.json()["data"]["product"]["recommendations"]} == {mat}


def test_a_mutation_is_never_kept(client: TestClient):
    sign_up = {
        "query": "mutation($e: String!, $p: String!) "
        '{ signUp(email: $e, password: $p, name: "Ann") { __typename } }',
        "variables": {"e": f"{uuid.uuid4().hex}@example.com", "p": PASSWORD},
    }

    first = post(client, sign_up).json()["data"]["signUp"]["__typename"]
    second = post(client, sign_up).json()["data"]["signUp"]["__typename"]

    assert (first, second) == ("SignedIn", "Conflict")  # the second ran: the email is taken


def test_a_view_is_counted_on_every_hit(client: TestClient):
    lamp = product(client, "Lamp", "LAMP-1")
    for _ in range(3):  # a miss, then two hits
        assert asked(client, lamp)["id"] == lamp
    shop(client).signals.flush()

    series = admin(client, f"/products/{lamp}/views", bucket="hour")

    assert sum(p["views"] for p in series["points"]) == 3


def test_min_position_bypasses_the_cache(client: TestClient):
    lamp = product(client, "Lamp", "LAMP-1", price=40.0)
    fresh = {
        "query": "query($id: ID!, $at: Int) { product(id: $id, minPosition: $at) { price } }",
        "variables": {"id": lamp, "at": 1},
    }
    settled(client, lamp)
    post(client, fresh)
    with statements(client) as seen:
        answer = post(client, fresh).json()
    assert answer["data"]["product"]["price"] == 40.0
    assert seen  # read again


def test_the_same_request_arriving_during_a_miss_waits_for_its_answer(client: TestClient):
    """A hot product just evicted is read once, not once per client asking meanwhile."""
    lamp = product(client, "Lamp", "LAMP-1")
    settled(client, product(client, "Desk", "DESK-1"))  # the follower is past the lamp too
    catalog = shop(client).catalog
    read = catalog.product_documents
    reads: list[list[str]] = []

    def counted(ids: list[str]) -> dict[str, dict[str, Any]]:
        reads.append(list(ids))
        time.sleep(0.05)  # a slow read: the other requests arrive while it runs
        return read(ids)

    catalog.product_documents = counted  # type: ignore[method-assign]
    start = threading.Barrier(8)
    answers: list[dict[str, Any]] = []

    def ask() -> None:
        start.wait()
        answers.append(asked(client, lamp))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [answer["id"] for answer in answers] == [lamp] * 8
    assert reads == [[lamp]]
