"""The flash sale (issue 26): thousands of buyers released at one barrier for 100 units.

    .venv/bin/python benchmarks/flash_sale.py [--modes sqlite,postgres]
        [--buyers 1000,3000,10000] [--units 100] [--repeat 1] [--processes 4]

Black-box over HTTP against a real server (`polyshop serve --no-seed`, as
benchmarks/serve_with_ceiling.py runs it). For each run: a new SKU with `--units` on hand,
and as many guest sessions as buyers, each with one unit of that SKU in its cart (set up
over HTTP too, before the clock starts). Then `--processes` client processes each open
their buyers' connections, wait at one barrier, and send every buyer's guest checkout at
once (one request per connection, written the moment the barrier opens; a small asyncio
client, because a load generator that spends milliseconds per request in Python would
measure itself). Printed per run:

- what was sold (orders answered 201 and the SKU's reserved units, read back through the
  API) against the units: anything but exactly `--units` is an oversell or a lost sale;
- every buyer's answer: 201, 409, or anything else (counted, and the run marked);
- latency from the barrier to each answer: p50/p99 of everyone, of the winners (201) and
  of the refused (409);
- throughput the server gave each: placements/s (201s over the time to the last 201) and
  refusals/s (409s over the time to the last 409).

Asserts nothing. Machine caveat: 2 shared cores run the client processes, the shop, its
database and Redis together; the open-file limit is raised to its hard limit in each
process (10,000 buyers hold 10,000 sockets on each side).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2 as httpx
import orjson
from harness import fresh_settings, percentile, server

from polyshop.bootstrap import build
from polyshop.catalog import commands
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.container import Container

PORT = 8961
OPS_TOKEN = "flash-sale-ops-token-" + "x" * 16
BODY = {
    "email": "buyer@example.com",
    "shipping_address": {
        "name": "Flash Buyer",
        "line1": "1 Main St",
        "city": "X",
        "postal_code": "1",
        "country": "US",
    },
    "payment_method_id": "pm_bench",
}


def raise_open_files() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def new_sku(container: Container, units: int) -> str:
    sku = f"DROP-{uuid.uuid4().hex[:8].upper()}"
    draft = ProductDraft(
        name=f"Limited drop {sku}",
        description="One hundred pairs, one second.",
        brand="Bench",
        category="bench/drops",
        price=Decimal("199.00"),
        variants=(Variant(sku),),
    )
    commands.create_product(container.machinery.store, draft, {sku: units})
    return sku


def buyers_with_carts(base: str, sku: str, count: int) -> list[str]:
    """`count` guest tokens, each with one unit of `sku` in its cart."""

    def one(_: int) -> str:
        with httpx.Client(base_url=base, timeout=60) as client:
            token = client.post("/api/v1/sessions").json()["token"]
            added = client.post(
                "/api/v1/cart/items",
                json={"sku": sku, "quantity": 1},
                headers={"Authorization": f"Bearer {token}"},
            )
            if added.status_code != 201:
                raise RuntimeError(f"cart add: {added.status_code} {added.text}")
            return str(token)

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, range(count)))


def request_bytes(token: str) -> bytes:
    body = orjson.dumps(BODY)
    head = (
        f"POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n"
        f"Authorization: Bearer {token}\r\nIdempotency-Key: {uuid.uuid4()}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(
        (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length")),
        0,
    )
    await reader.readexactly(length)
    return status


async def _fire(requests: list[bytes], barrier: Any) -> list[tuple[int, float]]:
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    connecting = asyncio.Semaphore(200)

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with connecting:
            return await asyncio.open_connection("127.0.0.1", PORT)

    opened = list(await asyncio.gather(*(connect() for _ in requests)))
    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
    start = time.perf_counter()

    async def buy(index: int) -> tuple[int, float]:
        reader, writer = opened[index]
        writer.write(requests[index])
        try:
            status = await asyncio.wait_for(_answer(reader), 120)
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            status = 0
        writer.close()
        return status, (time.perf_counter() - start) * 1000

    return list(await asyncio.gather(*(buy(i) for i in range(len(requests)))))


def _client(requests: list[bytes], barrier: Any, results: Any) -> None:
    raise_open_files()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results.put(asyncio.run(_fire(requests, barrier)))


@dataclass(frozen=True)
class Run:
    buyers: int
    sold: int
    reserved: int
    answers: list[tuple[int, float]]

    def line(self, units: int) -> str:
        won = [ms for status, ms in self.answers if status == 201]
        refused = [ms for status, ms in self.answers if status == 409]
        every = [ms for _, ms in self.answers]
        other = len(self.answers) - len(won) - len(refused)
        exact = "exact" if self.sold == self.reserved == units else "WRONG"
        placed_rate = len(won) / (max(won) / 1000) if won else 0.0
        refused_rate = len(refused) / (max(refused) / 1000) if refused else 0.0
        return (
            f"{self.buyers:6d} buyers: sold {self.sold} (reserved {self.reserved}, {exact})"
            f"  201 {len(won)}  409 {len(refused)}  other {other}\n"
            f"        all     {_spread(every)}  max {max(every):7.1f} ms\n"
            f"        winners {_spread(won)}  placements {placed_rate:7.0f}/s\n"
            f"        refused {_spread(refused)}  refusals {refused_rate:7.0f}/s"
        )


def _spread(ms: list[float]) -> str:
    return f"p50 {percentile(ms, 0.5):7.1f} ms  p99 {percentile(ms, 0.99):7.1f} ms"


def sale(base: str, container: Container, buyers: int, units: int, processes: int) -> Run:
    sku = new_sku(container, units)
    tokens = buyers_with_carts(base, sku, buyers)
    requests = [request_bytes(token) for token in tokens]
    print(f"({buyers} buyers ready, the sale starts)", file=sys.stderr, flush=True)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=_client, args=(requests[i::processes], barrier, results))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    answers = [answer for _ in workers for answer in results.get()]
    for worker in workers:
        worker.join()
    level = httpx.get(
        f"{base}/api/v1/inventory/{sku}", headers={"Authorization": f"Bearer {OPS_TOKEN}"}
    ).json()
    sold = sum(1 for status, _ in answers if status == 201)
    return Run(buyers, sold, int(level["reserved"]), answers)


def bench(mode: str, counts: list[int], units: int, repeat: int, processes: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix=f"flash-{mode}-"))
    settings = fresh_settings(mode, "flash", data_dir, ops_token=OPS_TOKEN)
    container = build(settings)
    store = "Redis" if mode == "postgres" else "the SQLite cart file"
    print(f"\n## {mode} mode (carts and sessions in {store}), {units} units per sale")
    with server(container, PORT, settings.to_environment()) as base:
        for buyers in counts:
            for _ in range(repeat):
                print(sale(base, container, buyers, units, processes).line(units), flush=True)
    container.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modes", default="sqlite,postgres")
    parser.add_argument("--buyers", default="1000,3000,10000")
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    raise_open_files()
    counts = [int(n) for n in args.buyers.split(",")]
    for mode in args.modes.split(","):
        bench(mode, counts, args.units, args.repeat, args.processes)


if __name__ == "__main__":
    main()
