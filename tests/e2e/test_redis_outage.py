"""Server mode when Redis goes away: the catalog keeps serving, sessions and carts answer
503 with Retry-After, and service comes back by itself when Redis does.

Runs against a Redis server this test starts and stops itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from polyshop.api.rest.app import create_app
from polyshop.container import Container
from tests.e2e.shoppers import OPS, ORDER_BODY, Shopper, create_product, guest, register


class OwnRedis:
    """A throwaway redis-server on a free port, no persistence."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(own_redis: OwnRedis, container_for: Callable[..., Container]) -> Iterator[TestClient]:
    container = container_for("postgres", redis_url=own_redis.url, redis_prefix="outage:")
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_the_shop_degrades_without_redis_and_recovers_by_itself(
    client: TestClient, own_redis: OwnRedis
):
    product_id = create_product(client, "Sturdy Umbrella", [("UMB-1", 5)])
    visitor = guest(client)
    assert visitor.add("UMB-1", 1).status_code == 201
    written = client.get("/api/v1/products", params={"min_position": 1}).json()
    assert written["total"] == 1

    own_redis.stop()

    # Browsing, product pages and search keep working, as do operator endpoints.
    assert client.get("/api/v1/products").status_code == 200
    assert client.get(f"/api/v1/products/{product_id}").status_code == 200
    search = client.get("/api/v1/products/search", params={"q": "umbrella"})
    assert search.status_code == 200
    assert search.json()["total"] == 1
    assert client.get("/api/v1/admin/projections", headers=OPS).status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"

    # Sessions and carts answer 503 with Retry-After, quickly, never a 500.
    anonymous = Shopper(client, None)
    calls = {
        "new session": lambda: anonymous.post("/api/v1/sessions"),
        "cart": lambda: visitor.get("/api/v1/cart"),
        "add": lambda: visitor.add("UMB-1", 1),
        "login": lambda: anonymous.post(
            "/api/v1/auth/login", json={"email": "a@example.com", "password": "whatever123"}
        ),
    }
    for name, call in calls.items():
        response, seconds = timed(call)
        assert response.status_code == 503, (name, response.text)  # type: ignore[attr-defined]
        assert response.headers["retry-after"] == "5", name  # type: ignore[attr-defined]
        assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
        assert seconds < 2.5, (name, seconds)

    own_redis.start()  # an empty Redis: sessions made before are gone, honestly

    deadline = time.monotonic() + 10
    while (response := anonymous.post("/api/v1/sessions")).status_code != 201:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.2)
    assert visitor.get("/api/v1/cart").status_code == 401
    again = Shopper(client, response.json()["token"])
    assert again.add("UMB-1", 2).status_code == 201
    assert again.lines() == {"UMB-1": 2}
    assert client.get("/readyz").json()["status"] == "ready"


def test_redis_failing_after_checkout_commits_never_orders_the_cart_twice(
    client: TestClient, own_redis: OwnRedis
):
    """Redis stops answering between the order's commit and its cart's change: the order
    stands, the next click is refused naming it, and the log empties the cart once Redis
    answers again."""
    create_product(client, "Sturdy Umbrella", [("UMB-1", 5)])
    buyer = register(client, "rain@example.com")
    assert buyer.add("UMB-1", 2).status_code == 201
    container: Container = client.app.state.container  # type: ignore[attr-defined]
    store = container.carts.store
    consume = store.consume
    assert own_redis.process is not None
    redis_pid = own_redis.process.pid

    def pause_redis_first(ordered: object) -> None:
        os.kill(redis_pid, signal.SIGSTOP)  # a Redis that hangs: every call times out
        store.consume = consume  # type: ignore[method-assign]
        consume(ordered)  # type: ignore[arg-type]

    store.consume = pause_redis_first  # type: ignore[method-assign]
    try:
        placed = buyer.post("/api/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": "k1"})
        assert placed.status_code == 201, placed.text
    finally:
        os.kill(redis_pid, signal.SIGCONT)
    order_id = placed.json()["order_id"]

    again = buyer.post("/api/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": "k2"})
    assert again.status_code in (409, 422), again.text
    if again.status_code == 409:
        assert again.json()["order_id"] == order_id
    deadline = time.monotonic() + 15
    while buyer.lines():
        assert time.monotonic() < deadline, "the log did not empty the ordered cart"
        time.sleep(0.2)
    orders = [e for e in container.machinery.store.read_all(0, 10_000) if e.type == "OrderPlaced"]
    assert [e.data["order_id"] for e in orders] == [order_id]
