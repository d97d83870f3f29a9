"""The tail of the log as the live projections read it: fetched and decoded once for all.

An append wakes every projection worker, and each then wants the same few new events. Read
one by one, a single order cost each of them a query and a decoding of its own. Here the
first worker to ask reads every event up to the head it was given (whatever the types) and
keeps a window of the latest; the others filter that window in memory. Only events at or
below a head already read are kept, so nothing here can run ahead of what is final.

Workers far behind (a catch-up, a rebuild) read the log themselves, filtered by type in the
database: their ranges are their own, and would only push the live tail out of the window.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Collection

from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.sql_store import SqlEventStore


class RecentEvents:
    def __init__(self, store: SqlEventStore, capacity: int) -> None:
        self._store = store
        self._capacity = capacity
        self._lock = threading.Lock()
        # Every event in (after, up_to], in position order.
        self._after = 0
        self._up_to = 0
        self._events: list[RecordedEvent] = []
        self._positions: list[int] = []

    def covers(self, after: int, head: int) -> bool:
        """Whether a reader at `after` is close enough to the head to share the window."""
        return head - after <= self._capacity

    def read(
        self, after: int, head: int, types: Collection[str] | None, limit: int
    ) -> tuple[list[RecordedEvent], int]:
        """Up to `limit` events of `types` in (after, head], and the position read up to
        (`head`, or less when the batch is full or the window ends before it)."""
        with self._lock:  # one reads the database, the others wait and share what it read
            if not self._after <= after <= self._up_to:
                self._restart(after)
            if head > self._up_to:
                self._extend(head)
            end = min(head, self._up_to)
            start = bisect.bisect_right(self._positions, after)
            stop = bisect.bisect_right(self._positions, end)
            window = self._events[start:stop]
        batch = [e for e in window if types is None or e.type in types]
        if len(batch) >= limit:
            batch = batch[:limit]
            end = batch[-1].position
        return batch, end

    def _restart(self, after: int) -> None:
        self._after = self._up_to = after
        self._events, self._positions = [], []

    def _extend(self, head: int) -> None:
        fresh = self._store.read_range(self._up_to, head, self._capacity)
        self._events.extend(fresh)
        self._positions.extend(e.position for e in fresh)
        self._up_to = fresh[-1].position if len(fresh) == self._capacity else head
        surplus = len(self._events) - self._capacity
        if surplus > 0:
            self._after = self._positions[surplus - 1]
            del self._events[:surplus], self._positions[:surplus]
