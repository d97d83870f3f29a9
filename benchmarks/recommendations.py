"""Recommendations: the bought-together projection's throughput and rebuild time, and the
read path's latency in process and over HTTP, with the framework ceiling beside it.

    .venv/bin/python benchmarks/recommendations.py [--modes sqlite,postgres] [--orders 20000]

A shop of 10,000 demo products gets `--orders` orders with planted co-purchase groups
(products bought together in groups of eight, plus popular noise), written straight to the
log as OrderPlaced events; then wrk reads `/products/{id}/recommendations` for random
products. Prints figures; asserts nothing. Needs `wrk`. Machine caveat: 2 shared cores run
wrk, the server and the database together.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from harness import fresh_settings, percentile, server, wrk_paths
from sqlalchemy import select

from polyshop.bootstrap import build
from polyshop.catalog.queries import listing_view
from polyshop.container import Container
from polyshop.demo import seeding
from polyshop.orders.domain import OrderItem, placed_event

BUYER = str(uuid.UUID(int=1))
ADDRESS = {"name": "B", "line1": "1 Main St", "city": "X", "postal_code": "1", "country": "US"}
HOLD = datetime(2100, 1, 1, tzinfo=UTC)
PRODUCTS = 10_000
GROUP = 8
GRAPH = "bought_together"


def place_orders(container: Container, ids: list[str], orders: int, rng: random.Random) -> None:
    groups = [ids[i : i + GROUP] for i in range(0, len(ids), GROUP)]
    for start in range(0, orders, 500):
        with container.machinery.store.unit_of_work() as uow:
            for _ in range(min(500, orders - start)):
                basket = set(rng.sample(rng.choice(groups), rng.randint(2, 4)))
                basket.add(ids[int(len(ids) * rng.random() ** 4)])  # a popular stray
                order_id = str(uuid.uuid4())
                items = [
                    OrderItem(f"SKU-{p[:8]}", p, "Bench item", 1, Decimal("9.99"))
                    for p in sorted(basket)
                ]
                placed = placed_event(order_id, BUYER, items, "USD", ADDRESS, "pm_bench", HOLD)
                uow.append(f"order-{order_id}", "order", [placed])


def percentiles(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples):6.2f} ms  p99 {percentile(samples, 0.99):6.2f} ms"


def bench(mode: str, orders: int, seconds: int, port: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"polyshop-recs-{mode}-"))
    container = build(fresh_settings(mode, "recs", work, projection_batch_size=2000))
    seeding.seed(container.machinery.store, PRODUCTS, batch=2000)
    for name in container.machinery.runner.names:
        container.machinery.runner.catch_up(name)
    with container.machinery.read_engine.connect() as connection:
        ids = list(
            connection.execute(
                select(listing_view.c.product_id)
                .where(listing_view.c.category_prefix == "")
                .order_by(listing_view.c.product_id)
            ).scalars()
        )
    rng = random.Random(7)
    rng.shuffle(ids)
    place_orders(container, ids, orders, rng)
    print(f"\n## {mode} mode, {len(ids):,} products, {orders:,} orders")
    t = time.perf_counter()
    container.machinery.runner.catch_up(GRAPH)
    took = time.perf_counter() - t
    print(f"  bought-together projection, live   {orders / took:8,.0f} orders/s")
    t = time.perf_counter()
    container.machinery.runner.rebuild(GRAPH)
    print(f"  rebuild from the log               {time.perf_counter() - t:8.1f} s")
    samples = []
    for product_id in rng.sample(ids, 500):
        t = time.perf_counter()
        container.recommender.recommend(product_id, 8)
        samples.append((time.perf_counter() - t) * 1000)
    print(f"  read in process (no HTTP)          {percentiles(samples)}")
    reasons: dict[str, int] = {}
    for product_id in ids[:200]:
        for found in container.recommender.recommend(product_id, 8) or []:
            reasons[found.reason] = reasons.get(found.reason, 0) + 1
    print(f"  reasons over 200 products          {reasons}")
    for (
        name
    ) in container.machinery.runner.names:  # the server must not be catching up while measured
        container.machinery.runner.catch_up(name)
    container.close()
    hot = [f"/api/v1/products/{i}/recommendations" for i in rng.sample(ids, 500)]
    cold = [f"/api/v1/products/{i}/recommendations" for i in ids]
    with server(container, port) as base:
        wrk_paths(base, ["/bench/constant"], 3)
        ceiling = wrk_paths(base, ["/bench/constant"], seconds)
        wrk_paths(base, hot, 5)  # the hot set: cached after the warm-up
        figures = {
            "hot 500, flat out": wrk_paths(base, hot, seconds),
            "hot 500, 100 ms think": wrk_paths(base, hot, seconds, think_ms=100),
            "hot 500, 1 s think": wrk_paths(base, hot, seconds, think_ms=1000),
            "all 10,000, 1 s think": wrk_paths(base, cold, seconds, think_ms=1000),
        }
    print(f"  HTTP ceiling, constant 2 KB        {ceiling}")
    for label, result in figures.items():
        share = f"  ({result.rate / ceiling.rate:.0%} of ceiling)" if "flat" in label else ""
        print(f"  HTTP {label:29s} {result}{share}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="sqlite,postgres")
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    print("# polyshop recommendations benchmark (2 shared cores: wrk, server, database together)")
    for mode in args.modes.split(","):
        bench(mode, args.orders, args.seconds, args.port)


if __name__ == "__main__":
    main()
