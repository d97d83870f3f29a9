"""A read that callers arriving together share, without ever being handed a stale answer.

Every projection worker asks for the log's head when woken, and an append wakes them all
at once: without sharing, each asks the database the same question at the same moment.
A caller may take the answer of a read that *started after it arrived* (it then saw
everything the caller could have seen); a read already in flight when it arrived might
predate the append that woke it, so it waits for that one to end and shares the next.
Under any number of callers, at most two reads are running or queued.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class SharedRead(Generic[Value]):
    def __init__(self, read: Callable[[], Value]) -> None:
        self._read = read
        self._changed = threading.Condition()
        self._running = False
        self._started = 0  # reads started so far; the n-th read has number n
        self._finished = 0  # the number of the latest read that returned
        self._value: Value | None = None

    def __call__(self) -> Value:
        with self._changed:
            wanted = self._started + 1  # the first read to start from now on
            while self._finished < wanted:
                if not self._running:
                    self._running = True
                    self._started += 1
                    number = self._started
                    break
                self._changed.wait()
            else:
                return self._value  # type: ignore[return-value]
        try:
            value = self._read()
        except BaseException:
            with self._changed:  # the waiters start a read of their own
                self._running = False
                self._changed.notify_all()
            raise
        with self._changed:
            self._running = False
            self._finished, self._value = number, value
            self._changed.notify_all()
        return value
