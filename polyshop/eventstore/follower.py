"""A thread that follows the log and hands batches of chosen event types to a handler.

For caches outside the read models (product pages, cart views): they need to hear about
changes quickly, not to be rebuilt, so the follower keeps no checkpoint. It starts where
`start` says, follows up to `limit()` (the head, or a read model's checkpoint), and after
an error starts over from `start` once `reset` has thrown away whatever may be stale.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection

import structlog

from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.ports import EventStore

log = structlog.get_logger(__name__)

BATCH = 5000


class LogFollower:
    def __init__(
        self,
        name: str,
        store: EventStore,
        types: Collection[str],
        handle: Callable[[list[RecordedEvent]], None],
        *,
        start: Callable[[], int],
        limit: Callable[[], int],
        wait: Callable[[float], None],
        reset: Callable[[], None] = lambda: None,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.name = name
        self._store = store
        self._types = frozenset(types)
        self._handle = handle
        self._start = start
        self._limit = limit
        self._wait = wait
        self._reset = reset
        self._wake = wake
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        # Decided before serving: anything held from before we knew where we stood goes.
        position = self._start()
        self._reset()
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, args=(position,), name=self.name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self, position: int) -> None:
        while not self._stopping.is_set():
            try:
                position = self._catch_up(position)
            except Exception as exc:  # a store went away: start over, cold
                log.warning(f"{self.name} paused", error=str(exc).splitlines()[0])
                self._stopping.wait(1.0)
                try:
                    self._reset()
                    position = self._start()
                except Exception as again:
                    log.warning(f"{self.name} still paused", error=str(again).splitlines()[0])
                continue
            if not self._stopping.is_set():
                self._wait(0.05)

    def _catch_up(self, position: int) -> int:
        target = self._limit()
        while position < target:
            batch = self._store.read_range(position, target, BATCH, types=self._types)
            if batch:
                self._handle(batch)
            if len(batch) < BATCH:
                return target
            position = batch[-1].position
        return position
