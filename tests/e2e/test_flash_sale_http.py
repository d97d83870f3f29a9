"""The flash sale through the real HTTP server on both databases: 200 signed-in buyers, each
with the item in the cart, send POST /orders at the same instant (one barrier) for 20 units.
Exactly 20 orders, 180 clean 409 problems, no 5xx, `available` ends at 0."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import httpx2 as httpx
import pytest
import uvicorn
from sqlalchemy import insert

from polyshop.accounts import passwords
from polyshop.accounts.schema import users
from polyshop.api.rest.app import create_app
from polyshop.bootstrap import build
from polyshop.cart.domain import CartLine
from polyshop.config import Settings
from polyshop.container import Container
from polyshop.values.clock import utc_now
from tests.e2e.shoppers import OPS
from tests.e2e.shoppers import ORDER_BODY as BODY

BUYERS, UNITS = 200, 20


@pytest.fixture
def live(backend: str, settings_for: Callable[..., Settings]) -> Iterator[tuple[str, Container]]:
    """The app served by uvicorn on a free port; its lifespan closes the container."""
    container = build(settings_for(backend))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(container), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", container
    server.should_exit = True
    thread.join(30)


def buyers_with_the_item_in_their_carts(container: Container, product_id: str) -> list[str]:
    """Signed-in buyers, made directly (200 sign-ups through HTTP would be 200 hashes)."""
    hashed = passwords.hash_password("correct horse battery")
    ids = [str(uuid.uuid4()) for _ in range(BUYERS)]
    with container.machinery.store.write_engine.begin() as connection:
        connection.execute(
            insert(users),
            [
                {
                    "id": user_id,
                    "email": f"{user_id}@example.com",
                    "email_key": f"{user_id}@example.com",
                    "name": "Buyer",
                    "password_hash": hashed,
                    "role": "customer",
                    "addresses": [],
                    "version": 1,
                    "created_at": utc_now(),
                }
                for user_id in ids
            ],
        )
    tokens = []
    for user_id in ids:
        issued = container.accounts.sessions.issue(user_id)
        container.carts.store.add(
            issued.session.cart_owner,
            CartLine("DROP-1", product_id, 1, 19900, time.time()),
            99,
            250,
        )
        tokens.append(issued.token)
    return tokens


def test_200_buyers_at_the_same_instant_get_exactly_20_orders(live: tuple[str, Container]):
    base, container = live
    created = httpx.post(
        f"{base}/api/v1/products",
        json={
            "name": "Limited drop",
            "description": "Twenty pairs.",
            "brand": "Acme",
            "category": "shoes/limited",
            "price": 199.00,
            "variants": [{"sku": "DROP-1", "stock": UNITS}],
        },
        headers=OPS,
    )
    assert created.status_code == 201
    tokens = buyers_with_the_item_in_their_carts(container, created.json()["product_id"])
    barrier = threading.Barrier(BUYERS)
    answers: list[httpx.Response | BaseException] = []
    lock = threading.Lock()

    def buy(token: str) -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            barrier.wait()
            try:
                response = client.post(
                    "/api/v1/orders",
                    json=BODY,
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": token[:16]},
                )
            except BaseException as exc:
                response = exc
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=buy, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)

    statuses = Counter(a.status_code if isinstance(a, httpx.Response) else repr(a) for a in answers)
    assert statuses == {201: UNITS, 409: BUYERS - UNITS}
    refusals = [a.json() for a in answers if isinstance(a, httpx.Response) and a.status_code == 409]
    assert {r["type"] for r in refusals} == {"/problems/insufficient-stock"}
    assert all(r["skus"] == ["DROP-1"] for r in refusals)
    stock = httpx.get(f"{base}/api/v1/inventory/DROP-1", headers=OPS).json()
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (UNITS, UNITS, 0)
