"""Each product's ranked candidates kept in memory, so most reads touch no database.

Evicted by the log like the product page cache (same follower, same rule): an entry goes as
soon as the product read model holds a change to the product or to any candidate in it (a
price, a status, stock running out), so a cached list never offers what the read model
already says cannot be bought. New orders and visits change the graph itself more slowly
and matter less: entries also expire after `ttl` seconds, which bounds how long a new
bought-together pair takes to show.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from polyshop.catalog.page_cache import CatalogChange
from polyshop.recommendations.scoring import Candidate

TTL = 60.0


@dataclass(frozen=True, slots=True)
class Ranked:
    """A product's candidates, best first, each with its document; `found` is False for
    a product that does not exist (cached too: a crawler asking for one costs nothing)."""

    found: bool
    candidates: list[tuple[Candidate, dict[str, Any]]]
    #: Answers already rendered from these candidates by the HTTP layer, by limit (opaque
    #: bytes here), for callers with no cart to leave out: they go with the entry.
    rendered: dict[int, bytes] = field(default_factory=dict)


class RecommendationCache:
    def __init__(
        self,
        # An entry holds up to MAX_LIMIT + SPARE documents: a few thousand hot products
        # cover what most shoppers look at, in tens of megabytes.
        capacity: int = 2_000,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = capacity
        self._ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Ranked, frozenset[str]]] = OrderedDict()
        self._holders: dict[str, set[str]] = {}  # product id or SKU -> entries holding it
        self._lock = threading.Lock()
        self._evictions = 0

    def token(self) -> int:
        """Take before computing an entry; hand it to `put`."""
        return self._evictions

    def get(self, product_id: str) -> Ranked | None:
        with self._lock:
            entry = self._entries.get(product_id)
            if entry is None or entry[0] <= self._clock():
                return None
            self._entries.move_to_end(product_id)
            return entry[1]

    def put(self, product_id: str, ranked: Ranked, token: int) -> None:
        members = frozenset(
            {product_id}
            | {c.product_id for c, _ in ranked.candidates}
            | {v["sku"] for _, doc in ranked.candidates for v in doc["variants"]}
        )
        with self._lock:
            if token != self._evictions:
                return  # something changed while it was computed: it may be old already
            self._drop(product_id)
            self._entries[product_id] = (self._clock() + self._ttl, ranked, members)
            for member in members:
                self._holders.setdefault(member, set()).add(product_id)
            while len(self._entries) > self._capacity:
                self._drop(next(iter(self._entries)))

    def evict(self, change: CatalogChange) -> None:
        with self._lock:
            self._evictions += 1
            for member in (*change.product_ids, *change.skus):
                for holder in self._holders.pop(member, set()).copy():
                    self._drop(holder)

    def clear(self) -> None:
        with self._lock:
            self._evictions += 1
            self._entries.clear()
            self._holders.clear()

    def _drop(self, product_id: str) -> None:
        entry = self._entries.pop(product_id, None)
        if entry is None:
            return
        for member in entry[2]:
            holders = self._holders.get(member)
            if holders is not None:
                holders.discard(product_id)
                if not holders:
                    del self._holders[member]
