"""The in-process wake-up signal: how embedded mode's projections learn of new events."""

from __future__ import annotations

import threading


class InProcessNotifier:
    """A counter behind a condition variable; appends bump it, tailers wait for it to move."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._counter = 0

    def token(self) -> int:
        with self._cond:
            return self._counter

    def notify_appended(self) -> None:
        with self._cond:
            self._counter += 1
            self._cond.notify_all()

    def wait(self, token: int, timeout: float) -> int:
        with self._cond:
            self._cond.wait_for(lambda: self._counter != token, timeout)
            return self._counter

    def close(self) -> None:
        self.notify_appended()
