"""The flash sale's fast refusals on both databases (carts in the embedded store or Redis):
buyers of a sold-out SKU are refused from a read, without a write transaction, and a
"sold out" is never stale: units that come back (a restock, a cancelled order) through
another process are sold to the next buyers, every time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from polyshop.accounts.domain import Viewer
from polyshop.container import Container
from polyshop.inventory.stock import InsufficientStock
from tests.contract import test_flash_sale as flash_sale
from tests.contract.test_flash_sale import available, buy_at_once, product, race

OPERATOR = Viewer(user_id=None, is_admin=True)


@contextmanager
def counted_transactions(container: Container) -> Iterator[list[int]]:
    """How many units of work the shop's store opens meanwhile (a spy on the real store)."""
    store: Any = container.machinery.store
    opened = [0]
    original = store.unit_of_work

    def counting() -> Any:
        opened[0] += 1
        return original()

    store.unit_of_work = counting
    try:
        yield opened
    finally:
        store.unit_of_work = original


def buyers(container: Container, product_id: str, sku: str, count: int) -> list[str]:
    """`count` users with one unit of `sku` each in their carts."""
    return flash_sale.buyers(container, product_id, [[sku]] * count)


def test_buyers_of_a_sold_out_sku_are_refused_without_a_transaction(
    backend: str, container_for: Callable[..., Container]
):
    container = container_for(backend)
    product_id = product(container, {"DROP-1": 10})
    orders, refused, errors = race(container, [["DROP-1"]] * 40, product_id)
    assert (len(orders), len(refused), errors) == (10, 30, [])

    late = buyers(container, product_id, "DROP-1", 100)
    with counted_transactions(container) as opened:
        placed, refusals = buy_at_once(container.checkout, late)

    assert placed == []
    assert len(refusals) == 100
    assert all(isinstance(r, InsufficientStock) and r.skus == ["DROP-1"] for r in refusals)
    assert opened == [0]
    assert available(container, "DROP-1") == 0


@pytest.mark.parametrize("returned_by", ["restock", "cancellation"])
def test_units_that_come_back_through_another_process_are_sold_every_time(
    backend: str, container_for: Callable[..., Container], returned_by: str
):
    shop = container_for(backend)  # the process the buyers reach
    other = container_for(backend)  # another worker, on the same database: `shop` hears nothing
    product_id = product(shop, {"DROP-2": 3})
    first = buyers(shop, product_id, "DROP-2", 8)
    sold, _ = buy_at_once(shop.checkout, first)
    assert len(sold) == 3
    assert shop.checkout._admission.short({"DROP-2": 1}) == ["DROP-2"]  # believed sold out

    for round_ in range(6):
        units = 1 + round_ % 3
        if returned_by == "restock":
            other.inventory.adjust("DROP-2", units, "restock", actor="operator")
        else:
            for order_id in sold[:units]:
                other.orders.cancel(OPERATOR, order_id, "changed their mind")
            sold = sold[units:]
        assert available(shop, "DROP-2") == units
        placed, refused = buy_at_once(shop.checkout, buyers(shop, product_id, "DROP-2", units))
        assert (len(placed), refused) == (units, []), f"round {round_}"
        sold += placed
        # More buyers than units: the rest are refused, and learn it from a read.
        late, refusals = buy_at_once(shop.checkout, buyers(shop, product_id, "DROP-2", 5))
        assert late == []
        assert all(isinstance(r, InsufficientStock) for r in refusals)
    assert available(shop, "DROP-2") == 0


def test_restocks_racing_the_sale_are_all_sold(
    backend: str, container_for: Callable[..., Container]
):
    shop = container_for(backend)
    other = container_for(backend)
    product_id = product(shop, {"DROP-3": 5})
    crowd = buyers(shop, product_id, "DROP-3", 240)
    restocked = threading.Event()

    def restock() -> None:
        for _ in range(30):
            other.inventory.adjust("DROP-3", 1, "restock", actor="operator")
            time.sleep(0.01)
        restocked.set()

    def wave(users: list[str]) -> list[str]:
        placed, refused = buy_at_once(shop.checkout, users)
        assert all(isinstance(r, InsufficientStock) for r in refused), refused
        return placed

    restocking = threading.Thread(target=restock)
    restocking.start()
    sold: list[str] = []
    for start in range(0, 200, 20):  # the sale goes on while units trickle back in
        sold += wave(crowd[start : start + 20])
    restocking.join(30)
    assert restocked.is_set()
    # Buyers who come after the last restock was acknowledged get whatever is left.
    sold += wave(crowd[200:])

    assert available(shop, "DROP-3") == 0
    assert len(sold) == 35
