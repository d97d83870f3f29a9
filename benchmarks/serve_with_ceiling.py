"""Serve the shop exactly as `polyshop serve --no-seed` does, plus one route that answers a
constant 2 KB JSON body from memory: the framework's ceiling, measured in the same process.

    .venv/bin/python benchmarks/serve_with_ceiling.py PORT

With BENCH_FEED_VIEWS=N in the environment, a thread also records N product views a second
through the shop's own recorder (what N page views a second would record, without the HTTP
work of serving them): the view-ingestion load of `benchmarks/analytics.py`.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time

import orjson
import uvicorn
from fastapi import Response
from sqlalchemy import select

from polyshop.api.rest.app import create_app
from polyshop.bootstrap import build
from polyshop.catalog.queries import listing_view
from polyshop.config import Settings
from polyshop.container import Container
from polyshop.observability import configure_logging

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

    if rate := int(os.environ.get("BENCH_FEED_VIEWS", "0")):
        threading.Thread(target=feed_views, args=(container, rate), daemon=True).start()
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None, access_log=False)


def feed_views(container: Container, rate: int) -> None:
    """Record `rate` views a second, in 100 slices a second, over 1,000 products."""
    with container.read_engine.connect() as connection:
        ids = list(connection.execute(select(listing_view.c.product_id).limit(1000)).scalars())
    per_tick, tick = max(rate // 100, 1), 0.01
    next_at = time.perf_counter()
    while True:
        for _ in range(per_tick):
            container.signals.view(random.choice(ids), random.getrandbits(40))
        next_at += tick
        time.sleep(max(next_at - time.perf_counter(), 0))


if __name__ == "__main__":
    main()
