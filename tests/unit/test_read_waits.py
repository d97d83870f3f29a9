"""Read-your-writes waits on the event loop (`ReadWaits`), against a projection whose progress
the test moves by hand. The HTTP behaviour is in tests/e2e/test_read_waits_http.py."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from polyshop.eventstore.projections.waiters import (
    BeyondHead,
    NotReached,
    ReadWaits,
    TooManyWaiters,
)


class Projection:
    """Progress as the runner reports it, for a projection another process runs."""

    def __init__(self) -> None:
        self.position = 0
        self._moved = threading.Condition()

    def applied(self, name: str) -> int | None:
        return None

    def wait_past(self, name: str, known: int, timeout: float) -> int:
        with self._moved:
            self._moved.wait_for(lambda: self.position > known, timeout)
            return max(self.position, known)

    def advance(self, position: int) -> None:
        with self._moved:
            self.position = position
            self._moved.notify_all()


def following() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("read-waits-")]


def test_waiters_are_answered_as_the_projection_passes_their_positions():
    projection = Projection()
    waits = ReadWaits(projection, lambda: 10, limit=10, timeout=5)

    async def scenario() -> list[bool]:
        tasks = [asyncio.create_task(waits.wait("docs", p)) for p in (3, 6, 9)]
        while waits.waiting < 3:
            await asyncio.sleep(0.005)
        await asyncio.to_thread(projection.advance, 5)
        await asyncio.wait_for(tasks[0], 2)
        done_at_5 = [t.done() for t in tasks]
        await asyncio.to_thread(projection.advance, 9)
        await asyncio.wait_for(asyncio.gather(*tasks), 2)
        return done_at_5

    assert asyncio.run(scenario()) == [True, False, False]
    assert waits.waiting == 0
    deadline = time.monotonic() + 2
    while following() and time.monotonic() < deadline:  # nobody waits: its thread ends
        time.sleep(0.01)
    assert following() == []


def test_a_position_beyond_the_head_is_refused_without_waiting():
    waits = ReadWaits(Projection(), lambda: 10, limit=10, timeout=5)

    with pytest.raises(BeyondHead) as refused:
        asyncio.run(waits.wait("docs", 11))

    assert (refused.value.position, refused.value.head) == (11, 10)
    assert waits.waiting == 0
    assert following() == []


def test_past_the_limit_a_waiter_is_refused_at_once():
    projection = Projection()
    waits = ReadWaits(projection, lambda: 10, limit=2, timeout=5)

    async def scenario() -> None:
        tasks = [asyncio.create_task(waits.wait("docs", 7)) for _ in range(2)]
        while waits.waiting < 2:
            await asyncio.sleep(0.005)
        with pytest.raises(TooManyWaiters):
            await asyncio.wait_for(waits.wait("docs", 7), 0.5)
        await asyncio.to_thread(projection.advance, 7)
        await asyncio.wait_for(asyncio.gather(*tasks), 2)

    asyncio.run(scenario())
    assert waits.waiting == 0


def test_a_position_not_reached_in_time_says_where_the_projection_stands():
    projection = Projection()
    projection.advance(4)
    waits = ReadWaits(projection, lambda: 10, limit=10, timeout=0.2)

    with pytest.raises(NotReached) as late:
        asyncio.run(waits.wait("docs", 8))

    assert (late.value.wanted, late.value.position) == (8, 4)
    assert waits.waiting == 0


def test_a_read_of_the_head_begun_before_a_caller_arrived_is_not_handed_to_it():
    """A client learns of position 7 after its commit, while a read that began before the
    commit is still out: that read's answer (5) must not refuse the client."""
    projection = Projection()
    projection.advance(7)
    first_read_out, commit_seen = threading.Event(), threading.Event()
    answers = iter([5, 7])

    def last_position() -> int:
        answer = next(answers)
        if answer == 5:
            first_read_out.set()
            assert commit_seen.wait(2)
        return answer

    waits = ReadWaits(projection, last_position, limit=10, timeout=1)

    async def scenario() -> tuple[BaseException | None, BaseException | None]:
        early = asyncio.create_task(waits.wait("docs", 6))  # beyond the first read's 5
        await asyncio.to_thread(first_read_out.wait, 2)
        client = asyncio.create_task(waits.wait("docs", 7))
        await asyncio.sleep(0.01)
        commit_seen.set()
        outcomes = await asyncio.gather(early, client, return_exceptions=True)
        return outcomes[0], outcomes[1]

    early, client = asyncio.run(scenario())
    assert isinstance(early, BeyondHead)  # it asked while 5 was the head
    assert client is None  # read anew, found 7 written, and was answered


def test_callers_beyond_the_head_together_share_the_reads_of_it():
    reads = 0

    def last_position() -> int:
        nonlocal reads
        reads += 1
        time.sleep(0.02)
        return 10

    waits = ReadWaits(Projection(), last_position, limit=10, timeout=1)

    async def scenario() -> list[BaseException | None]:
        calls = [waits.wait("docs", 1000 + i) for i in range(100)]
        return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, BeyondHead) for o in outcomes)
    assert reads <= 2


def test_a_position_reached_while_its_caller_read_the_head_leaves_later_waiters_followed():
    """B's position is reached while B reads the head, so B is answered without waiting;
    C, waiting after it, is still followed and answered when the projection gets there."""
    projection = Projection()
    b_reading, b_may_go = threading.Event(), threading.Event()
    answers = iter([10, 20])

    def last_position() -> int:
        answer = next(answers)
        if answer == 20:
            b_reading.set()
            assert b_may_go.wait(2)
        return answer

    waits = ReadWaits(projection, last_position, limit=10, timeout=2)

    async def scenario() -> None:
        a = asyncio.create_task(waits.wait("docs", 5))
        while waits.waiting < 1:
            await asyncio.sleep(0.005)
        b = asyncio.create_task(waits.wait("docs", 12))
        await asyncio.to_thread(b_reading.wait, 2)
        await asyncio.to_thread(projection.advance, 12)
        await asyncio.wait_for(a, 2)
        b_may_go.set()
        await asyncio.wait_for(b, 2)
        c = asyncio.create_task(waits.wait("docs", 15))
        await asyncio.sleep(0.4)  # time for a follower that thinks nobody waits to leave
        await asyncio.to_thread(projection.advance, 15)
        await asyncio.wait_for(c, 1)

    asyncio.run(scenario())
    assert waits.waiting == 0
