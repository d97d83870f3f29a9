"""Read-your-writes waits on the event loop: a query asking for `min_position` awaits there.

A blocking wait held a worker thread for as long as the read model took, up to the bound:
forty such requests, which anyone may send, took every thread of the pool and stalled the
whole shop. Here a waiting request costs a future and nothing else. Per projection with
waiters, one thread follows its progress (`ProjectionRunner.wait_past`: woken by this
process's workers at once, rereading the checkpoint now and then, since another process may
run the projection) and hands each new position to the loop, which wakes the waiters it
satisfies. That thread ends when nobody waits any more.

A position the log has not reached is refused at once: nobody wrote it, so nobody can be
owed it. The bound is the newest committed position (`last_position`), not the gap-free
`head`: a command answers with its position after its commit, so that position is never
beyond it, whereas PostgreSQL's head may trail it for as long as an older append is still
committing. And at most `limit` requests wait at once in a process; past that, the next is
refused at once rather than queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from polyshop.eventstore.replicas import read_at_least

#: How long the following thread blocks at a time, so it notices when nobody waits any more.
_SLICE = 0.25


class Progress(Protocol):
    """What waiting needs of the projection runner."""

    def applied(self, name: str) -> int | None: ...

    def wait_past(self, name: str, known: int, timeout: float) -> int: ...


class BeyondHead(Exception):
    """The position asked for has not been written yet."""

    def __init__(self, position: int, head: int) -> None:
        super().__init__(f"position {position} is beyond the log's head {head}")
        self.position = position
        self.head = head


class TooManyWaiters(Exception):
    """As many requests as allowed are already waiting in this process."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"{limit} requests are already waiting for read models")
        self.limit = limit


class NotReached(Exception):
    """The read model did not reach the position within the bound."""

    def __init__(self, name: str, wanted: int, position: int, timeout: float) -> None:
        super().__init__(f"{name} has not reached position {wanted} within {timeout:g} s")
        self.name = name
        self.wanted = wanted
        self.position = position
        self.timeout = timeout


class _Watch:
    """One projection's waiters on one loop, and the thread that follows it for them."""

    def __init__(self, name: str, runner: Progress) -> None:
        self._name = name
        self._runner = runner
        #: The highest position seen so far (touched on the loop only).
        self.position = 0
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()  # guards the two below, shared with the thread
        self._pending = 0
        self._following = False

    def add(self, position: int) -> asyncio.Future[None]:
        """A future resolved once the projection has reached `position`; `done` it after."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            self._pending += 1  # until `done`, whether it waits or not
        if position <= self.position:  # reached while its caller read the head
            future.set_result(None)
            return future
        heapq.heappush(self._waiting, (position, next(self._order), future))
        with self._lock:
            start = not self._following
            self._following = True
        if start:
            threading.Thread(
                target=self._follow,
                args=(loop, self.position),
                name=f"read-waits-{self._name}",
                daemon=True,
            ).start()
        return future

    def done(self, future: asyncio.Future[None]) -> None:
        """The waiter of `future` has stopped waiting (answered, timed out or gone)."""
        if not future.done():
            future.cancel()
        with self._lock:
            self._pending -= 1
        if len(self._waiting) > 2 * self._pending:  # drop the futures given up on
            self._waiting = [entry for entry in self._waiting if not entry[2].done()]
            heapq.heapify(self._waiting)

    def _follow(self, loop: asyncio.AbstractEventLoop, known: int) -> None:
        """The thread: block on the runner, hand each new position to the loop."""
        try:
            while self._still_wanted():
                seen = self._runner.wait_past(self._name, known, _SLICE)
                if seen > known:
                    known = seen
                    loop.call_soon_threadsafe(self._reached, seen)
        except Exception as exc:  # the checkpoint could not be read, or the loop has closed
            with self._lock:
                self._following = False
            with contextlib.suppress(RuntimeError):  # closed: nobody is left to tell
                loop.call_soon_threadsafe(self._failed, exc)

    def _still_wanted(self) -> bool:
        with self._lock:
            self._following = self._pending > 0
            return self._following

    def _reached(self, position: int) -> None:
        self.position = max(self.position, position)
        while self._waiting and self._waiting[0][0] <= position:
            future = heapq.heappop(self._waiting)[2]
            if not future.done():
                future.set_result(None)

    def _failed(self, exc: Exception) -> None:
        waiting, self._waiting = self._waiting, []
        for _, _, future in waiting:
            if not future.done():
                future.set_exception(exc)


@dataclass
class _OnLoop:
    """What one event loop holds: its watches and its read of the log's last position."""

    watches: dict[str, _Watch] = field(default_factory=dict)
    reads_started: int = 0
    reading: asyncio.Future[int] | None = None
    reading_number: int = 0


class ReadWaits:
    """Awaitable read-your-writes waits, at most `limit` at once, each for `timeout` s."""

    def __init__(
        self,
        runner: Progress,
        last_position: Callable[[], int],
        *,
        limit: int,
        timeout: float,
    ) -> None:
        self._runner = runner
        self._last_position = last_position
        self.limit = limit
        self.timeout = timeout
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _OnLoop] = (
            weakref.WeakKeyDictionary()
        )
        self._written = 0  # the highest last position read so far: it only grows
        self._count_lock = threading.Lock()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """How many requests are waiting now."""
        return self._waiting

    async def wait(self, name: str, position: int) -> None:
        """Return once read model `name` has applied `position`, and have this request's
        reads go where it is applied (a replica that holds it, or the primary).

        Raises BeyondHead at once for a position not written yet, TooManyWaiters at once
        when `limit` requests already wait, NotReached after `timeout`.
        """
        await self._reach(name, position)
        read_at_least(name, position)

    async def _reach(self, name: str, position: int) -> None:
        state = self._on_loop()
        watch = state.watches.get(name)
        if watch is None:
            watch = state.watches[name] = _Watch(name, self._runner)
        if position <= max(watch.position, self._runner.applied(name) or 0):
            return
        if position > self._written and (head := await self._read_written(state)) < position:
            raise BeyondHead(position, head)
        with self._count_lock:
            if self._waiting >= self.limit:
                raise TooManyWaiters(self.limit)
            self._waiting += 1
        future = watch.add(position)
        try:
            async with asyncio.timeout(self.timeout):
                await future
        except TimeoutError:
            raise NotReached(name, position, watch.position, self.timeout) from None
        finally:
            watch.done(future)
            with self._count_lock:
                self._waiting -= 1

    def _on_loop(self) -> _OnLoop:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _OnLoop()
        return state

    async def _read_written(self, state: _OnLoop) -> int:
        """The log's last committed position, from a read begun after this call was made.

        Callers arriving together share one read; none is handed the answer of a read that
        began before it arrived, which might predate the commit its client learnt of.
        """
        arrived = state.reads_started
        while True:
            reading = state.reading
            if reading is not None and state.reading_number > arrived:
                return await asyncio.shield(reading)
            if reading is not None:  # begun before this call: let it end, then read anew
                await asyncio.wait([reading])
                continue
            state.reads_started += 1
            state.reading_number = state.reads_started
            state.reading = asyncio.ensure_future(self._read(state, state.reading_number))

    async def _read(self, state: _OnLoop, number: int) -> int:
        try:
            loop = asyncio.get_running_loop()
            written = await loop.run_in_executor(None, self._last_position)
        finally:
            if state.reading_number == number:
                state.reading = None
        self._written = max(self._written, written)
        return written
