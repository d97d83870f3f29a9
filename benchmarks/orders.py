"""Order figures: place-order latency at 1, 16 and 64 concurrent buyers, on distinct SKUs
and on one hot SKU, on both databases (carts in the SQLite file / Redis); orders/s on the
hot SKU against the raw PostgreSQL ceiling of the same conditional stock update plus event
insert, measured with pgbench in the same run; and order placed -> visible in history.

    .venv/bin/python benchmarks/orders.py [--modes sqlite,postgres] [--seconds 8]
        [--projections in-process|own-process|none] [--processes N]

Buyers are threads calling the checkout service (the HTTP layer is measured by the catalog
and cart benchmarks), in one process or spread over N (PostgreSQL only), as
`polyshop serve --workers N` spreads requests. Prints figures; asserts nothing. Machine
caveat: 2 shared cores run the buyers, the database and Redis together.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from harness import ADMIN_URL, fresh_settings
from harness import percentile as pct
from sqlalchemy.engine import make_url

from polyshop.bootstrap import build
from polyshop.cart.domain import CartLine
from polyshop.catalog import commands
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.config import Settings
from polyshop.container import Container
from polyshop.inventory.stock import InsufficientStock

BODY = {
    "shipping_address": {
        "name": "Bench",
        "line1": "1 Main St",
        "city": "X",
        "postal_code": "1",
        "country": "US",
    },
    "payment_method_id": "pm_bench",
}


def fresh(mode: str) -> Container:
    data_dir = Path(tempfile.mkdtemp(prefix=f"orders-{mode}-"))
    return build(fresh_settings(mode, "orders", data_dir, db_pool_size=40))


def stock_up(container: Container, skus: list[str]) -> str:
    draft = ProductDraft(
        name="Bench item",
        description="For the order benchmark.",
        brand="Bench",
        category="bench/items",
        price=Decimal("25.00"),
        variants=tuple(Variant(sku) for sku in skus),
    )
    return commands.create_product(
        container.machinery.store, draft, dict.fromkeys(skus, 10_000_000)
    ).product_id


def run(
    container: Container,
    buyers: int,
    seconds: float,
    sku_for: Callable[[int], str],
    product_id: str,
    projections: str,
) -> tuple[list[float], list[float], int]:
    """Each buyer loops: put one unit in the cart, place the order. Returns place-order
    latencies (ms), placed -> in order history lags (ms), and refusals."""
    latencies: list[float] = []
    lags: list[float] = []
    refused = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(buyers)
    deadline = [0.0]

    def buyer(index: int) -> None:
        user = str(uuid.uuid4())
        owner = f"user:{user}"
        sku = sku_for(index)
        barrier.wait()
        if index == 0:
            deadline[0] = time.monotonic() + seconds
        while not deadline[0]:
            time.sleep(0.001)
        mine: list[float] = []
        waits: list[float] = []
        while time.monotonic() < deadline[0]:
            container.carts.store.add(
                owner, CartLine(sku, product_id, 1, 2500, time.time()), 99, 250
            )
            started = time.perf_counter()
            try:
                placed = container.checkout.place(
                    user_id=user,
                    cart_owner=owner,
                    key=uuid.uuid4().hex,
                    body=BODY,
                )
            except InsufficientStock:
                refused[0] += 1
                continue
            done = time.perf_counter()
            mine.append((done - started) * 1000)
            if len(waits) < 50 and projections != "none":
                container.machinery.runner.wait_for(
                    "order_history", placed.response["position"], 10
                )
                waits.append((time.perf_counter() - done) * 1000)
        with lock:
            latencies.extend(mine)
            lags.extend(waits)

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, lags, refused[0]


def sku_for(sku: str | list[str]) -> Callable[[int], str]:
    """Which SKU buyer `i` orders: the one hot SKU, or its own of a list."""
    return (lambda i: sku) if isinstance(sku, str) else sku.__getitem__


def _buyers_process(
    settings: Settings,
    buyers: int,
    seconds: float,
    sku: str | list[str],
    product_id: str,
    projections: str,
    barrier: Any,
    results: Any,
) -> None:
    """One process of a spread run: its own container (pools, caches), its share of buyers."""
    container = build(settings, migrate=False)
    if projections == "in-process":
        container.machinery.runner.start()  # under leases: one process runs each projection
    try:
        barrier.wait()
        results.put(
            run(
                container,
                buyers,
                seconds,
                sku_for(sku),
                product_id,
                projections,
            )
        )
    finally:
        container.close()


def spread(
    settings: Settings,
    processes: int,
    buyers: int,
    seconds: float,
    sku: str | list[str],
    product_id: str,
    projections: str,
) -> tuple[list[float], list[float], int]:
    """`run` with the buyers shared out over `processes` processes; the figures merged."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    share = buyers // processes
    children = [
        context.Process(
            target=_buyers_process,
            args=(
                settings,
                share,
                seconds,
                sku if isinstance(sku, str) else sku[p * share : (p + 1) * share],
                product_id,
                projections,
                barrier,
                results,
            ),
        )
        for p in range(processes)
    ]
    for child in children:
        child.start()
    merged: tuple[list[float], list[float], int] = ([], [], 0)
    for _ in children:
        times, lags, refused = results.get(timeout=seconds + 120)
        merged = (merged[0] + times, merged[1] + lags, merged[2] + refused)
    for child in children:
        child.join(30)
    return merged


def pgbench_ceiling(clients: int, seconds: int) -> float:
    """The same conditional stock update and event insert, as raw SQL, through pgbench."""
    name = f"polyshop_bench_pgbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE stock (sku text PRIMARY KEY, on_hand int, reserved int);"
            "INSERT INTO stock VALUES ('HOT', 100000000, 0);"
            "CREATE TABLE events (position bigserial PRIMARY KEY, stream_id text,"
            " version int, type text, data jsonb, UNIQUE (stream_id, version));"
        )
    script = Path(tempfile.mkdtemp()) / "order.sql"
    script.write_text(
        "BEGIN;\n"
        "UPDATE stock SET reserved = reserved + 1"
        " WHERE sku = 'HOT' AND on_hand - reserved >= 1;\n"
        "INSERT INTO events (stream_id, version, type, data) VALUES ("
        "'order-' || :client_id || '-' || random(), 1, 'OrderPlaced', '{}');\n"
        "COMMIT;\n"
    )
    command = ["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds)]
    out = subprocess.run(
        [*command, "-f", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout  # fmt: skip
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    return float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]


def bench(mode: str, seconds: float, *, projections: str, processes: int = 1) -> None:
    """`projections`: "in-process", "own-process" (`polyshop projections run` beside the
    buyers, as server mode scales them; PostgreSQL only) or "none". `processes` > 1
    spreads the buyers (PostgreSQL only)."""
    container = fresh(mode)
    skus = [f"ORD-{i:03d}" for i in range(64)]
    product_id = stock_up(container, [*skus, "HOT-1"])
    runner_process = None
    if projections == "in-process":
        container.machinery.runner.start()  # with other processes, under leases: one runs each
    elif projections == "own-process":
        settings = container.settings
        env = {
            **os.environ,
            "POLYSHOP_DATABASE_URL": settings.database_url or "",
            "POLYSHOP_REDIS_URL": settings.redis_url or "",
            "POLYSHOP_REDIS_PREFIX": settings.redis_prefix,
            "POLYSHOP_DATA_DIR": str(settings.data_dir),
            "POLYSHOP_LOG_LEVEL": "warning",
        }
        runner_process = subprocess.Popen(
            [sys.executable, "-m", "polyshop", "projections", "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    store = "Redis" if mode == "postgres" else "SQLite file"
    spread_over = f"; {processes} processes" if processes > 1 else ""
    print(f"\n## {mode} (carts in {store}; projections: {projections}{spread_over})")
    try:
        for label, sku in (("distinct SKUs", skus), ("one hot SKU", "HOT-1")):
            for buyers in (1, 16, 64):
                if processes > 1 and buyers >= processes:
                    times, lags, refused = spread(
                        container.settings, processes, buyers, seconds, sku, product_id, projections
                    )
                else:
                    times, lags, refused = run(
                        container,
                        buyers,
                        seconds,
                        sku_for(sku),
                        product_id,
                        projections,
                    )
                rate = len(times) / seconds
                place = f"p50 {statistics.median(times):6.1f} ms  p99 {pct(times, 0.99):6.1f} ms"
                seen = f"p50 {pct(lags, 0.5):5.1f} ms  p99 {pct(lags, 0.99):5.1f} ms"
                note = f"  ({refused} refused)" if refused else ""
                print(
                    f"  {label:13s} {buyers:2d} buyers: {rate:7.0f} orders/s  place {place}"
                    f"  -> in history {seen}{note}",
                    flush=True,
                )
    finally:
        if runner_process is not None:
            runner_process.terminate()
            runner_process.wait(30)
        container.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="sqlite,postgres")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument(
        "--projections",
        choices=["in-process", "own-process", "none"],
        default="in-process",
        help="where the projections run (own-process: PostgreSQL only, as server mode scales)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="spread the buyers over N processes (PostgreSQL only), as serve --workers N",
    )
    args = parser.parse_args()
    print("# polyshop order benchmark (2 shared cores: buyers, database, Redis together)")
    for mode in args.modes.split(","):
        bench(mode, args.seconds, projections=args.projections, processes=args.processes)
    if "postgres" in args.modes:
        ceiling = pgbench_ceiling(64, int(args.seconds))
        print(f"\n  pgbench ceiling, hot SKU update + event insert, 64 clients: {ceiling:7.0f} tps")


if __name__ == "__main__":
    main()
