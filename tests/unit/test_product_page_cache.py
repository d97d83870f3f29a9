"""The product page cache: what each kind of change evicts, and no stale page after a race."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from polyshop.catalog.page_cache import CatalogChange, ProductPageCache
from polyshop.eventstore.events import EventMetadata, RecordedEvent


def event(type_: str, **data: object) -> RecordedEvent:
    return RecordedEvent(
        1, "stream", "type", 1, type_, 1, dict(data), EventMetadata(), datetime.now(UTC)
    )


def change(*skus: str, relisting: bool = False, reordering: bool = False) -> CatalogChange:
    return CatalogChange(frozenset(), frozenset(skus), relisting, reordering)


@pytest.fixture
def cache() -> ProductPageCache:
    cache = ProductPageCache()
    cache.put("a", b"A", ["a-1"], cache.token())
    cache.put("b", b"B", ["b-1"], cache.token())
    cache.put_listing(b"category=a", b"[A]", ["a"], False, cache.token())
    cache.put_listing(b"category=b", b"[B]", ["b"], False, cache.token())
    cache.put_listing(b"sort=popular&category=b", b"[B]", ["b"], True, cache.token())
    cache.put_total(("b",), 1, cache.token())
    return cache


def test_a_sale_that_leaves_stock_drops_only_what_shows_the_product(cache: ProductPageCache):
    cache.evict(change("a-1"))

    assert (cache.get("a"), cache.listing(b"category=a")) == (None, None)
    assert cache.get("b") == b"B"
    assert cache.listing(b"category=b") == b"[B]"
    assert cache.listing(b"sort=popular&category=b") == b"[B]"
    assert cache.total(("b",)) == 1


def test_a_change_to_units_ordered_drops_every_popular_listing(cache: ProductPageCache):
    cache.evict(change("a-1", reordering=True))

    assert cache.listing(b"sort=popular&category=b") is None
    assert cache.listing(b"category=b") == b"[B]"


def test_a_change_to_what_is_listed_drops_every_listing_and_total(cache: ProductPageCache):
    cache.evict(change("a-1", relisting=True))

    assert cache.listing(b"category=b") is None
    assert cache.total(("b",)) is None
    assert cache.get("b") == b"B"  # a product page shows only its own product


def test_a_listing_computed_across_a_change_is_not_kept(cache: ProductPageCache):
    token = cache.token()
    cache.evict(change("b-1"))

    cache.put_listing(b"category=b", b"[old B]", ["b"], False, token)
    cache.put_total(("b",), 7, token)

    assert cache.listing(b"category=b") is None
    assert cache.total(("b",)) == 1  # not the count taken across the change


@pytest.mark.parametrize(
    ("type_", "data", "relisting", "reordering"),
    [
        ("StockReserved", {"quantity": 2, "available": 3}, False, True),
        ("StockReserved", {"quantity": 2, "available": 0}, True, True),  # sold out
        ("ReservationReleased", {"quantity": 2, "available": 2}, True, True),  # back in stock
        ("ReservationReleased", {"quantity": 2, "available": 5}, False, True),
        ("ReservationCommitted", {"quantity": 2, "available": 0}, False, False),
        ("InventoryAdjusted", {"delta": -1, "available": 4, "returned": False}, False, False),
        ("InventoryAdjusted", {"delta": 3, "available": 3, "returned": False}, True, False),
        ("InventoryAdjusted", {"delta": 3, "available": 9, "returned": True}, False, True),
        ("PriceChanged", {"product_id": "p", "price": "9.00"}, True, False),
    ],
)
def test_what_a_change_may_move(type_: str, data: dict, relisting: bool, reordering: bool):
    found = CatalogChange.of([event(type_, sku="a-1", **data)])

    assert (found.relisting, found.reordering) == (relisting, reordering)
