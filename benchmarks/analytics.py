"""View analytics: ingestion beside serving product pages, and queries over 10 million views.

    .venv/bin/python benchmarks/analytics.py [--modes sqlite,postgres] [--views 10000000]

1. Ingestion. The shop serves product pages to wrk (64 connections) while its event loop
   also records `--feed` views a second through the shop's own recorder (as the pages that
   served them would; see serve_with_ceiling.py). Prints product page latency without and
   with the feed, and the views the writer actually stored per second (from /metrics), so
   "sustained" is measured, not assumed.
2. Queries. `--views` synthetic views (100,000 products, popularity skewed like a real
   shop's, spread over the last 7 days, appended in time order) loaded into each analytics
   store; then trending, per-product series at each bucket size, funnel totals and the
   co-view window query, each timed over repeated runs.

Needs `wrk` (Debian package). Prints figures; asserts nothing. Machine caveat: 2 shared
cores run wrk, the server, the database and the writer together.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import psycopg
from harness import ADMIN_URL, fresh_settings, percentile, server, wrk_paths
from sqlalchemy import select
from sqlalchemy.engine import make_url

from polyshop.analytics.domain import Bucket, Kind, Signal, Signals, TimeRange, to_us
from polyshop.analytics.duckdb_store import DuckDbAnalyticsStore
from polyshop.analytics.ports import AnalyticsStore
from polyshop.analytics.postgres_store import PostgresAnalyticsStore
from polyshop.bootstrap import build
from polyshop.catalog.queries import listing_view
from polyshop.demo import seeding
from polyshop.eventstore.postgres import create_postgres_engine

PRODUCTS = 100_000
DAYS = 7


# -- 1. ingestion beside product pages -----------------------------------------------------


def written(base: str) -> float:
    text = httpx.get(f"{base}/metrics").text
    return float(re.search(r"^polyshop_signals_written_total ([\d.e+]+)", text, re.M).group(1))  # type: ignore[union-attr]


def bench_ingestion(mode: str, feed: int, seconds: int, port: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"polyshop-analytics-{mode}-"))
    container = build(fresh_settings(mode, "analytics", work))
    seeding.seed(container.machinery.store, 2_000, batch=1000)
    for name in container.machinery.runner.names:
        container.machinery.runner.catch_up(name)
    with container.machinery.read_engine.connect() as connection:
        ids = list(connection.execute(select(listing_view.c.product_id).limit(2000)).scalars())
    container.close()
    paths = [f"/api/v1/products/{i}" for i in ids]
    store = "DuckDB" if mode == "sqlite" else "PostgreSQL, partitioned"
    print(f"\n## ingestion, {mode} mode (views in {store}), product pages, 64 connections")
    for think in (20, 0):
        load = f"paced, {think} ms think" if think else "flat out"
        results = {}
        for rate in (0, feed):
            with server(container, port, extra_env={"BENCH_FEED_VIEWS": str(rate)}) as base:
                wrk_paths(base, paths, 3, think_ms=think)  # warm up: pages cached
                before, t = written(base), time.perf_counter()
                results[rate] = wrk_paths(base, paths, seconds, think_ms=think)
                stored = (written(base) - before) / (time.perf_counter() - t)
            label = f"feed {rate:6,d} views/s" if rate else "no feed             "
            print(f"  {load:20s} {label}  {results[rate]}  stored {stored:8,.0f} views/s")
        rise = (results[feed].p99 / results[0].p99 - 1) * 100
        print(f"  {load:20s} product-page p99 change with the feed: {rise:+.1f}%")


# -- 2. queries over many views -------------------------------------------------------------


def duckdb_store(views: int, work: Path) -> AnalyticsStore:
    store = DuckDbAnalyticsStore(work / "analytics.duckdb")
    ids = [str(uuid.UUID(int=i + 1)) for i in range(PRODUCTS)]
    end = to_us(datetime.now(UTC))
    start = end - DAYS * 86_400_000_000
    with store._cursor() as cursor:  # a benchmark may load in bulk behind the port's back
        cursor.execute(
            "CREATE TEMP TABLE ids AS SELECT unnest($1::UUID[]) AS id,"
            " generate_subscripts($1::UUID[], 1) AS k",
            [ids],
        )
        cursor.execute(
            "INSERT INTO signals SELECT 0, ids.id, r.viewer, make_timestamp(r.at) FROM"
            " (SELECT i, 1 + floor($p * pow(random(), 3))::BIGINT AS k,"
            " (random() * $v / 4)::BIGINT AS viewer, $s + i * ($e - $s) // $n AS at"
            " FROM range($n) t(i)) r JOIN ids USING (k) ORDER BY r.i",
            {"p": PRODUCTS - 1, "v": views, "s": start, "e": end, "n": views},
        )
    return store


def postgres_store(views: int) -> tuple[AnalyticsStore, Callable[[], None]]:
    name = f"polyshop_bench_analytics_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_postgres_engine(url, pool_size=4)
    store = PostgresAnalyticsStore(engine)
    now = datetime.now(UTC)
    # One real append per day makes each day's partition the way the writer does.
    store.append(
        Signals.of(
            Signal(Kind.CART_ADD, str(uuid.UUID(int=1)), None, to_us(now - timedelta(days=d)))
            for d in range(DAYS + 1)
        )
    )
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "CREATE TEMP TABLE ids AS SELECT k, ('00000000-0000-0000-0000-'"
            " || lpad(to_hex(k), 12, '0'))::uuid AS id FROM generate_series(1, %s) k",
            (PRODUCTS,),
        )
        connection.execute(
            "INSERT INTO analytics_signals SELECT 0, ids.id, r.viewer, r.at FROM"
            " (SELECT i, 1 + floor(%(p)s * power(random(), 3))::int AS k,"
            " (random() * %(v)s / 4)::bigint AS viewer,"
            " %(s)s::timestamptz + (i * %(span)s::float / %(n)s) * interval '1 second' AS at"
            " FROM generate_series(0, %(n)s - 1) i) r JOIN ids USING (k) ORDER BY r.i",
            {
                "p": PRODUCTS - 1,
                "v": views,
                "s": now - timedelta(days=DAYS),
                "span": DAYS * 86_400,
                "n": views,
            },
        )
        connection.execute(
            "INSERT INTO analytics_hourly SELECT kind, product_id, date_trunc('hour', seen_at),"
            " count(*) FROM analytics_signals WHERE kind = 0 GROUP BY 1, 2, 3"
            " ON CONFLICT (kind, product_id, hour)"
            " DO UPDATE SET n = analytics_hourly.n + excluded.n"
        )
        connection.execute("VACUUM ANALYZE analytics_signals")
        connection.execute("VACUUM ANALYZE analytics_hourly")

    def drop() -> None:
        engine.dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    return store, drop


def timed(run: Callable[[], object], rounds: int) -> str:
    run()  # warm
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        run()
        samples.append((time.perf_counter() - t) * 1000)
    return f"p50 {statistics.median(samples):8.1f} ms  p99 {percentile(samples, 0.99):8.1f} ms"


def bench_queries(label: str, store: AnalyticsStore, rounds: int) -> None:
    now = datetime.now(UTC)
    hot, typical = str(uuid.UUID(int=1)), str(uuid.UUID(int=PRODUCTS // 3))
    hour_end = Bucket.HOUR.floor(now) + timedelta(hours=1)
    day_start = hour_end - timedelta(days=1)
    week = now - timedelta(days=DAYS)
    queries: list[tuple[str, Callable[[], object]]] = [
        (
            "trending, last hour",
            lambda: store.trending(now - timedelta(hours=1), now, now - timedelta(hours=2), 20),
        ),
        (
            "trending, last day",
            lambda: store.trending(day_start, hour_end, day_start - timedelta(days=1), 20),
        ),
    ]
    for who, product in (("top product", hot), ("typical product", typical)):
        queries += [
            (
                f"{who}: minutes of a day",
                lambda p=product: store.series(
                    Kind.VIEW, p, TimeRange.of(now - timedelta(days=1), now, Bucket.MINUTE, now)
                ),
            ),
            (
                f"{who}: hours of a week",
                lambda p=product: store.series(
                    Kind.VIEW, p, TimeRange.of(week, now, Bucket.HOUR, now)
                ),
            ),
            (
                f"{who}: days of a week",
                lambda p=product: store.series(
                    Kind.VIEW, p, TimeRange.of(week, now, Bucket.DAY, now)
                ),
            ),
            (f"{who}: funnel totals, a week", lambda p=product: store.totals(p, week, now)),
        ]
    queries.append(
        (
            "co-views of one 30-minute window",
            lambda: store.co_views(
                now - timedelta(hours=1), now - timedelta(minutes=30), max_products_per_visit=50
            ),
        )
    )
    print(f"\n## queries, {label}")
    for name, run in queries:
        print(f"  {name:38s} {timed(run, rounds)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="sqlite,postgres")
    parser.add_argument("--views", type=int, default=10_000_000)
    parser.add_argument("--feed", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--skip", choices=["ingestion", "queries"], default=None)
    args = parser.parse_args()
    modes = args.modes.split(",")
    print("# polyshop analytics benchmark (2 shared cores: wrk, server, database together)")
    if args.skip != "ingestion":
        for mode in modes:
            bench_ingestion(mode, args.feed, args.seconds, args.port)
    if args.skip != "queries":
        for mode in modes:
            t = time.perf_counter()
            if mode == "sqlite":
                store = duckdb_store(args.views, Path(tempfile.mkdtemp(prefix="polyshop-duck-")))
                drop = store.close
            else:
                store, drop = postgres_store(args.views)
            loaded = time.perf_counter() - t
            kind = "DuckDB" if mode == "sqlite" else "PostgreSQL"
            label = f"{kind}, {args.views:,} views over {DAYS} days ({loaded:.0f} s to load)"
            try:
                bench_queries(label, store, args.rounds)
            finally:
                drop()


if __name__ == "__main__":
    main()
