"""Serve the shop exactly as `polyshop serve --no-seed` does, plus one route that answers a
constant 2 KB JSON body from memory: the framework's ceiling, measured in the same process.

    .venv/bin/python benchmarks/serve_with_ceiling.py PORT

With BENCH_FEED_VIEWS=N in the environment, the event loop also records N product views a
second through the shop's own recorder, in 100 slices a second: what N page views a second
record on the loop that serves them, without the HTTP work of serving them. The
view-ingestion load of `benchmarks/analytics.py`.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time

import orjson
import uvicorn
from fastapi import Response
from sqlalchemy import select
from starlette.types import ASGIApp, Receive, Scope, Send

from polyshop.api.rest.app import create_app
from polyshop.bootstrap import build
from polyshop.catalog.queries import listing_view
from polyshop.config import Settings
from polyshop.container import Container
from polyshop.runtime.observability import configure_logging

CONSTANT = orjson.dumps(
    {"items": [{"id": i, "name": f"item {i:04d}", "pad": "x" * 40} for i in range(28)]}
)


def main() -> None:
    settings = Settings(log_level="warning")
    configure_logging(settings.log_level, json=True)
    container = build(settings)
    app = create_app(container)

    @app.get("/bench/constant")
    async def constant() -> Response:
        return Response(CONSTANT, media_type="application/json")

    served: ASGIApp = app
    if rate := int(os.environ.get("BENCH_FEED_VIEWS", "0")):
        served = FeedingViews(app, container, rate)
    uvicorn.run(served, host="127.0.0.1", port=int(sys.argv[1]), log_config=None, access_log=False)


class FeedingViews:
    """The app, plus the feeding task started on the server's loop by its first call (the
    lifespan startup). Plain ASGI: a framework middleware would tax every request."""

    def __init__(self, app: ASGIApp, container: Container, rate: int) -> None:
        self.app = app
        self.container = container
        self.rate = rate
        self.task: asyncio.Task | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(
                feed_views(self.container, self.rate)
            )
        await self.app(scope, receive, send)


async def feed_views(container: Container, rate: int) -> None:
    """Record `rate` views a second over 1,000 products, on the event loop."""
    with container.machinery.read_engine.connect() as connection:
        ids = list(connection.execute(select(listing_view.c.product_id).limit(1000)).scalars())
    per_tick, tick = max(rate // 100, 1), 0.01
    next_at = time.perf_counter()
    while True:
        for _ in range(per_tick):
            container.signals.view(random.choice(ids), random.getrandbits(40))
        next_at += tick
        await asyncio.sleep(max(next_at - time.perf_counter(), 0))


if __name__ == "__main__":
    main()
