"""Admission to checkout's transaction path, with real threads: a bounded number of buyers
per SKU at once, first come first served, waiters sent to screening when the SKU runs short,
and no wait longer than its bound."""

from __future__ import annotations

import threading
import time

from polyshop.inventory.stock import StockLevel
from polyshop.orders.admission import Admission, Ticket


def level(sku: str, available: int, version: int) -> StockLevel:
    return StockLevel(sku, available, 0, version)


def test_at_most_per_sku_buyers_of_a_sku_are_in_at_once():
    admission = Admission(3)
    tickets = [admission.enter({"A": 1}, admission.deadline()) for _ in range(3)]
    assert all(isinstance(t, Ticket) for t in tickets)
    assert admission.in_flight("A") == 3
    entered: list[object] = []
    waiter = threading.Thread(
        target=lambda: entered.append(admission.enter({"A": 1}, admission.deadline()))
    )
    waiter.start()
    time.sleep(0.2)
    assert entered == []  # waiting for a place
    other = admission.enter({"B": 1}, admission.deadline())  # another SKU is not held up
    assert isinstance(other, Ticket)
    tickets[0].leave()  # type: ignore[union-attr]
    waiter.join(2)
    assert isinstance(entered[0], Ticket)
    assert admission.in_flight("A") == 3


def test_buyers_get_in_no_further_than_the_units_known_available():
    admission = Admission(64)
    admission.learn([level("A", 2, version=5)])
    first, second = (
        admission.enter({"A": 1}, admission.deadline()),
        admission.enter({"A": 1}, admission.deadline()),
    )
    assert isinstance(first, Ticket)
    assert isinstance(second, Ticket)
    answers: list[object] = []
    waiter = threading.Thread(
        target=lambda: answers.append(admission.enter({"A": 1}, admission.deadline()))
    )
    waiter.start()
    time.sleep(0.2)
    assert answers == []  # two units, both in flight
    # Both sold: the batch's locked rows say none are left; the waiter is told to screen.
    admission.learn([level("A", 0, version=7)])
    waiter.join(2)
    assert answers == [["A"]]
    assert admission.short({"A": 1}) == ["A"]


def test_an_older_version_never_overwrites_a_newer_one():
    admission = Admission(4)
    admission.learn([level("A", 0, version=9)])
    admission.learn([level("A", 50, version=8)])  # a screening read that lost the race
    assert admission.short({"A": 1}) == ["A"]
    admission.learn([level("A", 50, version=10)])  # a restock, seen
    assert admission.short({"A": 1}) == []


def test_waiters_of_a_sku_get_in_in_the_order_they_came():
    admission = Admission(1)
    held = admission.enter({"A": 1}, admission.deadline())
    assert isinstance(held, Ticket)
    order: list[int] = []
    lock = threading.Lock()

    def buyer(n: int) -> None:
        ticket = admission.enter({"A": 1}, admission.deadline())
        assert isinstance(ticket, Ticket)
        with lock:
            order.append(n)
        time.sleep(0.01)
        ticket.leave()

    threads = []
    for n in range(6):
        thread = threading.Thread(target=buyer, args=(n,))
        thread.start()
        threads.append(thread)
        time.sleep(0.05)  # each one queued before the next comes
    held.leave()
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4, 5]


def test_a_wait_is_bounded_whatever_holds_the_places():
    admission = Admission(1, max_wait=0.3)
    admission.enter({"A": 1}, admission.deadline())  # never leaves
    started = time.monotonic()
    late = admission.enter({"A": 1}, admission.deadline())
    assert isinstance(late, Ticket)  # the transaction decides for it
    assert 0.25 < time.monotonic() - started < 2


def test_take_ignores_what_the_sku_is_believed_to_have():
    admission = Admission(2)
    admission.learn([level("A", 0, version=3)])
    assert admission.enter({"A": 1}, admission.deadline()) == ["A"]
    ticket = admission.take({"A": 1}, admission.deadline())
    assert admission.in_flight("A") == 1
    with ticket:
        pass
    assert admission.in_flight("A") == 0
