"""The renditions browsers ask for most, kept in memory.

A rendition's key is the hash of its bytes, so what is cached can never be stale: nothing is
invalidated, only evicted by size (least recently used first) or when the garbage job
deletes the blob. Bounded in bytes, so no mix of requests can grow it past its budget.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from polyshop.media.ports import BlobInfo


class HotBlobs:
    def __init__(self, budget_bytes: int, largest: int) -> None:
        self._budget = budget_bytes
        #: Blobs above this are streamed from the store, never cached (an original, say).
        self.largest = largest
        self._used = 0
        self._items: OrderedDict[str, tuple[BlobInfo, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[BlobInfo, bytes] | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, info: BlobInfo, data: bytes) -> None:
        if len(data) > self.largest or len(data) > self._budget:
            return
        with self._lock:
            if info.key in self._items:
                return
            self._items[info.key] = (info, data)
            self._used += len(data)
            while self._used > self._budget:
                _, (_, evicted) = self._items.popitem(last=False)
                self._used -= len(evicted)

    def evict(self, key: str) -> None:
        with self._lock:
            item = self._items.pop(key, None)
            if item is not None:
                self._used -= len(item[1])

    @property
    def used_bytes(self) -> int:
        return self._used
