"""Group commit: requests that arrive while one transaction runs share the next one.

Callers `submit` a request and block until it is done. Whoever finds no batch running
leads: it takes everything queued (up to `max_batch`), runs it as one batch in its own
thread, hands out the outcomes and lets the next leader take what queued meanwhile. An
idle system therefore runs every request at once and alone; a busy one gathers about as
many requests per batch as arrived during the last batch, with no timer and no thread of
its own. Per request, the batch's fixed costs (a transaction, its commit, a lock hold, a
round trip per statement) are divided by the batch's size.

A batch that raises is run again one request at a time, so each caller gets its own
outcome: one request's fault never becomes its neighbours'.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

Request = TypeVar("Request")
Outcome = TypeVar("Outcome")

#: A batch's runner: one outcome per request, in order; an exception is that caller's raise.
BatchRunner = Callable[[Sequence[Request]], Sequence[Outcome | BaseException]]


class _Slot(Generic[Request, Outcome]):
    __slots__ = ("done", "outcome", "request")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.done = False
        self.outcome: Outcome | BaseException | None = None


class GroupCommit(Generic[Request, Outcome]):
    def __init__(
        self,
        run: BatchRunner[Request, Outcome],
        *,
        max_batch: int = 64,
        key: Callable[[Request], Hashable] | None = None,
        settle: float = 0.0,
    ) -> None:
        """`key`: requests with equal keys never share a batch (a later one waits for the
        next), for requests that would conflict with each other, such as retries.
        `settle`: how long a leader waits before taking its batch, for callers known to
        arrive together (woken by one signal) but a moment apart."""
        self._run = run
        self._settle = settle
        self._max_batch = max_batch
        self._key = key
        self._queue: list[_Slot[Request, Outcome]] = []
        self._running = False
        self._changed = threading.Condition()

    @property
    def waiting(self) -> int:
        """Requests queued for a batch that has not started."""
        with self._changed:
            return len(self._queue)

    def submit(self, request: Request) -> Outcome:
        """Run `request` in the next batch; return its outcome or raise its exception."""
        slot: _Slot[Request, Outcome] = _Slot(request)
        with self._changed:
            self._queue.append(slot)
        while True:  # more than once when queued behind a full batch or a conflicting request
            with self._changed:
                while self._running and not slot.done:
                    self._changed.wait()
                if slot.done:
                    return self._result(slot)
                self._running = True
            try:
                if self._settle:
                    time.sleep(self._settle)  # let requests already on their way join
                with self._changed:
                    batch = self._take()
                self._execute(batch)
            finally:
                with self._changed:
                    self._running = False
                    self._changed.notify_all()

    def _take(self) -> list[_Slot[Request, Outcome]]:
        """The next batch, oldest first, leaving conflicting and surplus requests queued."""
        if self._key is None:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            return batch
        batch, left, keys = [], [], set()
        for slot in self._queue:
            key = self._key(slot.request)
            if len(batch) < self._max_batch and key not in keys:
                keys.add(key)
                batch.append(slot)
            else:
                left.append(slot)
        self._queue[:] = left
        return batch

    def _execute(self, batch: list[_Slot[Request, Outcome]]) -> None:
        requests = [slot.request for slot in batch]
        # Whatever happens to the leader (even an interrupt), no caller is left waiting.
        interrupted = RuntimeError("the batch was interrupted before it finished")
        outcomes: list[Outcome | BaseException] = [interrupted] * len(batch)
        try:
            try:
                outcomes = self._outcomes(requests)
            except Exception as exc:
                outcomes = [exc] if len(batch) == 1 else [self._alone(r) for r in requests]
        finally:
            for slot, outcome in zip(batch, outcomes, strict=True):
                slot.outcome = outcome
                slot.done = True

    def _outcomes(self, requests: list[Request]) -> list[Outcome | BaseException]:
        outcomes = list(self._run(requests))
        if len(outcomes) != len(requests):
            raise RuntimeError(f"{len(outcomes)} outcomes for a batch of {len(requests)}")
        return outcomes

    def _alone(self, request: Request) -> Outcome | BaseException:
        try:
            return self._outcomes([request])[0]
        except Exception as exc:
            return exc

    @staticmethod
    def _result(slot: _Slot[Request, Outcome]) -> Outcome:
        if isinstance(slot.outcome, BaseException):
            raise slot.outcome
        return slot.outcome  # type: ignore[return-value]
