"""Hot product pages kept in memory, as ready-to-send JSON, evicted by the log.

An invalidator thread follows the log, but only up to the product read model's checkpoint:
a page is evicted once the read model holds the change, so the cache is never staler than
the read model by more than the invalidator's wake-up (woken by the runner's progress in
this process and by new events from any process; polled every 50 ms otherwise). A page
read from the database is only cached if no eviction happened while it was being read, so
an old read can never overwrite a newer eviction.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from polyshop.catalog.documents import (
    CATALOG_EVENTS,
    STOCK_EVENTS,
    ProductDocumentProjection,
    relists,
    units_ordered_change,
)
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.follower import LogFollower
from polyshop.eventstore.ports import EventStore

#: What the caches follow: the events the product read model is made of.
_FOLLOWED = ProductDocumentProjection.event_types


@dataclass(frozen=True, slots=True)
class CatalogChange:
    """What a batch of catalog and stock events changed, as the caches need to know it."""

    product_ids: frozenset[str]
    skus: frozenset[str]
    #: Which products browse lists, its totals or its order (other than `popular`) may move.
    relisting: bool
    #: The `popular` order may move.
    reordering: bool

    @classmethod
    def of(cls, batch: Iterable[RecordedEvent]) -> CatalogChange:
        events = [e for e in batch if e.type in _FOLLOWED]
        return cls(
            frozenset(e.data["product_id"] for e in events if e.type in CATALOG_EVENTS),
            frozenset(e.data["sku"] for e in events if e.type in STOCK_EVENTS),
            any(relists(e) for e in events),
            any(units_ordered_change(e) for e in events),
        )


class _Listings:
    """Whole browse pages by query string, each with the products it shows.

    A change to what a page shows (a product's price, its variants' availability) drops the
    pages showing that product; a change to which products are listed drops them all, and
    `popular` pages go whenever units ordered move. So a steady stream of orders keeps
    every listing but those of the products sold, and no page is ever served stale.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._pages: dict[bytes, tuple[bytes, frozenset[str]]] = {}
        self._showing: dict[str, set[bytes]] = {}  # product id -> pages that show it
        self._popular: set[bytes] = set()

    def get(self, query: bytes) -> bytes | None:
        entry = self._pages.get(query)
        return entry[0] if entry is not None else None

    def put(self, query: bytes, page: bytes, product_ids: frozenset[str], popular: bool) -> None:
        if len(self._pages) >= self._capacity:
            self.clear()
        self._drop(query)
        self._pages[query] = (page, product_ids)
        for product_id in product_ids:
            self._showing.setdefault(product_id, set()).add(query)
        if popular:
            self._popular.add(query)

    def drop_showing(self, product_ids: Iterable[str]) -> None:
        for product_id in product_ids:
            for query in self._showing.pop(product_id, set()):
                self._drop(query)

    def drop_popular(self) -> None:
        for query in list(self._popular):
            self._drop(query)

    def clear(self) -> None:
        self._pages.clear()
        self._showing.clear()
        self._popular.clear()

    def _drop(self, query: bytes) -> None:
        entry = self._pages.pop(query, None)
        self._popular.discard(query)
        if entry is None:
            return
        for product_id in entry[1]:
            showing = self._showing.get(product_id)
            if showing is not None:
                showing.discard(query)
                if not showing:
                    del self._showing[product_id]


class ProductPageCache:
    def __init__(self, capacity: int = 20_000, listings: int = 10_000) -> None:
        self._capacity = capacity
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        # Browse totals by filter: counting a large category costs more than the page itself.
        # They hold until a change may move which products are listed.
        self._totals: dict[Hashable, int] = {}
        self._listings = _Listings(listings)
        # Every category with its products, for navigation: held as the totals are.
        self._categories: dict[str, int] | None = None
        # The product of every SKU rendered here: stock events name only the SKU. Kept when a
        # page leaves the cache (a listing may still show it); bounded by the catalog's SKUs.
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()
        self._changes = 0
        self.hits = 0
        self.misses = 0

    def token(self) -> int:
        """Take before reading from the database; hand it to `put` or `put_listing`."""
        return self._changes

    def get(self, product_id: str) -> bytes | None:
        with self._lock:
            page = self._pages.get(product_id)
            if page is None:
                self.misses += 1
                return None
            self._pages.move_to_end(product_id)
            self.hits += 1
            return page

    def rendered(self, product_id: str) -> bytes | None:
        """The cached page for a listing to reuse: not a view of the product page, so it
        counts neither as a hit nor as a miss."""
        with self._lock:
            page = self._pages.get(product_id)
            if page is not None:
                self._pages.move_to_end(product_id)
            return page

    def put(self, product_id: str, page: bytes, skus: Iterable[str], token: int) -> None:
        with self._lock:
            if token != self._changes:
                return  # something changed while the page was read: it may be old already
            self._pages[product_id] = page
            self._pages.move_to_end(product_id)
            for sku in skus:
                self._owners[sku] = product_id
            while len(self._pages) > self._capacity:
                self._pages.popitem(last=False)

    def total(self, key: Hashable) -> int | None:
        with self._lock:
            return self._totals.get(key)

    def put_total(self, key: Hashable, total: int, token: int) -> None:
        with self._lock:
            if token == self._changes:
                if len(self._totals) >= 10_000:
                    self._totals.clear()
                self._totals[key] = total

    def listing(self, query: bytes) -> bytes | None:
        with self._lock:
            return self._listings.get(query)

    def put_listing(
        self, query: bytes, page: bytes, product_ids: Iterable[str], popular: bool, token: int
    ) -> None:
        """Keep a browse page; `product_ids` are the products it shows (every one of them
        rendered through `put` first, so their SKUs are known)."""
        with self._lock:
            if token == self._changes:
                self._listings.put(query, page, frozenset(product_ids), popular)

    def put_shown(
        self,
        key: bytes,
        page: bytes,
        shown: Mapping[str, Iterable[str]],
        popular: bool,
        token: int,
    ) -> None:
        """Keep a page a face rendered itself (HTML) beside the listings, read back with
        `listing(key)`: `shown` maps each product on it to its SKUs, so a stock change to
        any of them drops the page as a change to the product does."""
        with self._lock:
            if token == self._changes:
                for product_id, skus in shown.items():
                    for sku in skus:
                        self._owners[sku] = product_id
                self._listings.put(key, page, frozenset(shown), popular)

    def categories(self) -> dict[str, int] | None:
        with self._lock:
            return self._categories

    def put_categories(self, counts: dict[str, int], token: int) -> None:
        with self._lock:
            if token == self._changes:
                self._categories = counts

    def evict(self, change: CatalogChange) -> None:
        with self._lock:
            self._changes += 1
            touched = set(change.product_ids)
            touched.update(o for s in change.skus if (o := self._owners.get(s)) is not None)
            for product_id in touched:
                self._pages.pop(product_id, None)
            if change.relisting:
                self._categories = None
                self._totals.clear()
                self._listings.clear()
                return
            self._listings.drop_showing(touched)
            if change.reordering:
                self._listings.drop_popular()

    def clear(self) -> None:
        with self._lock:
            self._changes += 1
            self._pages.clear()
            self._owners.clear()
            self._categories = None
            self._totals.clear()
            self._listings.clear()


class ProductCache(Protocol):
    """An in-memory cache of what product documents say (pages, recommendations)."""

    def evict(self, change: CatalogChange) -> None: ...

    def clear(self) -> None: ...


def page_cache_invalidator(
    caches: Sequence[ProductCache],
    store: EventStore,
    checkpoint: Callable[[], int],
    progress: threading.Condition,
) -> LogFollower:
    """Follows the log up to the product read model's checkpoint and evicts what changed
    from every cache built on product documents."""

    def evict(batch: list[RecordedEvent]) -> None:
        change = CatalogChange.of(batch)
        for cache in caches:
            cache.evict(change)

    def clear() -> None:
        for cache in caches:
            cache.clear()

    def wait(timeout: float) -> None:
        with progress:
            progress.wait(timeout)

    def wake() -> None:
        with progress:
            progress.notify_all()

    return LogFollower(
        "page-cache",
        store,
        _FOLLOWED,
        evict,
        start=checkpoint,
        limit=checkpoint,
        wait=wait,
        reset=clear,
        wake=wake,
    )
