"""Cart and login figures: cart add + get at 64 concurrent connections over many sessions
(embedded: SQLite file; server: PostgreSQL + Redis), and login latency with the argon2id
parameters in use.

    .venv/bin/python benchmarks/cart.py [--modes sqlite,postgres] [--seconds 10]

Needs `wrk` (Debian package). Prints figures; asserts nothing. Machine caveat: 2 shared
cores run wrk, the server, the database and Redis together.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import harness
import httpx2 as httpx
from harness import fresh_settings, server

from polyshop.accounts import commands as accounts
from polyshop.bootstrap import build
from polyshop.catalog import commands
from polyshop.catalog.domain import ProductDraft, Variant

SESSIONS = 256
SKUS = [f"CART-BENCH-{i:03d}" for i in range(8)]  # carts of up to 8 lines, as shoppers have
PASSWORD = "correct horse battery staple"


def wrk(base: str, mode: str, seconds: int, tokens: Path, skus: Path, think_ms: int = 0) -> str:
    env = {
        "MODE": mode,
        "THINK_MS": str(think_ms),
        "TOKENS_FILE": str(tokens),
        "SKUS_FILE": str(skus),
    }
    return str(harness.wrk(base, "cart.lua", env, seconds)).replace("req/s", "ops/s")


def login_latency(base: str, concurrency: int, rounds: int) -> str:
    def one(i: int) -> float:
        started = time.perf_counter()
        response = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"email": f"bench{i % concurrency}@example.com", "password": PASSWORD},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(concurrency) as pool:
        times = list(pool.map(one, range(rounds)))
    return f"p50 {statistics.median(times):6.1f} ms  p99 {harness.percentile(times, 0.99):6.1f} ms"


def bench(mode: str, seconds: int, port: int) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"cart-{mode}-"))
    container = build(fresh_settings(mode, "cart", work))
    commands.import_products(
        container.machinery.store,
        [
            (
                ProductDraft(
                    name=f"Bench item {sku}",
                    description="A product for the cart benchmark.",
                    brand="Bench",
                    category="bench/items",
                    price=Decimal("12.34"),
                    variants=(Variant(sku),),
                ),
                {sku: 10_000_000},
            )
            for sku in SKUS
        ],
    )
    for i in range(8):  # one account per concurrent login: an account's own logins queue
        accounts.register(container.machinery.store, f"bench{i}@example.com", PASSWORD)
    for name in container.machinery.runner.names:
        container.machinery.runner.catch_up(name)
    settings = container.settings
    container.close()
    env = {
        "POLYSHOP_REDIS_URL": settings.redis_url or "",
        "POLYSHOP_REDIS_PREFIX": settings.redis_prefix,
    }
    with server(container, port, extra_env=env) as base:
        with httpx.Client(base_url=base) as client:
            tokens = [client.post("/api/v1/sessions").json()["token"] for _ in range(SESSIONS)]
            for token in tokens:  # carts of a few lines, as shoppers have
                for sku in SKUS[:3]:
                    client.post(
                        "/api/v1/cart/items",
                        json={"sku": sku, "quantity": 1},
                        headers={"Authorization": f"Bearer {token}"},
                    )
        tokens_file, skus_file = work / "tokens.txt", work / "skus.txt"
        tokens_file.write_text("\n".join(tokens))
        skus_file.write_text("\n".join(SKUS))
        store = "Redis" if mode == "postgres" else "SQLite file"
        print(
            f"\n## {mode} mode (carts and sessions in {store}), {SESSIONS} sessions, 64 connections"
        )
        wrk(base, "mixed", 3, tokens_file, skus_file)  # warm up
        for think in (1000, 500, 200):
            figures = wrk(base, "mixed", seconds, tokens_file, skus_file, think)
            print(f"  add + get, {think:4d} ms think time  {figures}")
        figures = wrk(base, "mixed", seconds, tokens_file, skus_file)
        print(f"  add + get, flat out (saturated) {figures}")
        print(
            f"  add only,  flat out             {wrk(base, 'add', seconds, tokens_file, skus_file)}"
        )
        print(
            f"  get only,  flat out             {wrk(base, 'get', seconds, tokens_file, skus_file)}"
        )
        print(f"  login, 1 at a time              {login_latency(base, 1, 40)}")
        print(f"  login, 8 at once                {login_latency(base, 8, 80)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="sqlite,postgres")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    print("# polyshop cart benchmark (2 shared cores: wrk, server, database, Redis together)")
    print("# argon2id m=19 MiB t=2 p=1 (OWASP); login = HTTP + throttle check + one hash")
    for i, mode in enumerate(args.modes.split(",")):
        bench(mode, args.seconds, 8700 + i)


if __name__ == "__main__":
    main()
