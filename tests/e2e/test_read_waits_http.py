"""`min_position` through the real app: a position nobody wrote is refused at once, a written
one is awaited on the event loop, never in a worker thread, and the waits are capped.

Before, each such request held a worker thread for up to 5 s: 45 of them, which anyone may
send, made an ordinary search take 3.8 s. The load tests serve the app with uvicorn on a
free port and measure ordinary requests while 200 waits are in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from polyshop.api.rest.app import create_app
from polyshop.container import Container
from polyshop.eventstore.events import NewEvent
from polyshop.eventstore.projections.waiters import ReadWaits
from tests.e2e.shoppers import OPS

PRODUCT = {
    "name": "Sturdy Umbrella",
    "description": "Keeps the rain off.",
    "brand": "Acme",
    "category": "rain/umbrellas",
    "price": 25.0,
    "variants": [{"sku": "UMB-1", "stock": 5}],
}
#: Every query that takes `min_position` (the ids need not exist: the wait comes first).
QUERIES = [
    "/api/v1/products",
    "/api/v1/products/0190a6b2-0000-7000-8000-000000000000",
    "/api/v1/products/search?q=umbrella",
    "/api/v1/orders",
    "/api/v1/orders/0190a6b2-0000-7000-8000-000000000000",
    "/api/v1/admin/streams",
]


def product(name: str) -> dict[str, Any]:
    sku = name.upper().replace(" ", "-")[:20]
    return {**PRODUCT, "name": name, "variants": [{"sku": sku, "stock": 5}]}


def waiting(app: Any) -> int | None:
    """How many queries wait in `app` now (None before any asked to)."""
    waits: ReadWaits | None = getattr(app.state, "read_waits", None)
    return None if waits is None else waits.waiting


def following_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("read-waits-")]


@pytest.fixture
def shop(backend: str, container_for: Callable[..., Container]) -> Iterator[TestClient]:
    """The real app with a bound far longer than any answer below should take."""
    container = container_for(backend, read_wait_timeout=30)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        client.container = container  # type: ignore[attr-defined]
        yield client


def test_a_position_beyond_the_head_is_refused_at_once_by_every_query(shop: TestClient):
    written = shop.post("/api/v1/products", json=PRODUCT, headers=OPS).json()
    head = shop.container.machinery.store.last_position()  # type: ignore[attr-defined]
    assert written["position"] == head

    for path in QUERIES:
        started = time.monotonic()
        response = shop.get(path, params={"min_position": head + 1}, headers=OPS)
        elapsed = time.monotonic() - started

        assert response.status_code == 409, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert (body["min_position"], body["head"]) == (head + 1, head)
        assert body["errors"][0]["field"] == "min_position"
        assert f"head, {head}" in body["detail"]
        assert elapsed < 1.0, (path, elapsed)  # refused, not waited for (the bound is 30 s)
    assert waiting(shop.app) == 0
    assert following_threads() == []  # nothing was held, not even a thread to follow


def test_the_position_a_command_answered_is_read_at_once(shop: TestClient):
    written = shop.post("/api/v1/products", json=PRODUCT, headers=OPS).json()

    for path in ("/api/v1/products", f"/api/v1/products/{written['product_id']}"):
        response = shop.get(path, params={"min_position": written["position"]})

        assert response.status_code == 200, response.text
        assert "Sturdy Umbrella" in response.text
    assert waiting(shop.app) == 0


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_position_committed_behind_an_open_append_is_awaited_not_refused(shop: TestClient):
    """PostgreSQL commits positions out of order: while an older append is still open, the
    gap-free head stays below the position a command just answered. That position was
    written, so its reader waits for it rather than being refused as unwritten."""
    store = shop.container.machinery.store  # type: ignore[attr-defined]
    drawn, release = threading.Event(), threading.Event()

    def slow_append() -> None:
        with store.unit_of_work() as uow:
            uow.append("slow", "note", [NewEvent("Noted", {})])
            drawn.set()
            release.wait(10)

    writer = threading.Thread(target=slow_append)
    writer.start()
    assert drawn.wait(10)
    written = shop.post("/api/v1/products", json=PRODUCT, headers=OPS).json()
    assert store.head() < written["position"]  # the case: committed, yet beyond the head
    threading.Timer(0.3, release.set).start()

    response = shop.get(
        f"/api/v1/products/{written['product_id']}", params={"min_position": written["position"]}
    )
    writer.join(10)

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Sturdy Umbrella"


def test_a_position_not_reached_within_the_bound_is_504(
    backend: str, container_for: Callable[..., Container]
):
    container = container_for(backend, read_wait_timeout=0.3)
    app = create_app(container, start_projections=False)  # nothing moves the read models
    with TestClient(app, raise_server_exceptions=False) as client:
        written = client.post("/api/v1/products", json=PRODUCT, headers=OPS).json()
        started = time.monotonic()
        response = client.get("/api/v1/products", params={"min_position": written["position"]})
        elapsed = time.monotonic() - started

    assert response.status_code == 504, response.text
    body = response.json()
    assert body["min_position"] == written["position"]
    assert body["position"] < written["position"]
    assert 0.3 <= elapsed < 2.0
    assert waiting(app) == 0


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """`app` served by uvicorn on a free port, in a thread; its lifespan runs as in serve."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture
def held_back(backend: str, container_for: Callable[..., Container]) -> Callable[..., Any]:
    """A shop whose projections this process does not run (as when another process runs
    them): a position written is reached only when the test catches the read models up."""

    def make(**overrides: object) -> tuple[FastAPI, Container]:
        container = container_for(backend, read_wait_timeout=30, **overrides)
        return create_app(container, start_projections=False), container

    return make


async def _catalog(client: httpx.AsyncClient, container: Container) -> int:
    """Three umbrellas, read models caught up; then a fourth, written but not yet read."""
    for name in ("Sturdy Umbrella", "Pocket Umbrella", "Golf Umbrella"):
        assert (await client.post("/api/v1/products", json=product(name))).status_code == 201
    for name in container.machinery.runner.names:
        await asyncio.to_thread(container.machinery.runner.catch_up, name)
    late = await client.post("/api/v1/products", json=product("Late Umbrella"))
    return int(late.json()["position"])


async def _latencies(client: httpx.AsyncClient, count: int) -> list[float]:
    """Seconds each of `count` ordinary searches took, one after another."""
    took = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.get("/api/v1/products/search", params={"q": "umbrella"})
        took.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return took


async def _until_waiting(app: FastAPI, count: int) -> None:
    deadline = time.monotonic() + 20
    while (waiting(app) or 0) < count:
        assert time.monotonic() < deadline, "the waits did not all begin"
        await asyncio.sleep(0.01)


def p99(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=100)[98]


WAITERS = 200


def test_200_waiting_queries_leave_other_requests_p99_unchanged(held_back: Callable[..., Any]):
    app, container = held_back()

    async def scenario(base: str) -> tuple[list[float], list[float], list[httpx.Response]]:
        # The waiting crowd has a client of its own: a pool of 200 busy connections costs
        # its client time on every request, which is not the server's doing.
        crowd_limits = httpx.Limits(max_connections=WAITERS)
        async with (
            httpx.AsyncClient(base_url=base, headers=OPS, timeout=60) as client,
            httpx.AsyncClient(base_url=base, timeout=60, limits=crowd_limits) as crowd,
        ):
            late = await _catalog(client, container)
            await _latencies(client, 20)  # warm up
            alone = await _latencies(client, 200)
            waits = [  # anonymous, as anyone could send them
                asyncio.create_task(crowd.get("/api/v1/products", params={"min_position": late}))
                for _ in range(WAITERS)
            ]
            await _until_waiting(app, WAITERS)
            beside = await _latencies(client, 200)
            assert waiting(app) == WAITERS
            await asyncio.to_thread(container.machinery.runner.catch_up, "product_documents")
            return alone, beside, await asyncio.gather(*waits)

    with served(app) as base:
        alone, beside, answers = asyncio.run(scenario(base))

    print(
        f"\nsearch p99 alone {p99(alone) * 1000:.1f} ms, beside {WAITERS} waiting queries "
        f"{p99(beside) * 1000:.1f} ms (medians {statistics.median(alone) * 1000:.1f} / "
        f"{statistics.median(beside) * 1000:.1f} ms)"
    )
    # Generous for a shared machine's noise; a wait holding a worker thread made it seconds.
    assert p99(beside) < 3 * p99(alone) + 0.1
    assert [r.status_code for r in answers] == [200] * WAITERS  # each read its write at last
    assert all("Late Umbrella" in r.text for r in answers)


def test_past_the_cap_a_waiting_query_is_refused_with_503_at_once(
    held_back: Callable[..., Any],
):
    app, container = held_back(read_waiters_max=5)

    async def scenario(base: str) -> tuple[httpx.Response, float, list[httpx.Response]]:
        async with httpx.AsyncClient(base_url=base, headers=OPS, timeout=60) as client:
            late = await _catalog(client, container)
            wait = {"min_position": late}
            waits = [
                asyncio.create_task(client.get("/api/v1/products", params=wait)) for _ in range(5)
            ]
            await _until_waiting(app, 5)
            started = time.perf_counter()
            refused = await client.get("/api/v1/products", params=wait)
            took = time.perf_counter() - started
            await asyncio.to_thread(container.machinery.runner.catch_up, "product_documents")
            return refused, took, await asyncio.gather(*waits)

    with served(app) as base:
        refused, took, answers = asyncio.run(scenario(base))

    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    assert took < 1.0  # at once, not after the 30 s bound
    assert [r.status_code for r in answers] == [200] * 5  # the five within the cap are served
