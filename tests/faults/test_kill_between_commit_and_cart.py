"""kill -9 between checkout's commit and the cart's change, on both databases and both
cart stores: the order stands, its cart is emptied from the log after the restart, and no
later checkout (a retry with a new key, the next click) buys the same cart again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.e2e.shoppers import ORDER_BODY, PASSWORD
from tests.local_servers import free_port
from tests.waiting import eventually

OPS_TOKEN = "fault-ops-token"
OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}


class Shop:
    """`polyshop serve` in a process of its own, on one data dir and database."""

    def __init__(self, env: dict[str, str], data_dir: Path, log: Path) -> None:
        self.env = env
        self.data_dir = data_dir
        self.log = log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, module: str = "polyshop") -> None:
        command = [sys.executable, "-m", module, "serve", "--no-seed"]
        args = ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [*command, *args], env=self.env, stdout=sink, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)

    def call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return httpx.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)


@pytest.fixture
def shop_env(backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("POLYSHOP_")},
        "POLYSHOP_OPS_TOKEN": OPS_TOKEN,
        "POLYSHOP_LOG_LEVEL": "warning",
    }
    if backend == "postgres":
        env["POLYSHOP_DATABASE_URL"] = request.getfixturevalue("postgres_url")
        env["POLYSHOP_REDIS_URL"] = request.getfixturevalue("redis_url")
        env["POLYSHOP_REDIS_PREFIX"] = request.getfixturevalue("redis_prefix")
    return env


@pytest.fixture
def shop(shop_env: dict[str, str], tmp_path: Path) -> Iterator[Shop]:
    running = Shop(shop_env, tmp_path / "var", tmp_path / "serve.log")
    yield running
    running.stop()


def test_a_kill_after_the_commit_leaves_one_order_and_an_emptied_cart(shop: Shop):
    shop.start("tests.faults.serve_dying_after_checkout")
    product = {
        "name": "Sturdy kettle",
        "description": "Boils water.",
        "brand": "Acme",
        "category": "kitchen/kettles",
        "price": 49.00,
        "variants": [{"sku": "KETTLE-1", "stock": 10}],
    }
    assert shop.call("POST", "/api/v1/products", OPS_TOKEN, json=product).status_code == 201
    registered = httpx.post(
        f"{shop.base}/api/v1/auth/register",
        json={"email": "kill@example.com", "password": PASSWORD, "name": "Kim"},
    )
    token = registered.json()["token"]
    added = shop.call("POST", "/api/v1/cart/items", token, json={"sku": "KETTLE-1", "quantity": 2})
    assert added.status_code in (200, 201), added.text

    with pytest.raises(httpx.TransportError):  # the process dies after its commit
        shop.call(
            "POST", "/api/v1/orders", token, json=ORDER_BODY, headers={"Idempotency-Key": "k1"}
        )
    assert shop.process is not None
    assert shop.process.wait(30) == -signal.SIGKILL

    shop.start()
    # The next click, with a new key: never a second order.
    again = shop.call(
        "POST", "/api/v1/orders", token, json=ORDER_BODY, headers={"Idempotency-Key": "k2"}
    )
    assert again.status_code in (409, 422), again.text
    assert again.json()["type"] in ("/problems/cart-already-ordered", "/problems/empty-cart")
    # The request that was never answered, retried with its key, gets the order it placed.
    retried = shop.call(
        "POST", "/api/v1/orders", token, json=ORDER_BODY, headers={"Idempotency-Key": "k1"}
    )
    assert retried.status_code == 201, retried.text
    order_id = retried.json()["order_id"]
    if again.status_code == 409:
        assert again.json()["order_id"] == order_id
    eventually(
        lambda: shop.call("GET", "/api/v1/cart", token).json()["items"] == [],
        "the cart was not emptied from the log after the restart",
    )
    eventually(
        lambda: shop.call("GET", "/api/v1/orders", token).json()["total"] == 1,
        "the order history does not show the order",
    )
    orders = shop.call("GET", "/api/v1/orders", token).json()["orders"]
    assert [order["order_id"] for order in orders] == [order_id]
    stock = shop.call("GET", "/api/v1/inventory/KETTLE-1", OPS_TOKEN).json()
    assert (stock["reserved"], stock["available"]) == (2, 8)
