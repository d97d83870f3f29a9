"""Inventory on both databases, with real concurrency: no oversell, no deadlock, all or nothing."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from polyshop.container import Container
from polyshop.eventstore.events import NewEvent
from polyshop.inventory import stock

LATER = datetime.now(UTC) + timedelta(minutes=15)


def stocked(container: Container, **levels: int) -> None:
    with container.machinery.store.unit_of_work() as uow:
        stock.initialize(uow, levels)


def level(container: Container, sku: str) -> stock.StockLevel:
    with container.machinery.store.read_engine.connect() as connection:
        found = stock.get_stock(connection, sku)
    assert found is not None
    return found


def race(n: int, work) -> Counter:
    barrier = threading.Barrier(n)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        result = work(i)
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_fifty_reservers_race_for_ten_units_and_exactly_ten_win(container: Container):
    stocked(container, HOT=10)

    def buy(i: int) -> str:
        try:
            with container.machinery.store.unit_of_work() as uow:
                stock.reserve(uow, f"order-{i}", {"HOT": 1}, LATER)
        except stock.InsufficientStock as exc:
            return f"short of {','.join(exc.skus)}"
        return "reserved"

    outcomes = race(50, buy)

    assert outcomes == Counter({"reserved": 10, "short of HOT": 40})
    assert level(container, "HOT") == stock.StockLevel("HOT", on_hand=10, reserved=10)
    assert level(container, "HOT").available == 0
    reserved_events = [
        e
        for e in container.machinery.store.read_stream("inventory-HOT")
        if e.type == stock.STOCK_RESERVED
    ]
    assert len(reserved_events) == 10
    assert sorted(e.data["available"] for e in reserved_events) == list(range(10))


def test_overlapping_carts_in_opposite_order_never_deadlock(container: Container):
    stocked(container, A=30, B=30)

    def buy(i: int) -> str:
        lines = {"A": 1, "B": 2} if i % 2 else {"B": 1, "A": 2}
        try:
            with container.machinery.store.unit_of_work() as uow:
                stock.reserve(uow, f"o{i}", lines, LATER)
        except stock.InsufficientStock:
            return "short"
        return "reserved"

    outcomes = race(24, buy)

    a, b = level(container, "A"), level(container, "B")
    assert sum(outcomes.values()) == 24
    assert a.reserved <= 30
    assert b.reserved <= 30
    assert a.reserved + b.reserved == 3 * outcomes["reserved"]


def test_a_short_line_reserves_nothing_and_names_every_short_sku(container: Container):
    stocked(container, A=5, B=1, C=0)

    with (
        pytest.raises(stock.InsufficientStock) as raised,
        container.machinery.store.unit_of_work() as uow,
    ):
        stock.reserve(uow, "o1", {"A": 2, "B": 3, "C": 1}, LATER)

    assert raised.value.skus == ["B", "C"]
    assert level(container, "A").reserved == 0
    assert level(container, "B").reserved == 0
    assert [e.type for e in container.machinery.store.read_stream("inventory-A")] == [
        stock.STOCK_ADJUSTED
    ]


def test_commit_takes_units_and_release_returns_them(container: Container):
    stocked(container, A=5, B=5)
    with container.machinery.store.unit_of_work() as uow:
        stock.reserve(uow, "paid", {"A": 2}, LATER)
        stock.reserve(uow, "cancelled", {"A": 1, "B": 4}, LATER)

    with container.machinery.store.unit_of_work() as uow:
        stock.commit(uow, "paid")
        stock.release(uow, "cancelled")

    assert level(container, "A") == stock.StockLevel("A", on_hand=3, reserved=0)
    assert level(container, "B") == stock.StockLevel("B", on_hand=5, reserved=0)
    last = container.machinery.store.read_stream("inventory-B")[-1]
    assert (last.type, last.data["available"], last.data["holder"]) == (
        stock.RESERVATION_RELEASED,
        5,
        "cancelled",
    )


def test_expired_reservations_are_found_for_release(container: Container):
    stocked(container, A=5)
    past = datetime.now(UTC) - timedelta(seconds=1)
    with container.machinery.store.unit_of_work() as uow:
        stock.reserve(uow, "stale", {"A": 1}, past)
        stock.reserve(uow, "fresh", {"A": 1}, LATER)

    with container.machinery.store.read_engine.connect() as connection:
        assert stock.expired_holders(connection, datetime.now(UTC)) == ["stale"]


def test_adjustments_never_go_below_reserved_and_are_audited(container: Container):
    stocked(container, A=5)
    with container.machinery.store.unit_of_work() as uow:
        stock.reserve(uow, "o", {"A": 3}, LATER)

    with pytest.raises(stock.InvalidAdjustment), container.machinery.store.unit_of_work() as uow:
        stock.adjust(uow, "A", -3, "shrinkage")
    with pytest.raises(stock.UnknownSku), container.machinery.store.unit_of_work() as uow:
        stock.adjust(uow, "NOPE", 1, "delivery")
    with container.machinery.store.unit_of_work() as uow:
        after = stock.adjust(uow, "A", -2, "damaged in transit")

    assert after == stock.StockLevel("A", on_hand=3, reserved=3)
    audit = [
        e.data
        for e in container.machinery.store.read_stream("inventory-A")
        if e.type == stock.STOCK_ADJUSTED
    ]
    assert [(a["delta"], a["reason"], a["on_hand"]) for a in audit] == [
        (5, "initial stock", 5),
        (-2, "damaged in transit", 3),
    ]


def test_adjustments_written_before_returns_were_marked_read_as_marked(container: Container):
    legacy = [
        NewEvent(stock.STOCK_ADJUSTED, {"sku": "OLD", "delta": 2, "reason": reason}, 1)
        for reason in ("order 42 OrderCancelled", "order 42 OrderRefunded", "found two")
    ]
    with container.machinery.store.unit_of_work() as uow:
        uow.append("inventory-OLD", stock.STREAM_TYPE, legacy)
    with container.machinery.store.unit_of_work() as uow:
        stock.initialize(uow, {"NEW": 1})
        stock.adjust(uow, "NEW", 1, "order 7 OrderCancelled", returned=True)

    old = [e.data["returned"] for e in container.machinery.store.read_stream("inventory-OLD")]
    new = container.machinery.store.read_stream("inventory-NEW")
    assert old == [True, True, False]
    assert [(e.schema_version, e.data["returned"]) for e in new] == [(2, False), (2, True)]


def test_many_holds_at_once_are_granted_first_come_first_served(container: Container):
    stocked(container, A=5, B=2)
    holds = [
        stock.Hold("first", {"A": 3, "B": 1}),
        stock.Hold("too-many", {"A": 3}),  # 2 left of A: refused, changes nothing
        stock.Hold("second", {"A": 2, "B": 1}),
        stock.Hold("late", {"B": 1, "NOPE": 1}),  # B is gone, and NOPE has no stock
    ]

    with container.machinery.store.unit_of_work() as uow:
        booked = stock.reserve_many(uow, holds, LATER)

    assert booked.refused == {"too-many": ["A"], "late": ["B", "NOPE"]}
    assert level(container, "A") == stock.StockLevel("A", on_hand=5, reserved=5)
    assert level(container, "B") == stock.StockLevel("B", on_hand=2, reserved=2)
    reserved = [
        (e.version, e.data["holder"], e.data["available"])
        for e in container.machinery.store.read_stream("inventory-A")
        if e.type == stock.STOCK_RESERVED
    ]
    assert reserved == [(2, "first", 2), (3, "second", 0)]  # one version after another
    with container.machinery.store.read_engine.connect() as connection:
        assert sorted(stock.expired_holders(connection, LATER + timedelta(seconds=1))) == [
            "first",
            "second",
        ]
    with container.machinery.store.unit_of_work() as uow:  # the row kept its stream's version
        stock.release(uow, "first")
    assert [e.version for e in container.machinery.store.read_stream("inventory-A")] == [1, 2, 3, 4]
