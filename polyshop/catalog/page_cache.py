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
from collections.abc import Callable, Hashable, Iterable

import structlog

from polyshop.catalog.documents import CATALOG_EVENTS, STOCK_EVENTS
from polyshop.eventstore.ports import EventNotifier
from polyshop.eventstore.sql_store import SqlEventStore

log = structlog.get_logger(__name__)


class ProductPageCache:
    def __init__(self, capacity: int = 20_000) -> None:
        self._capacity = capacity
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        # Browse totals by filter: counting a large category costs more than the page itself.
        # Any eviction may change any total, so they live for one eviction epoch only.
        self._totals: dict[Hashable, tuple[int, int]] = {}
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
        entry = self._totals.get(key)
        return entry[1] if entry is not None and entry[0] == self._evictions else None

    def put_total(self, key: Hashable, total: int, token: int) -> None:
        if token == self._evictions:
            if len(self._totals) > 10_000:
                self._totals.clear()
            self._totals[key] = (token, total)

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


class PageCacheInvalidator:
    """Follows the log up to the read model's checkpoint and evicts what changed."""

    def __init__(
        self,
        cache: ProductPageCache,
        store: SqlEventStore,
        checkpoint: Callable[[], int],
        notifier: EventNotifier,
        progress: threading.Condition,
    ) -> None:
        self._cache = cache
        self._store = store
        self._checkpoint = checkpoint
        self._notifier = notifier
        self._progress = progress
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        # Anything cached before we knew where we stood is suspect; decided before serving.
        position = self._checkpoint()
        self._cache.clear()
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, args=(position,), name="page-cache", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._progress:
            self._progress.notify_all()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self, position: int) -> None:
        while not self._stopping.is_set():
            try:
                position = self._catch_up(position)
            except Exception as exc:  # the database went away: start over, cold
                log.warning("page cache invalidation paused", error=str(exc).splitlines()[0])
                self._cache.clear()
                self._stopping.wait(1.0)
                position = self._checkpoint()
                continue
            with self._progress:
                self._progress.wait(0.05)

    def _catch_up(self, position: int) -> int:
        target = self._checkpoint()
        while position < target:
            batch = self._store.read_range(
                position, target, 5000, types=CATALOG_EVENTS | STOCK_EVENTS
            )
            self._cache.evict(
                {e.data["product_id"] for e in batch if e.type in CATALOG_EVENTS},
                {e.data["sku"] for e in batch if e.type in STOCK_EVENTS},
            )
            if len(batch) < 5000:
                return target
            position = batch[-1].position
        return position
