"""Admission to the checkout's transaction path: a bounded number of buyers per SKU at once,
first come first served, the rest waiting in memory.

When a drop sends thousands of buyers at one SKU, letting them all into the group commit
queues every one of them behind transactions that mostly refuse them. Admission keeps the
SKU's availability as this process last saw it (from each batch's locked rows and from
screening reads, newest stream version wins) and lets a buyer in while the units already in
flight leave room for theirs, at most `per_sku` buyers at once. The others wait here, in
arrival order per SKU, and leave as soon as a place frees or the SKU is believed short; then
the caller confirms with a fresh read (`screening`) before refusing anyone. What this
module knows is a hint that decides who waits and who is read for: never, alone, a refusal.

No SQL and no I/O: a lock, a condition and a few counters.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable, Mapping
from types import TracebackType

from polyshop.inventory.stock import StockLevel

#: SKUs whose availability is remembered; the least recently seen are forgotten (a forgotten
#: SKU is simply let in, and learnt again from its batch).
REMEMBERED = 65_536


class Ticket:
    """A buyer's place on the transaction path; leaving (`with` or `leave`) frees it."""

    __slots__ = ("_admission", "_left", "_lines")

    def __init__(self, admission: Admission, lines: Mapping[str, int]) -> None:
        self._admission = admission
        self._lines = lines
        self._left = False

    def leave(self) -> None:
        if not self._left:
            self._left = True
            self._admission._leave(self._lines)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.leave()


class _Waiting:
    """One waiting buyer (compared by identity: two carts may ask for the same lines)."""

    __slots__ = ("lines",)

    def __init__(self, lines: Mapping[str, int]) -> None:
        self.lines = lines


class Admission:
    def __init__(self, per_sku: int, *, max_wait: float = 10.0) -> None:
        """`per_sku`: buyers of one SKU let onto the transaction path at once. `max_wait`:
        seconds a buyer waits for a place before going on regardless (the transaction
        decides then): a wait is bounded whatever the others do."""
        if per_sku < 1:
            raise ValueError("per_sku must be at least 1")
        self._per_sku = per_sku
        self._max_wait = max_wait
        self._changed = threading.Condition()
        self._known: OrderedDict[str, tuple[int, int]] = OrderedDict()  # sku: (version, available)
        self._units: Counter[str] = Counter()
        self._buyers: Counter[str] = Counter()
        self._queue: deque[_Waiting] = deque()

    def learn(self, levels: Iterable[StockLevel]) -> None:
        """Figures read under a lock or at a known version; older versions are ignored."""
        with self._changed:
            for level in levels:
                seen = self._known.get(level.sku)
                if seen is None or level.version > seen[0]:
                    self._known[level.sku] = (level.version, level.available)
                self._known.move_to_end(level.sku)
            while len(self._known) > REMEMBERED:
                self._known.popitem(last=False)
            self._changed.notify_all()

    def short(self, lines: Mapping[str, int]) -> list[str]:
        """The SKUs of `lines` believed unable to cover them (a reason to read, not refuse)."""
        with self._changed:
            return self._short(lines)

    def deadline(self) -> float:
        """When a buyer arriving now stops waiting, whatever happens (`time.monotonic`):
        one bound for all of a buyer's waits, however often they are screened between."""
        return time.monotonic() + self._max_wait

    def enter(self, lines: Mapping[str, int], deadline: float) -> Ticket | list[str]:
        """Wait for a place for `lines`: a ticket, or the SKUs believed short meanwhile."""
        return self._enter(lines, deadline, heed_short=True)

    def take(self, lines: Mapping[str, int], deadline: float) -> Ticket:
        """Wait for a place for `lines` whatever their SKUs are believed to have."""
        entered = self._enter(lines, deadline, heed_short=False)
        assert isinstance(entered, Ticket)
        return entered

    def _enter(
        self, lines: Mapping[str, int], deadline: float, *, heed_short: bool
    ) -> Ticket | list[str]:
        waiting = _Waiting(lines)
        with self._changed:
            self._queue.append(waiting)
            try:
                while True:
                    if heed_short and (short := self._short(lines)):
                        return short
                    left = deadline - time.monotonic()
                    if left <= 0 or (self._first(waiting) and self._fits(lines, heed_short)):
                        for sku, quantity in lines.items():
                            self._units[sku] += quantity
                            self._buyers[sku] += 1
                        return Ticket(self, lines)
                    self._changed.wait(left)
            finally:
                self._queue.remove(waiting)
                self._changed.notify_all()

    def in_flight(self, sku: str) -> int:
        """Buyers of `sku` on the transaction path now."""
        with self._changed:
            return self._buyers[sku]

    def _leave(self, lines: Mapping[str, int]) -> None:
        with self._changed:
            for sku, quantity in lines.items():
                self._units[sku] -= quantity
                self._buyers[sku] -= 1
                if not self._buyers[sku]:
                    del self._units[sku], self._buyers[sku]
            self._changed.notify_all()

    def _short(self, lines: Mapping[str, int]) -> list[str]:
        return sorted(
            sku
            for sku, quantity in lines.items()
            if (seen := self._known.get(sku)) is not None and seen[1] < quantity
        )

    def _first(self, me: _Waiting) -> bool:
        """No buyer who came earlier waits for any of my SKUs (first come, first served)."""
        for earlier in self._queue:
            if earlier is me:
                return True
            if not earlier.lines.keys().isdisjoint(me.lines.keys()):
                return False
        return True

    def _fits(self, lines: Mapping[str, int], heed_available: bool) -> bool:
        for sku, quantity in lines.items():
            if self._buyers[sku] >= self._per_sku:
                return False
            seen = self._known.get(sku)
            if heed_available and seen is not None and self._units[sku] + quantity > seen[1]:
                return False
        return True
