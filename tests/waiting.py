"""Waiting in tests for what happens in the background (a projection, a job, a server)."""

from __future__ import annotations

import time
from collections.abc import Callable


def eventually(check: Callable[[], object], what: str, seconds: float = 20) -> None:
    """Return once `check()` is truthy; fail with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
