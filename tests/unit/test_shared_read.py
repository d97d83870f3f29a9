"""A shared read: callers arriving together share one, none gets an answer read before it
arrived (a tailing reader would otherwise miss the append that woke it)."""

from __future__ import annotations

import itertools
import threading

import pytest

from polyshop.eventstore.shared_read import SharedRead


class Head:
    """A head that moves between reads, and whose first read can be held in flight."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.reads = 0
        self.in_flight = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def __call__(self) -> int:
        self.reads += 1
        self.in_flight.set()
        self.release.wait(5)
        return next(self.counter)


def test_a_caller_never_gets_the_answer_of_a_read_already_in_flight():
    head = Head()
    shared = SharedRead(head)
    head.release.clear()
    first: list[int] = []
    early = threading.Thread(target=lambda: first.append(shared()))
    early.start()
    assert head.in_flight.wait(5)  # read 1 is in flight when the late caller arrives
    late: list[int] = []
    arriving = threading.Thread(target=lambda: late.append(shared()))
    arriving.start()
    head.release.set()
    early.join(5)
    arriving.join(5)

    assert first == [1]
    assert late == [2]  # a read of its own, started after it arrived


def test_callers_waiting_together_share_one_read():
    head = Head()
    shared = SharedRead(head)
    head.release.clear()
    threading.Thread(target=shared).start()
    assert head.in_flight.wait(5)
    answers: list[int] = []
    waiters = [threading.Thread(target=lambda: answers.append(shared())) for _ in range(20)]
    for waiter in waiters:
        waiter.start()
    while len(shared._changed._waiters) < 20:  # type: ignore[attr-defined]
        threading.Event().wait(0.001)
    head.release.set()
    for waiter in waiters:
        waiter.join(5)

    assert answers == [2] * 20
    assert head.reads == 2


def test_a_failed_read_raises_to_its_caller_and_the_next_caller_reads_again():
    calls = itertools.count()

    def flaky() -> int:
        if next(calls) == 0:
            raise ConnectionError("database away")
        return 7

    shared = SharedRead(flaky)

    with pytest.raises(ConnectionError):
        shared()
    assert shared() == 7
