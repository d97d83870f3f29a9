"""Background chores that run every few seconds on a daemon thread (sweeping expired rows,
cancelling unpaid orders): one loop for all of them, stopped with the container."""

from __future__ import annotations

import threading
from collections.abc import Callable

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
