"""A soak: the seed's traffic mix against server mode with two workers for a long while,
printed minute by minute, to show whether memory or projection lag grows.

    .venv/bin/python benchmarks/soak.py [--minutes 30] [--rate 400] [--products 10000]

Starts `polyshop serve --workers 2` on a fresh PostgreSQL database and a Redis prefix of its
own, seeded with demo products, and sends an open-loop load (requests leave on a fixed
schedule whatever the answers do) in the seed's proportions: for 11,500 product views,
115 searches, 57 cart operations and 1 order, at `--rate` requests/s in all. Every minute
it prints, per kind, the rate achieved and p50/p99; the resident memory of each server
process; and the projections' largest lag. Orders are rare at such rates (one in 11,700
requests): their line counts them rather than giving a meaningful p99.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx2 as httpx
from harness import fresh_settings, percentile, rss_mib

from polyshop.bootstrap import build
from polyshop.demo.seeding import seed

#: The seed's peak, per second: what each kind weighs in the mix.
MIX = {"view": 11_500, "search": 115, "cart": 57, "order": 1}
OPS = {"Authorization": "Bearer soak-ops-token"}
WORDS = ["shirt", "lamp", "laptop", "coffee", "chair", "shoe", "jacket", "phone", "desk", "tea"]
GUESTS = 200
#: Requests in flight at most; past it a request due is counted late and sent anyway later.
IN_FLIGHT = 512


def start(settings_env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYSHOP_")}
    env |= settings_env | {"POLYSHOP_OPS_TOKEN": OPS["Authorization"].split()[1]}
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "polyshop", "serve", "--workers", "2", "--no-seed",
             "--port", str(port)],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip


def processes(root: int) -> list[int]:
    """The server process and its workers."""
    children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
    return [root, *map(int, children)]


class Load:
    def __init__(self, client: httpx.AsyncClient, ids: list[str], skus: list[str]) -> None:
        self.client, self.ids, self.skus = client, ids, skus
        self.tokens: list[str] = []
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.late = 0
        self.slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(self, kind: str) -> None:
        async with self.slots:
            started = time.perf_counter()
            try:
                ok = await getattr(self, kind)()
            except httpx.TransportError:
                ok = False
            self.samples[kind].append((time.perf_counter() - started) * 1000)
            if not ok:
                self.errors[kind] += 1

    async def view(self) -> bool:
        answer = await self.client.get(f"/api/v1/products/{random.choice(self.ids)}")
        return answer.status_code == 200

    async def search(self) -> bool:
        q = random.choice(WORDS)
        answer = await self.client.get("/api/v1/products/search", params={"q": q})
        return answer.status_code == 200

    async def cart(self) -> bool:
        token = random.choice(self.tokens)
        item = {"sku": random.choice(self.skus), "quantity": 1}
        answer = await self.client.post(
            "/api/v1/cart/items", json=item, headers={"Authorization": f"Bearer {token}"}
        )
        return answer.status_code in (201, 409, 422)  # 409/422: sold out, cart full

    async def order(self) -> bool:
        token = (await self.client.post("/api/v1/sessions")).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        item = {"sku": random.choice(self.skus), "quantity": 1}
        await self.client.post("/api/v1/cart/items", json=item, headers=auth)
        body = {"email": "soak@example.com", "payment_method_id": "pm_card_visa",
                "shipping_address": {"name": "Ann", "line1": "1 Main St", "city": "X",
                                     "postal_code": "12345", "country": "US"}}  # fmt: skip
        answer = await self.client.post(
            "/api/v1/orders", json=body, headers=auth | {"Idempotency-Key": os.urandom(8).hex()}
        )
        return answer.status_code in (201, 409, 422)


async def schedule(load: Load, kind: str, rate: float, until: float) -> None:
    """Open loop: one request every 1/rate s, on the clock, not after the last answer."""
    interval, due = 1 / rate, time.monotonic()
    tasks: set[asyncio.Task[None]] = set()
    while due < until:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if time.monotonic() - due > 0.05:
            load.late += 1
        task = asyncio.create_task(load.one(kind))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        due += interval
    await asyncio.gather(*tasks)


async def report(load: Load, root: int, minutes: int, started: float) -> None:
    for minute in range(1, minutes + 1):
        await asyncio.sleep(max(0.0, started + 60 * minute - time.monotonic()))
        samples, load.samples = load.samples, defaultdict(list)
        errors, load.errors = load.errors, defaultdict(int)
        kinds = "  ".join(
            f"{k} {len(v) / 60:7.1f}/s p50 {percentile(v, 0.5):5.1f} p99 {percentile(v, 0.99):6.1f}"
            f"{f' err {errors[k]}' if errors[k] else ''}"
            if k != "order" else f"orders {len(v)} max {max(v, default=0):6.1f} ms"
            for k, v in sorted(samples.items())
        )  # fmt: skip
        memory = " ".join(f"{rss_mib(pid):.0f}" for pid in processes(root))
        statuses = (await load.client.get("/api/v1/admin/projections", headers=OPS)).json()
        lag = max((p["lag_events"] for p in statuses["projections"]), default=0)
        print(f"min {minute:3d}  {kinds}  | RSS MB {memory} | lag {lag} ev | late {load.late}",
              flush=True)  # fmt: skip


async def soak(base: str, root: int, minutes: int, rate: float) -> None:
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        listed = (await client.get("/api/v1/products", params={"limit": 100})).json()
        ids = [p["id"] for p in listed["products"]]
        skus = [v["sku"] for p in listed["products"] for v in p["variants"]]
        load = Load(client, ids, skus)
        load.tokens = [
            (await client.post("/api/v1/sessions")).json()["token"] for _ in range(GUESTS)
        ]
        started = time.monotonic()
        until = started + 60 * minutes
        total = sum(MIX.values())
        await asyncio.gather(
            *(schedule(load, k, rate * w / total, until) for k, w in MIX.items()),
            report(load, root, minutes, started),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--rate", type=float, default=400.0, help="requests/s in all")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="polyshop-soak-"))
    settings = fresh_settings("postgres", "soak", data_dir)
    container = build(settings)
    began = time.monotonic()
    seed(container.machinery.store, args.products)
    container.close()
    print(f"# soak: {args.products:,} products seeded in {time.monotonic() - began:.0f} s;"
          f" {args.rate:g} req/s for {args.minutes} min, mix {MIX}", flush=True)  # fmt: skip
    server = start(settings.to_environment(), args.port, data_dir / "serve.log")
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(600):
            try:
                statuses = httpx.get(f"{base}/api/v1/admin/projections", headers=OPS).json()
                if all(p["lag_events"] == 0 for p in statuses["projections"]):
                    break
            except (httpx.TransportError, KeyError, ValueError):
                pass
            time.sleep(1)
        asyncio.run(soak(base, server.pid, args.minutes, args.rate))
    finally:
        server.terminate()
        server.wait(60)


if __name__ == "__main__":
    main()
