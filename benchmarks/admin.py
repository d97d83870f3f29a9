"""The admin's figures (issue 20): every admin page's latency on a large shop.

    .venv/bin/python benchmarks/admin.py [--mode sqlite|postgres] [--products 1000000]
        [--orders 100000] [--requests 40]

Fills a fresh shop (embedded SQLite under a temporary folder, or server mode on a new
PostgreSQL database and Redis prefix), then serves it as `polyshop serve --no-seed` does
(benchmarks/serve_with_ceiling.py):

- products: `polyshop seed --products N`, the demo catalog's own bulk import (large
  transactions through the catalog's import command);
- customers: one per ten orders, written as `accounts.commands.register` writes one (a users
  row and its UserRegistered event), but in batches and with one password hash for all
  (hashing costs ~20 ms each, by design);
- orders: the shop has no bulk path for orders, so each order's events are appended with
  the EventStore port, 2,000 orders per unit of work, in the shapes checkout and the
  lifecycle write: OrderPlaced (1 to 3 items priced from the catalog's write model by
  `pricing.offers`, as checkout prices them), then OrderPaid, OrderShipped,
  OrderDelivered, OrderCancelled or OrderRefunded for most of them. Only their events are
  written: no stock is reserved or taken, no idempotency key recorded, and all are placed
  within seconds (an event's time is its append's), so a date filter would see one day.
  The projections build the read models (order history, the admin's order list, sales)
  from the log while the server starts, and the script waits until none lags.

Then, signed in with the operator token (a bearer header, which the admin pages accept as
an admin), it requests each admin page `--requests` times one at a time, then the same
number spread over 8 threads at once, and prints p50 and p99 per page in milliseconds and
the worst p99 of each. Every answer must be 200 (else it stops, naming the page).

Asserts nothing. Machine caveat: 2 shared cores run the shop, its database, and this
script's clients (Python threads, not wrk); the issue's shop is 1,000,000 products and
100,000 orders, `--products` and `--orders` say what a run used.
"""

from __future__ import annotations

import argparse
import html
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx2 as httpx
from harness import fresh_settings, percentile, server
from sqlalchemy import select

from polyshop.accounts import domain as accounts
from polyshop.accounts import passwords
from polyshop.accounts.schema import users
from polyshop.bootstrap import build
from polyshop.catalog import pricing
from polyshop.catalog.domain import Offer
from polyshop.catalog.schema import products, variants
from polyshop.config import Settings
from polyshop.container import Container
from polyshop.eventstore.events import EventMetadata, NewEvent, StreamAppend
from polyshop.orders import domain as orders
from polyshop.runtime.bulk import insert_rows
from polyshop.values.clock import utc_now
from polyshop.values.ids import new_id

PORT = 8923
BATCH = 2_000
THREADS = 8
#: What becomes of the orders, and how often: most are paid and on their way.
FATES = (
    ("pending", 10),
    ("paid", 30),
    ("shipped", 25),
    ("delivered", 22),
    ("cancelled", 8),
    ("refunded", 5),
)


@dataclass(frozen=True, slots=True)
class Filled:
    """What the pages are asked about: some products, SKUs, customers and orders."""

    product_ids: list[str]
    skus: list[str]
    customers: list[tuple[str, str]]  # (id, email)
    order_ids: list[str]


def seed_products(settings: Settings, total: int) -> float:
    """`polyshop seed --products N` on the shop `settings` name; seconds it took."""
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "polyshop", "seed", "--products", str(total)],
        env={**os.environ, **settings.to_environment()},
        check=True,
        capture_output=True,
    )
    return time.monotonic() - began


def add_customers(container: Container, count: int) -> list[tuple[str, str]]:
    """`count` customers, each a users row and its UserRegistered event, in batches."""
    hashed = passwords.hash_password("correct horse battery staple")
    made: list[tuple[str, str]] = []
    store = container.machinery.store
    for first in range(0, count, BATCH):
        rows, appends = [], []
        now = utc_now()
        for n in range(first, min(first + BATCH, count)):
            user_id = new_id()
            address, key = accounts.normalize_email(f"customer{n:07d}@bench.example")
            name = f"Customer {n:07d}"
            rows.append(
                {
                    "id": user_id,
                    "email": address,
                    "email_key": key,
                    "name": name,
                    "password_hash": hashed,
                    "role": accounts.Role.CUSTOMER.value,
                    "addresses": [],
                    "version": 1,
                    "created_at": now,
                }
            )
            event = accounts.registered_event(user_id, address, name, accounts.Role.CUSTOMER)
            appends.append(
                StreamAppend(
                    accounts.stream_id(user_id),
                    accounts.USER_STREAM,
                    [NewEvent(accounts.USER_REGISTERED, event)],
                )
            )
            made.append((user_id, address))
        with store.unit_of_work() as uow:
            insert_rows(uow.connection, users, rows)
            uow.append_many(appends)
    return made


def _lifecycle(fate: str, total: Decimal, rng: random.Random) -> list[NewEvent]:
    """The events after OrderPlaced that bring an order to `fate`, as the lifecycle writes."""
    if fate == "pending":
        return []
    paid = NewEvent(orders.ORDER_PAID, {"payment_id": f"pi_{new_id()}", "amount": str(total)})
    if fate == "cancelled":
        return [NewEvent(orders.ORDER_CANCELLED, {"reason": "changed my mind", "stock": "release"})]
    shipped = NewEvent(orders.ORDER_SHIPPED, {"tracking_number": f"TRK{rng.randrange(10**9)}"})
    delivered = NewEvent(orders.ORDER_DELIVERED, {})
    steps = {
        "paid": [paid],
        "shipped": [paid, shipped],
        "delivered": [paid, shipped, delivered],
        "refunded": [paid, shipped, delivered][: rng.randint(1, 3)],
    }[fate]
    if fate == "refunded":
        refund = {"amount": str(total), "reason": "damaged", "restock": len(steps) == 1}
        steps.append(NewEvent(orders.ORDER_REFUNDED, refund))
    return steps


def _order(
    customer: str, offers: Sequence[Offer], fate: str, rng: random.Random
) -> tuple[str, StreamAppend]:
    items = [
        orders.OrderItem(
            sku=o.sku,
            product_id=o.product_id,
            name=o.name,
            quantity=rng.randint(1, 3),
            unit_price=o.unit_price,
            image=o.image,
            size=o.size,
            color=o.color,
        )
        for o in offers
    ]
    order_id = new_id()
    placed = orders.placed_event(
        order_id,
        customer,
        items,
        offers[0].currency,
        accounts.Address(
            "Ada Bench", "1 Load Street", "Testville", "12345", rng.choice(("DE", "US", "FR"))
        ).as_dict(),
        "pm_card",
        utc_now() + timedelta(days=1),
    )
    events = [placed, *_lifecycle(fate, Decimal(placed.data["total"]), rng)]
    metadata = EventMetadata(actor=f"user:{customer}")
    return order_id, StreamAppend(
        orders.stream_id(order_id), orders.ORDER_STREAM, events, 0, metadata
    )


def add_orders(
    container: Container, count: int, customers: list[str], skus: list[str]
) -> list[str]:
    """`count` orders by random customers, over random SKUs, appended in batches."""
    rng = random.Random(20)
    store = container.machinery.store
    with store.write_engine.connect() as connection:
        priced = pricing.offers(connection, skus)
    sellable = [offer for offer in priced.values() if offer.active]
    fates, weights = zip(*FATES, strict=True)
    made: list[str] = []
    for first in range(0, count, BATCH):
        appends = []
        for _ in range(min(BATCH, count - first)):
            lines = rng.sample(sellable, k=rng.randint(1, 3))
            fate = rng.choices(fates, weights)[0]
            order_id, append = _order(rng.choice(customers), lines, fate, rng)
            made.append(order_id)
            appends.append(append)
        with store.unit_of_work() as uow:
            uow.append_many(appends)
    return made


def some_products(container: Container, limit: int) -> tuple[list[str], list[str]]:
    """Product ids picked at random over the whole catalog, and their SKUs."""
    with container.machinery.store.write_engine.connect() as connection:
        ids = [str(i) for i in connection.execute(select(products.c.id)).scalars()]
        rng = random.Random(7)
        chosen = rng.sample(ids, k=min(limit, len(ids)))
        skus = connection.execute(select(variants.c.sku).where(variants.c.product_id.in_(chosen)))
        return chosen, [str(sku) for sku in skus.scalars()]


def wait_for_projections(container: Container, limit_s: float = 3600) -> float:
    """Seconds until every projection is live and none lags behind the log's head."""
    began = time.monotonic()
    while time.monotonic() - began < limit_s:
        statuses = container.machinery.runner.status()
        failed = [s for s in statuses if s.state == "failed"]
        if failed:
            raise RuntimeError(f"{failed[0].name} failed: {failed[0].error}")
        if all(s.lag_events == 0 and s.state == "live" for s in statuses):
            return time.monotonic() - began
        time.sleep(1)
    raise RuntimeError(f"the read models did not catch up within {limit_s:.0f} s")


def _older(client: httpx.Client, path: str, times: int) -> str:
    """The orders page `times` "Older" links after `path`, as an admin would reach it."""
    for _ in range(times):
        found = re.search(r'href="(/admin/orders\?[^"]*before=[^"]*)"', client.get(path).text)
        if found is None:
            return path
        path = html.unescape(found.group(1))
    return path


def admin_pages(client: httpx.Client, filled: Filled) -> dict[str, str]:
    """Each admin page to measure, by a name, with the path that shows it."""
    product, sku = filled.product_ids[0], filled.skus[0]
    customer_id, email = filled.customers[len(filled.customers) // 2]
    order = filled.order_ids[len(filled.order_ids) // 2]
    return {
        "dashboard": "/admin",
        "products": "/admin/products",
        "products, last page": "/admin/products?page=999999",
        "products, name search": "/admin/products?q=laptop",
        "products, SKU search": f"/admin/products?q={sku}",
        "products, filter": "/admin/products?category=electronics/laptops&stock=yes",
        "product": f"/admin/products/{product}",
        "inventory": "/admin/inventory",
        "inventory, prefix": f"/admin/inventory?q={sku[:6]}",
        "inventory, low first": "/admin/inventory?low=1",
        "inventory SKU": f"/admin/inventory/{sku}",
        "orders": "/admin/orders",
        "orders, status": "/admin/orders?status=shipped",
        "orders, customer": f"/admin/orders?customer={email}",
        "orders, total": "/admin/orders?min_total=1500",
        "orders, 20th page": _older(client, "/admin/orders", 19),
        "order": f"/admin/orders/{order}",
        "order, at=1": f"/admin/orders/{order}?at=1",
        "customers": "/admin/customers",
        "customers, search": "/admin/customers?q=customer00012",
        "customer": f"/admin/customers/{customer_id}",
        "projections": "/admin/projections",
        "events": "/admin/events",
        "events, type": "/admin/events?type=OrderShipped",
    }


def _timed(client: httpx.Client, name: str, path: str) -> float:
    began = time.perf_counter()
    status = client.get(path).status_code
    took = (time.perf_counter() - began) * 1000
    if status != 200:
        raise RuntimeError(f"{name} ({path}) answered {status}")
    return took


def _figures(
    pool: ThreadPoolExecutor, clients: list[httpx.Client], name: str, path: str, requests: int
) -> list[float]:
    """p50 and p99 of `path` one at a time, then p50 and p99 from every client at once."""
    _timed(clients[0], name, path)  # the first render (templates, caches) not counted
    alone = [_timed(clients[0], name, path) for _ in range(requests)]
    share = -(-requests // len(clients))
    parts = pool.map(lambda c: [_timed(c, name, path) for _ in range(share)], clients)
    together = [took for part in parts for took in part]
    return [percentile(times, q) for times in (alone, together) for q in (0.5, 0.99)]


def measure(base: str, token: str, pages: dict[str, str], requests: int) -> None:
    """Each page `requests` times one at a time, then as many from THREADS at once."""
    headers = {"Authorization": f"Bearer {token}"}
    clients = [httpx.Client(base_url=base, headers=headers, timeout=60) for _ in range(THREADS)]
    print(f"\n{'page':24} {'1 at a time':>18}   {f'{THREADS} threads':>18}   path")
    print(f"{'':24} {'p50':>8} {'p99':>9}   {'p50':>8} {'p99':>9}")
    worst = [0.0, 0.0]
    with ThreadPoolExecutor(THREADS) as pool:
        for name, path in pages.items():
            figures = _figures(pool, clients, name, path, requests)
            worst = [max(worst[0], figures[1]), max(worst[1], figures[3])]
            print(
                f"{name:24} {figures[0]:8.1f} {figures[1]:9.1f}   "
                f"{figures[2]:8.1f} {figures[3]:9.1f}   {path[:60]}"
            )
    print(f"{'worst p99':24} {'':8} {worst[0]:9.1f}   {'':8} {worst[1]:9.1f}")
    for client in clients:
        client.close()


def fill(settings: Settings, args: argparse.Namespace) -> tuple[Container, Filled]:
    """The shop filled as the module docstring says; prints what each step took."""
    seeded = seed_products(settings, args.products)
    container = build(settings)
    began = time.monotonic()
    customers = add_customers(container, max(1, args.orders // 10))
    customers_s = time.monotonic() - began
    product_ids, skus = some_products(container, 2_000)
    began = time.monotonic()
    order_ids = add_orders(container, args.orders, [c for c, _ in customers], skus)
    orders_s = time.monotonic() - began
    print(
        f"filled: {args.products:,} products seeded in {seeded:.0f} s; "
        f"{len(customers):,} customers in {customers_s:.0f} s; "
        f"{args.orders:,} orders appended in {orders_s:.0f} s"
    )
    return container, Filled(product_ids, skus, customers, order_ids)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40, help="per page, each way")
    args = parser.parse_args()
    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as tmp:
        settings = fresh_settings(args.mode, "admin", Path(tmp), ops_token=token)
        container, filled = fill(settings, args)
        where = "embedded mode, SQLite" if args.mode == "sqlite" else "server mode, PostgreSQL"
        print(f"shop: {args.products:,} products, {args.orders:,} orders ({where})")
        try:
            with server(container, PORT, settings.to_environment()) as base:
                caught_up = wait_for_projections(container)
                print(f"the read models caught up {caught_up:.0f} s after the server started")
                with httpx.Client(
                    base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
                ) as client:
                    pages = admin_pages(client, filled)
                measure(base, token, pages, args.requests)
        finally:
            container.close()


if __name__ == "__main__":
    main()
