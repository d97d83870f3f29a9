"""Catalog figures: product page and browse latency under load (against the framework's
ceiling in the same server), search latency with filters and facets, and how soon a
catalog change is visible in search. Embedded (SQLite + Tantivy) and server (PostgreSQL).

    .venv/bin/python benchmarks/catalog.py [--modes sqlite,postgres] [--products 100000]
        [--search-products 1000000] [--only http,search,visibility]

Needs `wrk` (Debian package). Prints figures; asserts nothing. Machine caveat: 2 shared
cores run the load generator, the server and the database together.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from decimal import Decimal

import psycopg
from harness import ADMIN_URL, HERE, percentile, server, wrk_paths
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from polyshop.bootstrap import build
from polyshop.catalog import commands
from polyshop.catalog.queries import documents_view, listing_view
from polyshop.config import Settings
from polyshop.container import Container
from polyshop.demo import seeding
from polyshop.search.ports import SearchQuery

WORK = HERE / "results" / "data"
QUERIES = [
    ("laptop", {}),
    ("running shoe", {"max_price": Decimal(150)}),
    ("wireless headphones", {"in_stock": True}),
    ("sony", {"category": "electronics"}),
    ("leather boot", {"min_price": Decimal(100)}),
    ("desk lamp", {}),
    ("linen shirt blue", {"in_stock": True}),
    ("espresso", {"category": "home"}),
    ("yoga mat", {"max_price": Decimal(50)}),
    ("nikon camera", {}),
    ("rain jacket", {"category": "fashion"}),
    ("lego", {"in_stock": True}),
]


def settings_for(mode: str, products: int) -> Settings:
    data = WORK / f"{mode}-{products}"
    data.mkdir(parents=True, exist_ok=True)
    values: dict[str, object] = {
        "data_dir": data,
        "log_level": "warning",
        "projection_batch_size": 5000,
    }
    if mode == "postgres":
        name = f"polyshop_bench_catalog_{products}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{name}"')
        values["database_url"] = (
            make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        )
    return Settings(**values)  # type: ignore[arg-type]


def prepared(mode: str, products: int) -> Container:
    """A shop with `products` demo products and every read model caught up."""
    container = build(settings_for(mode, products))
    start = seeding.seeded_count(container.machinery.store.read_engine)
    if start < products:
        t = time.perf_counter()
        seeding.seed(container.machinery.store, products, start=start, batch=2000)
        print(
            f"  seeded {products - start:,} products in {time.perf_counter() - t:.0f} s", flush=True
        )
    # As `polyshop serve` builds them: every projection at once, those far behind rebuilt
    # in bulk (the search index in a process of its own).
    t = time.perf_counter()
    head = container.machinery.store.head()
    container.machinery.runner.start()
    for name in container.machinery.runner.names:
        container.machinery.runner.wait_for(name, head, timeout=4 * 3600)
        if time.perf_counter() - t > 1:
            print(f"  {name}: live after {time.perf_counter() - t:.0f} s", flush=True)
    swapped_in_rebuilds(container)
    if time.perf_counter() - t > 1:
        print(f"  read models current after {time.perf_counter() - t:.0f} s", flush=True)
    container.machinery.runner.stop()
    return container


def swapped_in_rebuilds(container: Container, settle: float = 10, stuck: float = 120) -> None:
    """Wait for rebuilds beside a serving copy (a projection's version changed: the copy
    serving is already at the head) to be swapped in; give up on one that stops moving
    short of the head (at the head it is building its indexes)."""
    time.sleep(settle)  # the workers decide within a few seconds of starting
    last: dict[str, int | None] = {}
    moved = time.monotonic()
    while True:
        rebuilding = [
            s for s in container.machinery.runner.status() if s.rebuilding_generation is not None
        ]
        if not rebuilding:
            return
        building = {s.name: s.rebuilding_position for s in rebuilding}
        finishing = any((s.rebuilding_position or 0) >= s.head for s in rebuilding)
        if building != last or finishing:
            last, moved = building, time.monotonic()
        elif time.monotonic() - moved > stuck:
            print(f"    ! rebuilds not moving: {building}", flush=True)
            return
        time.sleep(2)


def wrk(
    base: str, paths: list[str], seconds: int = 10, connections: int = 64, think_ms: int = 0
) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 (ms) of `wrk -t2 -cN` over random picks from `paths`."""
    figures = wrk_paths(base, paths, seconds, connections, think_ms)
    if figures.failed:
        print(f"    ! {figures.failed} non-2xx responses", flush=True)
    return figures.rate, figures.p50, figures.p99


def browse_paths(count: int, seed: int) -> list[str]:
    """Filtered, sorted browse pages as shoppers ask for them: a category, often a price cap
    and in-stock, one of the first five pages."""
    rng = random.Random(seed)
    categories = sorted({k.category for k in seeding.KINDS} | {"electronics", "fashion", "home"})
    paths = []
    for _ in range(count):
        params = [
            f"category={rng.choice(categories)}",
            f"sort={rng.choice(['newest', 'price_asc', 'price_desc', 'name', 'popular'])}",
            f"page={rng.randint(1, 5)}",
        ]
        if rng.random() < 0.5:
            params.append(f"max_price={rng.choice([50, 100, 250, 1000])}")
        if rng.random() < 0.5:
            params.append("in_stock=true")
        paths.append("/api/v1/products?" + "&".join(params))
    return paths


def bench_http(container: Container, mode: str) -> None:
    with container.machinery.read_engine.connect() as connection:
        ids = list(
            connection.execute(
                select(documents_view.c.product_id).order_by(text("random()")).limit(5000)
            ).scalars()
        )
    browse = browse_paths(2000, 7)
    with server(container, 8900 + len(mode)) as base:
        wrk(base, ["/bench/constant"], 3)  # warm up
        ceiling = wrk(base, ["/bench/constant"])
        hot_paths = [f"/api/v1/products/{i}" for i in ids[:500]]
        wrk(base, hot_paths, 3)  # the hot set: 500 products, cached after the warm-up
        hot = wrk(base, hot_paths)
        hot_paced = wrk(base, hot_paths, think_ms=100)  # 64 readers pausing: ~630 req/s
        by_id = wrk(base, [f"/api/v1/products/{i}" for i in ids[500:]])
        # Misses first: pages never asked for, 8 readers pausing 100 ms (~80 req/s offered).
        unseen = wrk(base, browse_paths(20_000, 11), connections=8, think_ms=100)
        filtered = wrk(base, browse)
        paced = wrk(base, browse, think_ms=100)
        filtered_4 = wrk(base, browse, connections=4)
    rows = [
        ("constant 2 KB JSON (the ceiling)", ceiling),
        ("GET /products/{id}, hot 500", hot),
        ("GET /products/{id}, hot, 64 x 100 ms think", hot_paced),
        ("GET /products/{id}, 4,500 cold", by_id),
        ("browse, unseen pages, 8 x 100 ms think", unseen),
        ("browse 2,000 pages, 64 conn", filtered),
        ("browse 2,000 pages, 64 x 100 ms think", paced),
        ("browse 2,000 pages, 4 conn", filtered_4),
    ]
    for label, (rate, p50, p99) in rows:
        print(
            f"  {label:<40} {rate:8.0f} req/s  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
            f"  ({rate / ceiling[0]:.0%} of ceiling)",
            flush=True,
        )


def bench_search(container: Container, rounds: int = 30) -> None:
    latencies = []
    for _ in range(3):  # warm caches
        for words, filters in QUERIES:
            container.search.search(SearchQuery(words, **filters))
    totals = []
    for _ in range(rounds):
        for words, filters in QUERIES:
            t = time.perf_counter()
            result = container.search.search(SearchQuery(words, **filters))
            latencies.append((time.perf_counter() - t) * 1000)
            totals.append(result.total)
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p99 = percentile(latencies, 0.99)
    print(
        f"  search (1-3 words + filter + facets), n={len(latencies)}: p50 {p50:.1f} ms"
        f"  p99 {p99:.1f} ms  mean {statistics.fmean(latencies):.1f} ms"
        f"  (median hits {sorted(totals)[len(totals) // 2]:,})",
        flush=True,
    )


def bench_visibility(container: Container, changes: int = 40) -> None:
    """Change a product's price (through the command) and time until search shows it."""
    container.machinery.runner.start()
    with container.machinery.read_engine.connect() as connection:
        docs = list(
            connection.execute(
                select(documents_view.c.document)
                .join(listing_view, listing_view.c.product_id == documents_view.c.product_id)
                .where(listing_view.c.category_prefix == "", listing_view.c.status == "active")
                .order_by(text("random()"))
                .limit(changes)
            ).scalars()
        )
    seen = []
    for doc in docs:
        price = Decimal(doc["price"]) + Decimal("1.00")
        words = doc["name"]  # the model code makes it one of few matches
        commands.update_product(container.machinery.store, doc["id"], {"price": price})
        t = time.perf_counter()
        while True:
            hits = container.search.search(SearchQuery(words, brand=doc["brand"], limit=100))
            if any(h["id"] == doc["id"] and Decimal(h["price"]) == price for h in hits.documents):
                break
            if time.perf_counter() - t > 10:
                print("    ! not visible after 10 s", flush=True)
                break
        seen.append((time.perf_counter() - t) * 1000)
    container.machinery.runner.stop()
    seen.sort()
    print(
        f"  catalog change -> visible in search, n={len(seen)}: p50 {seen[len(seen) // 2]:.0f} ms"
        f"  p99 {percentile(seen, 0.99):.0f} ms  max {seen[-1]:.0f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modes", default="sqlite,postgres")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--search-products", type=int, default=1_000_000)
    parser.add_argument("--only", default="http,search,visibility")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    print("# polyshop catalog benchmark (2 shared cores: wrk, server and database together)")
    for mode in args.modes.split(","):
        label = "embedded: SQLite + Tantivy" if mode == "sqlite" else "server: PostgreSQL"
        if parts & {"http", "visibility"}:
            print(f"\n## {label}, {args.products:,} products", flush=True)
            container = prepared(mode, args.products)
            try:
                if "http" in parts:
                    bench_http(container, mode)
                if "visibility" in parts:
                    bench_visibility(container)
            finally:
                container.close()
        if "search" in parts:
            print(f"\n## {label}, search on {args.search_products:,} products", flush=True)
            container = prepared(mode, args.search_products)
            try:
                bench_search(container)
            finally:
                container.close()


if __name__ == "__main__":
    main()
