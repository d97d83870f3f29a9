"""Signals buffered in memory and written in batches by one writer thread.

Recording a view costs a product page a lock and a list append, never I/O. The writer wakes
every `interval` and writes what arrived, in batches of at most CHUNK. Small, frequent
batches matter more than big ones here: the writer shares the interpreter (and two cores)
with the requests, and a second's worth of views written in one burst stalls every request
that arrives during it. **Loss budget:** a crash loses what is in the buffer, at most the
last interval of signals (a quarter of a second by default); a clean shutdown (`close`)
writes everything first. While the store is down, batches are kept
and retried, up to `capacity` signals; beyond that new signals are dropped and counted, so
an outage costs memory that is bounded, never the shop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from polyshop.analytics.domain import Kind, Signals
from polyshop.analytics.ports import AnalyticsStore

log = structlog.get_logger(__name__)

#: Signals per write: small enough that no write holds the interpreter for long.
CHUNK = 5_000


class SignalRecorder:
    def __init__(
        self,
        store: AnalyticsStore,
        *,
        interval: float = 0.25,
        capacity: int = 1_000_000,
        clock: Callable[[], int] = lambda: time.time_ns() // 1000,
    ) -> None:
        self._store = store
        self._interval = interval
        self._capacity = capacity
        self._clock = clock
        self._buffer = Signals()
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.recorded = 0
        self.written = 0
        self.dropped = 0
        self.ignored = 0
        self.failed_batches = 0

    def view(self, product_id: str, viewer: int | None) -> None:
        self.record(Kind.VIEW, product_id, viewer)

    def cart_add(self, product_id: str, viewer: int | None) -> None:
        self.record(Kind.CART_ADD, product_id, viewer)

    def ignore(self) -> None:
        """A view of a product that is gone (discontinued, unknown): not recorded, counted."""
        self.ignored += 1

    def record(self, kind: Kind, product_id: str, viewer: int | None) -> None:
        at_us = self._clock()
        with self._lock:
            if len(self._buffer) >= self._capacity:
                self.dropped += 1
                return
            self._buffer.add(kind, product_id, viewer, at_us)
            self.recorded += 1

    def pending(self) -> int:
        with self._lock:
            return len(self._buffer)

    def start(self) -> None:
        self._stopping.clear()
        self._wake.clear()
        self._thread = threading.Thread(target=self._run, name="signal-writer", daemon=True)
        self._thread.start()

    def flush(self) -> None:
        """Write what is buffered now, on the caller's thread (tests, shutdown). One flush
        at a time: when it returns, everything recorded before the call is written, even
        what the writer thread had taken and was still writing."""
        with self._writing:
            self._write()

    def _write(self) -> None:
        with self._lock:
            batch, self._buffer = self._buffer, Signals()
        for start in range(0, len(batch), CHUNK):
            chunk = batch.slice(start, start + CHUNK)
            try:
                self._store.append(chunk)
            except Exception:
                with self._lock:  # keep it for the next try, oldest first, within capacity
                    room = max(self._capacity - len(self._buffer), 0)
                    kept = batch.slice(start, start + room)
                    self._buffer.prepend(kept)
                    self.dropped += len(batch) - start - len(kept)
                self.failed_batches += 1
                raise
            self.written += len(chunk)

    def close(self) -> None:
        """Stop the writer and write everything still buffered."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        try:
            self.flush()
        except Exception as exc:
            log.error(
                "views lost at shutdown: the analytics store refused the last batch",
                signals=self.pending(),
                error=str(exc).splitlines()[0],
            )

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._interval)
            if self._stopping.is_set():
                return  # close() writes the rest on its own thread
            try:
                self.flush()
            except Exception as exc:
                log.warning("analytics write failed; retrying", error=str(exc).splitlines()[0])
