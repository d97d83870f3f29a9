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
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Protocol

from polyshop.catalog.documents import CATALOG_EVENTS, STOCK_EVENTS
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.follower import LogFollower
from polyshop.eventstore.sql_store import SqlEventStore


class _EpochMemo:
    """Answers that any eviction may change (a total, a listing): each is kept with the
    eviction count it was computed under and served only while that count holds."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._entries: dict[Hashable, tuple[int, Any]] = {}

    def get(self, key: Hashable, epoch: int) -> Any:
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] == epoch else None

    def put(self, key: Hashable, value: Any, token: int, epoch: int) -> None:
        if token == epoch:
            if len(self._entries) > self._capacity:
                self._entries.clear()
            self._entries[key] = (token, value)


class ProductPageCache:
    def __init__(self, capacity: int = 20_000) -> None:
        self._capacity = capacity
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        # Browse totals by filter: counting a large category costs more than the page itself.
        # Any eviction may change any total, so they live for one eviction epoch only.
        self._totals = _EpochMemo()
        # Whole browse pages by query string, for the same reason and the same epoch: a
        # catalog that is not changing serves its listings from memory.
        self._listings = _EpochMemo()
        self._owners: dict[str, str] = {}  # sku -> product id, for cached pages only
        self._lock = threading.Lock()
        self._evictions = 0
        self.hits = 0
        self.misses = 0

    def token(self) -> int:
        """Take before reading a page from the database; hand it to `put`."""
        return self._evictions

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
            if token != self._evictions:
                return  # something changed while the page was read: it may be old already
            self._pages[product_id] = page
            self._pages.move_to_end(product_id)
            for sku in skus:
                self._owners[sku] = product_id
            while len(self._pages) > self._capacity:
                self._pages.popitem(last=False)

    def total(self, key: Hashable) -> int | None:
        total: int | None = self._totals.get(key, self._evictions)
        return total

    def put_total(self, key: Hashable, total: int, token: int) -> None:
        self._totals.put(key, total, token, self._evictions)

    def listing(self, query: bytes) -> bytes | None:
        page: bytes | None = self._listings.get(query, self._evictions)
        return page

    def put_listing(self, query: bytes, page: bytes, token: int) -> None:
        self._listings.put(query, page, token, self._evictions)

    def evict(self, product_ids: Iterable[str], skus: Iterable[str]) -> None:
        with self._lock:
            self._evictions += 1
            for sku in skus:
                owner = self._owners.pop(sku, None)
                if owner is not None:
                    self._pages.pop(owner, None)
            for product_id in product_ids:
                self._pages.pop(product_id, None)

    def clear(self) -> None:
        with self._lock:
            self._evictions += 1
            self._pages.clear()
            self._owners.clear()


class ProductCache(Protocol):
    """An in-memory cache of what product documents say (pages, recommendations)."""

    def listing(self, query: bytes) -> bytes | None:
        entry = self._listings.get(query)
        return entry[1] if entry is not None and entry[0] == self._evictions else None

    def put_listing(self, query: bytes, page: bytes, token: int) -> None:
        if token == self._evictions:
            if len(self._listings) > 10_000:
                self._listings.clear()
            self._listings[query] = (token, page)

    def evict(self, product_ids: Iterable[str], skus: Iterable[str]) -> None: ...

    def clear(self) -> None: ...


def page_cache_invalidator(
    caches: Sequence[ProductCache],
    store: SqlEventStore,
    checkpoint: Callable[[], int],
    progress: threading.Condition,
) -> LogFollower:
    """Follows the log up to the product read model's checkpoint and evicts what changed
    from every cache built on product documents."""

    def evict(batch: list[RecordedEvent]) -> None:
        product_ids = {e.data["product_id"] for e in batch if e.type in CATALOG_EVENTS}
        skus = {e.data["sku"] for e in batch if e.type in STOCK_EVENTS}
        for cache in caches:
            cache.evict(product_ids, skus)

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
        CATALOG_EVENTS | STOCK_EVENTS,
        evict,
        start=checkpoint,
        limit=checkpoint,
        wait=wait,
        reset=clear,
        wake=wake,
    )
