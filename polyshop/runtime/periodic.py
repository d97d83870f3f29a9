"""Background chores that run every few seconds on a daemon thread (sweeping expired rows,
cancelling unpaid orders): one loop for all of them, stopped with the container."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)


class Periodic:
    """Runs `task` every `interval` seconds until stopped. A failing run is logged and the
    next one tries again; `on_stop` runs on the thread as it ends (to release what the task
    holds)."""

    def __init__(
        self,
        name: str,
        interval: float,
        task: Callable[[], None],
        *,
        on_stop: Callable[[], None] = lambda: None,
    ) -> None:
        self.name = name
        self._interval = interval
        self._task = task
        self._on_stop = on_stop
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        try:
            while not self._stopping.wait(self._interval):
                try:
                    self._task()
                except Exception as exc:
                    log.warning(f"{self.name} failed", error=str(exc).splitlines()[0])
        finally:
            self._on_stop()


class _Lease(Protocol):
    def acquire(self) -> bool: ...

    def is_held(self) -> bool: ...

    def release(self) -> None: ...


def leased(
    name: str, interval: float, task: Callable[[], None], lease_factory: Callable[[], _Lease]
) -> Periodic:
    """A chore that one process of a deployment runs at a time: each run first makes sure
    this process holds the lease (made on the thread, so no connection exists until the
    chore starts); the others stand by and take over when it is released or lost."""
    held: list[_Lease] = []

    def run() -> None:
        if not held:
            held.append(lease_factory())
        if held[0].is_held() or held[0].acquire():
            task()

    def release() -> None:
        for lease in held:
            lease.release()

    return Periodic(name, interval, run, on_stop=release)
