"""The flash sale, with real concurrency on both databases (carts in the embedded store or
Redis): buyers released through one barrier race for a few units. Exactly the stock is
sold, every other buyer gets a clean refusal, and nothing deadlocks."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal

from polyshop.cart.domain import CartLine
from polyshop.catalog import commands
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.container import Container
from polyshop.inventory import stock
from polyshop.inventory.stock import InsufficientStock
from polyshop.orders.checkout import Checkout
from tests.e2e.shoppers import ORDER_BODY as BODY


def product(container: Container, units: dict[str, int]) -> str:
    draft = ProductDraft(
        name="Limited sneaker",
        description="Only a few.",
        brand="Acme",
        category="shoes/limited",
        price=Decimal("199.00"),
        variants=tuple(Variant(sku) for sku in units),
    )
    return commands.create_product(container.machinery.store, draft, units).product_id


def buyers(container: Container, product_id: str, carts: list[list[str]]) -> list[str]:
    """One new user per cart, holding one unit of each of its SKUs."""
    users = [str(uuid.uuid4()) for _ in carts]
    for user, skus in zip(users, carts, strict=True):
        for sku in skus:
            container.carts.store.add(
                f"user:{user}", CartLine(sku, product_id, 1, 19900, time.time()), 99, 250
            )
    return users


def buy_at_once(checkout: Checkout, users: list[str]) -> tuple[list[str], list[BaseException]]:
    """Every user's checkout, all released at one barrier: the orders and the refusals."""
    barrier = threading.Barrier(len(users))
    placed: list[str] = []
    refused: list[BaseException] = []
    lock = threading.Lock()

    def buy(user: str) -> None:
        barrier.wait()
        try:
            answer = checkout.place(
                user_id=user, cart_owner=f"user:{user}", key=f"flash-{user}", body=BODY
            )
            with lock:
                placed.append(answer.response["order_id"])
        except BaseException as exc:
            with lock:
                refused.append(exc)

    threads = [threading.Thread(target=buy, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return placed, refused


def race(
    container: Container, carts: list[list[str]], product_id: str
) -> tuple[list[str], list[list[str]], list[BaseException]]:
    """One buyer per cart, all released at once; returns orders, refusals, other errors."""
    orders, refusals = buy_at_once(container.checkout, buyers(container, product_id, carts))
    refused = [r.skus for r in refusals if isinstance(r, InsufficientStock)]
    errors = [r for r in refusals if not isinstance(r, InsufficientStock)]
    return orders, refused, errors


def available(container: Container, sku: str) -> int:
    with container.machinery.store.read_engine.connect() as connection:
        level = stock.get_stock(connection, sku)
    assert level is not None
    return level.available


def test_200_buyers_race_for_20_units(backend: str, container_for: Callable[..., Container]):
    container = container_for(backend)
    product_id = product(container, {"FLASH-1": 20})

    orders, refused, errors = race(container, [["FLASH-1"]] * 200, product_id)

    assert errors == []
    assert len(orders) == 20
    assert len(set(orders)) == 20
    assert refused == [["FLASH-1"]] * 180
    assert available(container, "FLASH-1") == 0
    placed = [e for e in container.machinery.store.read_all(0, 100_000) if e.type == "OrderPlaced"]
    assert len(placed) == 20


def test_overlapping_two_sku_carts_in_opposite_orders_never_deadlock(
    backend: str, container_for: Callable[..., Container]
):
    container = container_for(backend)
    product_id = product(container, {"PAIR-A": 10, "PAIR-B": 10})
    carts = [["PAIR-A", "PAIR-B"] if i % 2 else ["PAIR-B", "PAIR-A"] for i in range(60)]
    carts += [["PAIR-A"]] * 20 + [["PAIR-B"]] * 20

    orders, refused, errors = race(container, carts, product_id)

    assert errors == []
    assert len(orders) + len(refused) == 100
    assert available(container, "PAIR-A") == 0
    assert available(container, "PAIR-B") == 0
    sold = {"PAIR-A": 0, "PAIR-B": 0}
    for event in container.machinery.store.read_all(0, 100_000):
        if event.type == "OrderPlaced":
            for item in event.data["items"]:
                sold[item["sku"]] += item["quantity"]
    assert sold == {"PAIR-A": 10, "PAIR-B": 10}


def test_a_burst_of_retries_with_one_key_places_one_order(
    backend: str, container_for: Callable[..., Container]
):
    container = container_for(backend)
    product_id = product(container, {"RETRY-1": 5})
    user = str(uuid.uuid4())
    container.carts.store.add(
        f"user:{user}", CartLine("RETRY-1", product_id, 2, 19900, time.time()), 99, 250
    )
    barrier = threading.Barrier(12)
    answers: list[object] = []

    def retry() -> None:
        barrier.wait()
        try:
            placed = container.checkout.place(
                user_id=user,
                cart_owner=f"user:{user}",
                key="one-key",
                body=BODY,
            )
            answers.append(placed.response["order_id"])
        except BaseException as exc:
            answers.append(exc)

    threads = [threading.Thread(target=retry) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(answers) == 12
    assert len(set(answers)) == 1, answers
    assert available(container, "RETRY-1") == 3
    placed = [e for e in container.machinery.store.read_all(0, 100_000) if e.type == "OrderPlaced"]
    assert len(placed) == 1
