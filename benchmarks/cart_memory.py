"""Big carts: what one add costs as the cart grows, and the server's memory (RSS) before and
after filling many carts to their number of lines, embedded mode (SQLite files) by default.

    .venv/bin/python benchmarks/cart_memory.py [--modes sqlite,postgres] [--carts 32]
        [--max-lines 250] [--threads 16] [--seed 10000]

The shop is seeded like `polyshop serve` seeds an empty one (10,000 demo products), plus
the benchmark's own SKUs with ample stock, then served in a process of its own. An add is
timed as a client sees it (HTTP round trip, median of many). `--max-lines` sets
POLYSHOP_CART_MAX_LINES, so carts of thousands of lines (what the shop allowed before it had
a limit) can be measured too. Prints figures; asserts nothing. Machine caveat: 2 shared
cores run the client, the server and the databases together.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import harness
import httpx2 as httpx
from harness import fresh_settings, server

from polyshop.bootstrap import build
from polyshop.catalog import commands
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.demo import seeding

PORT = 8760


def sku(index: int) -> str:
    return f"BIG-CART-{index:05d}"


def import_skus(container: object, count: int) -> None:
    """`count` one-variant products, each with stock for every cart the benchmark fills."""
    drafts = [
        (
            ProductDraft(
                name=f"Big cart item {i}",
                description="A product for the big-cart benchmark.",
                brand="Bench",
                category="bench/big-carts",
                price=Decimal("3.10") + Decimal(i % 50),
                variants=(Variant(sku(i)),),
            ),
            {sku(i): 1_000_000},
        )
        for i in range(count)
    ]
    for first in range(0, count, 1000):
        commands.import_products(container.machinery.store, drafts[first : first + 1000])  # type: ignore[attr-defined]


def server_pid(port: int) -> int:
    """The serving process (harness.server starts `serve_with_ceiling.py PORT`)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            any(part.endswith(b"serve_with_ceiling.py") for part in argv)
            and str(port).encode() in argv
        ):
            return int(entry.name)
    raise RuntimeError(f"no server process on port {port}")


class Shopper:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=60)
        token = self.http.post("/api/v1/sessions").json()["token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def add(self, code: str, quantity: int = 1) -> tuple[int, float]:
        started = time.perf_counter()
        response = self.http.post("/api/v1/cart/items", json={"sku": code, "quantity": quantity})
        return response.status_code, (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self.http.close()


def latency_by_size(base: str, sizes: list[int], rounds: int = 60) -> None:
    """Median add latency when the cart already holds `size` lines: adding a unit to one of
    its lines, and adding a new line (each new line is timed as the cart grows past it).
    A warm-up shopper first opens the server's connections and fills its caches."""
    warm = Shopper(base)
    for i in range(rounds):
        warm.add(sku(i % 20))
    warm.close()
    shopper = Shopper(base)
    held = 0
    try:
        for size in sizes:
            new_lines: list[float] = []
            while held < size:
                status, took = shopper.add(sku(held))
                assert status == 201, status
                held += 1
                if held > size - rounds:
                    new_lines.append(took)
            existing = []
            for i in range(rounds):
                status, took = shopper.add(sku(i % held))
                assert status == 201, status
                existing.append(took)
            print(
                f"  cart of {size:5d} lines: add to a line"
                f" p50 {statistics.median(existing):6.2f} ms"
                f"  p99 {harness.percentile(existing, 0.99):6.2f} ms"
                f"  |  new line p50 {statistics.median(new_lines):6.2f} ms"
            )
    finally:
        shopper.close()


def fill_carts(base: str, carts: int, lines: int, threads: int) -> tuple[float, Counter]:
    """`carts` guests each add `lines` different SKUs, `threads` guests at a time."""
    counts: Counter = Counter()

    def fill(_: int) -> None:
        shopper = Shopper(base)
        try:
            for i in range(lines):
                counts.record(shopper.add(sku(i))[0])
        finally:
            shopper.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fill, range(carts)))
    return time.perf_counter() - started, counts


class Counter(dict[int, int]):
    def record(self, status: int) -> None:
        self[status] = self.get(status, 0) + 1

    def __str__(self) -> str:
        return ", ".join(f"{count:,} x {status}" for status, count in sorted(self.items()))


def measure(label: str, pid: int, step: Callable[[], str]) -> None:
    before = harness.rss_mib(pid)
    said = step()
    print(f"  {label:38s} RSS {before:7.1f} -> {harness.rss_mib(pid):7.1f} MiB  {said}")


def bench(mode: str, args: argparse.Namespace, port: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"cart-memory-{mode}-"))
    container = build(fresh_settings(mode, "cart_memory", work))
    seeding.seed(container.machinery.store, args.seed, batch=1000)
    import_skus(container, max(args.max_lines + 10, 300))
    for name in container.machinery.runner.names:
        container.machinery.runner.catch_up(name)
    settings = container.settings
    container.close()
    env = {
        "POLYSHOP_REDIS_URL": settings.redis_url or "",
        "POLYSHOP_REDIS_PREFIX": settings.redis_prefix,
        "POLYSHOP_CART_MAX_LINES": str(args.max_lines),
    }
    store = "Redis" if mode == "postgres" else "SQLite file"
    print(f"\n## {mode} mode (carts in {store}), at most {args.max_lines} lines a cart")
    with server(container, port, extra_env=env) as base:
        pid = server_pid(port)
        print(f"  started: RSS {harness.rss_mib(pid):7.1f} MiB")
        sizes = sorted({1, 100, args.max_lines} | ({1000} if args.max_lines >= 1000 else set()))
        latency_by_size(base, [s for s in sizes if s <= args.max_lines])

        def fill() -> str:
            took, counts = fill_carts(base, args.carts, args.max_lines + 1, args.threads)
            return f"{args.carts} carts in {took:5.1f} s ({counts})"

        def show() -> str:
            def look(_: int) -> int:
                return httpx.get(f"{base}/api/v1/products?limit=100", timeout=60).status_code

            with ThreadPoolExecutor(args.threads) as pool:
                statuses = Counter()
                for status in pool.map(look, range(200)):
                    statuses.record(status)
            return f"200 product listings ({statuses})"

        measure(f"fill {args.carts} carts to {args.max_lines} lines (+1)", pid, fill)
        measure(f"fill {args.carts} more carts", pid, fill)
        measure("browse, carts untouched", pid, show)
        time.sleep(5)
        print(f"  5 s idle later: RSS {harness.rss_mib(pid):7.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="sqlite")
    parser.add_argument("--carts", type=int, default=32)
    parser.add_argument("--max-lines", type=int, default=250)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seed", type=int, default=10_000, help="demo products to seed")
    args = parser.parse_args()
    print("# polyshop big-cart benchmark (2 shared cores: client, server, databases together)")
    for i, mode in enumerate(args.modes.split(",")):
        bench(mode, args, PORT + i)


if __name__ == "__main__":
    main()
