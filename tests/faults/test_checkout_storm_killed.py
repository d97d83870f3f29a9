"""kill -9 the server in the middle of a checkout storm, on both databases: every order
that was answered 201 exists after the restart, with its events; the stock reserved is
exactly what the orders that exist hold (none lost, none counted twice); and once their
hold passes unpaid, every unit is back: no reservation outlives its hold."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.e2e.shoppers import ORDER_BODY
from tests.faults.test_kill_between_commit_and_cart import (  # noqa: F401 (fixtures)
    OPS_TOKEN,
    Shop,
    shop,
    shop_env,
)
from tests.waiting import eventually

BUYERS, UNITS, STOCK = 60, 2, 1000
GUEST_ORDER = {**ORDER_BODY, "email": "storm@example.com"}
HOLD = 6


@pytest.fixture
def storm_env(shop_env: dict[str, str]) -> dict[str, str]:  # noqa: F811
    return {**shop_env, "POLYSHOP_ORDER_HOLD": str(HOLD), "POLYSHOP_ORDER_EXPIRY_INTERVAL": "0.5"}


def test_a_server_killed_mid_storm_loses_no_order_and_leaks_no_stock(
    storm_env: dict[str, str], tmp_path: Path
):
    shop = Shop(storm_env, tmp_path / "var", tmp_path / "serve.log")  # noqa: F811
    shop.start()
    try:
        _storm_and_restart(shop)
    finally:
        shop.stop()


def _storm_and_restart(shop: Shop) -> None:  # noqa: F811
    product = {
        "name": "Drop sneaker", "description": "Limited.", "brand": "Acme",
        "category": "shoes/sneakers", "price": 120.00,
        "variants": [{"sku": "DROP-1", "stock": STOCK}],
    }  # fmt: skip
    assert shop.call("POST", "/api/v1/products", OPS_TOKEN, json=product).status_code == 201
    tokens = []  # guests: sign-ups are limited per address, guest checkout is not
    for _ in range(BUYERS):
        tokens.append(httpx.post(f"{shop.base}/api/v1/sessions", timeout=30).json()["token"])
        cart = {"sku": "DROP-1", "quantity": UNITS}
        assert shop.call("POST", "/api/v1/cart/items", tokens[-1], json=cart).status_code == 201

    answered: list[str] = []  # the order ids answered 201
    barrier = threading.Barrier(BUYERS + 1)

    def buy(token: str) -> None:
        barrier.wait()
        try:
            placed = shop.call(
                "POST", "/api/v1/orders", token, json=GUEST_ORDER,
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )  # fmt: skip
        except httpx.TransportError:
            return
        if placed.status_code == 201:
            answered.append(placed.json()["order_id"])

    threads = [threading.Thread(target=buy, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    barrier.wait()
    deadline = time.monotonic() + 30
    while not answered:  # the first 201: the storm is under way
        assert time.monotonic() < deadline, "no order was placed"
        time.sleep(0.002)
    assert shop.process is not None
    shop.process.send_signal(signal.SIGKILL)  # mid-storm
    assert shop.process.wait(30) == -signal.SIGKILL
    for thread in threads:
        thread.join()
    assert 1 <= len(answered) < BUYERS, "the kill came after the storm"

    shop.start()
    stock = shop.call("GET", "/api/v1/inventory/DROP-1", OPS_TOKEN).json()
    held = stock["reserved"] // UNITS  # the orders that exist hold these units
    assert stock["on_hand"] == STOCK
    assert stock["reserved"] == UNITS * held
    assert len(answered) <= held <= BUYERS
    print(f"killed mid-storm: {len(answered)} answered 201, {held} orders stand")
    eventually(
        lambda: shop.call("GET", "/api/v1/orders", OPS_TOKEN, params={"limit": 100}).json()[
            "total"
        ] == held,
        "the order history does not show the orders that hold stock",
    )  # fmt: skip
    listed = shop.call("GET", "/api/v1/orders", OPS_TOKEN, params={"limit": 100}).json()
    assert set(answered) <= {order["order_id"] for order in listed["orders"]}
    for order_id in answered:  # every 201 stands, with its events
        events = shop.call("GET", f"/api/v1/orders/{order_id}/events", OPS_TOKEN).json()
        assert events["events"][0]["type"] == "OrderPlaced"

    eventually(  # unpaid past the hold: cancelled, every unit back
        lambda: shop.call("GET", "/api/v1/inventory/DROP-1", OPS_TOKEN).json()["reserved"] == 0,
        "reservations outlived their hold",
        seconds=HOLD + 30,
    )
    assert shop.call("GET", "/api/v1/inventory/DROP-1", OPS_TOKEN).json()["available"] == STOCK
