"""What this process's projection workers have applied, and waiting for it.

Read-your-writes waits are answered from memory when this process runs the projection: each
committed batch is noted here and announced on one condition, so a waiter wakes at once
instead of polling checkpoints. The checkpoint is still read now and then, since the
projection may be run by another process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class WorkerProgress:
    """Where this process's workers last left each active read model.

    `read_position(name)` reads the active generation's checkpoint (the database's answer).
    """

    def __init__(self, read_position: Callable[[str], int]) -> None:
        self._read_position = read_position
        #: Notified whenever a batch has been applied in this process.
        self.changed = threading.Condition()
        # What this process's workers have committed to each active read model: lets
        # read-your-writes waits be answered from memory instead of polling checkpoints.
        self._applied: dict[str, int] = {}

    def note(self, name: str, generation: int | None, position: int) -> None:
        if generation is None:  # the active generation, the one queries read
            self._applied[name] = max(self._applied.get(name, 0), position)

    def forget(self, name: str) -> None:
        """A new generation was swapped in: the memo spoke for the old one."""
        self._applied.pop(name, None)

    def announce(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def applied(self, name: str) -> int | None:
        return self._applied.get(name)

    def wait_past(self, name: str, known: int, timeout: float) -> int:
        """Block until the projection's position passes `known`, or `timeout` passes; return
        the position then (`known` when nothing newer was seen)."""
        started = time.monotonic()
        deadline = started + timeout
        check_at = started + 0.1 if name in self._applied else started
        while True:
            now = time.monotonic()
            if now >= check_at:
                if (position := self._read_position(name)) > known:
                    return position
                check_at = now + (0.1 if name in self._applied else 0.01)
            if now >= deadline:
                return known
            with self.changed:  # checked under the lock that progress is announced with
                if (applied := self._applied.get(name, 0)) > known:
                    return applied
                self.changed.wait(min(deadline, check_at) - now)
