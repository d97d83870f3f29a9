"""The EventStore contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from polyshop.catalog.documents import CATALOG_EVENTS, STOCK_EVENTS
from polyshop.container import Container
from polyshop.demo import seeding
from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.eventstore.events import EventMetadata, NewEvent, StreamAppend
from polyshop.eventstore.ports import NO_STREAM
from polyshop.runtime import correlation


def events(*types: str) -> list[NewEvent]:
    return [NewEvent(t, {"n": i}) for i, t in enumerate(types)]


def test_appended_events_read_back_in_version_order_with_their_metadata(container: Container):
    store = container.machinery.store
    meta = EventMetadata(
        correlation_id="req-1", causation_id="cmd-1", actor="user-7", idempotency_key="key-1"
    )

    result = store.append("order-1", "order", events("OrderPlaced", "OrderPaid"), NO_STREAM, meta)

    read = store.read_stream("order-1")
    assert [e.type for e in read] == ["OrderPlaced", "OrderPaid"]
    assert [e.version for e in read] == [1, 2]
    assert [e.position for e in read] == list(result.positions)
    assert result.positions[0] < result.positions[1]
    assert result.version == 2
    assert read[0].stream_type == "order"
    assert read[0].data == {"n": 0}
    assert read[0].metadata == meta
    assert read[0].recorded_at.tzinfo is not None
    assert abs((datetime.now(UTC) - read[0].recorded_at).total_seconds()) < 60
    assert store.stream_version("order-1") == 2
    assert store.stream_version("nope") == 0


def test_ambient_correlation_and_actor_land_in_metadata(container: Container):
    token_c = correlation.correlation_id.set("request-abc")
    token_a = correlation.actor.set("admin@example.com")
    try:
        container.machinery.store.append("s", "t", events("Happened"))
    finally:
        correlation.correlation_id.reset(token_c)
        correlation.actor.reset(token_a)

    (event,) = container.machinery.store.read_stream("s")
    assert event.metadata.correlation_id == "request-abc"
    assert event.metadata.actor == "admin@example.com"


def test_wrong_expected_version_raises_conflict_and_writes_nothing(container: Container):
    store = container.machinery.store
    store.append("s", "t", events("A", "B"), NO_STREAM)
    head = store.head()

    with pytest.raises(ConcurrencyConflict) as raised:
        store.append("s", "t", events("C"), expected_version=1)
    with pytest.raises(ConcurrencyConflict):
        store.append("s", "t", events("C"), expected_version=5)
    with pytest.raises(ConcurrencyConflict):
        store.append("s", "t", events("C"), expected_version=NO_STREAM)

    assert raised.value.actual == 2
    assert store.stream_version("s") == 2
    assert store.head() == head


def test_concurrent_appends_at_one_version_let_exactly_one_win(container: Container):
    store = container.machinery.store
    store.append("hot", "t", events("Created"), NO_STREAM)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def contender(i: int) -> None:
        barrier.wait()
        try:
            store.append("hot", "t", [NewEvent("Changed", {"by": i})], expected_version=1)
            outcome = "won"
        except ConcurrencyConflict:
            outcome = "conflict"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=contender, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]
    assert [e.version for e in store.read_stream("hot")] == [1, 2]


def test_a_failed_unit_of_work_leaves_neither_state_nor_events(container: Container):
    store = container.machinery.store
    with store.write_engine.begin() as connection:
        connection.execute(text("CREATE TABLE stock (sku TEXT PRIMARY KEY, qty INTEGER)"))
        connection.execute(text("INSERT INTO stock VALUES ('A', 5)"))
    committed: list[str] = []

    def command_that_changes_its_mind() -> None:
        with store.unit_of_work() as uow:
            uow.connection.execute(text("UPDATE stock SET qty = qty - 1 WHERE sku = 'A'"))
            uow.append("stock-A", "stock", events("StockReserved"))
            uow.after_commit(lambda: committed.append("yes"))
            raise RuntimeError("the command changed its mind")

    with pytest.raises(RuntimeError):
        command_that_changes_its_mind()

    with store.read_engine.connect() as connection:
        assert connection.execute(text("SELECT qty FROM stock")).scalar_one() == 5
    assert store.read_stream("stock-A") == []
    assert committed == []

    with store.unit_of_work() as uow:
        uow.connection.execute(text("UPDATE stock SET qty = qty - 1 WHERE sku = 'A'"))
        written = uow.append("stock-A", "stock", events("StockReserved"))
        uow.after_commit(lambda: committed.append("yes"))
    assert uow.position == written.position
    assert committed == ["yes"]
    with store.read_engine.connect() as connection:
        assert connection.execute(text("SELECT qty FROM stock")).scalar_one() == 4


def test_read_stream_up_to_a_version_or_a_time(container: Container):
    store = container.machinery.store
    store.append("s", "t", events("A"))
    first_at = store.read_stream("s")[0].recorded_at
    time.sleep(0.05)
    store.append("s", "t", events("B"))
    time.sleep(0.05)
    store.append("s", "t", events("C"))

    assert [e.type for e in store.read_stream("s", to_version=2)] == ["A", "B"]
    assert [e.type for e in store.read_stream("s", as_of=first_at)] == ["A"]
    assert [e.type for e in store.read_stream("s", as_of=datetime.now(UTC))] == ["A", "B", "C"]
    assert store.read_stream("s", as_of=datetime(2000, 1, 1, tzinfo=UTC)) == []


def test_read_stream_backwards_pages_a_stream_newest_first(container: Container):
    store = container.machinery.store
    store.append("s", "t", events("A", "B", "C", "D", "E"))
    store.append("other", "t", events("X"))

    newest = store.read_stream_backwards("s", limit=2)
    older = store.read_stream_backwards("s", before_version=newest[-1].version, limit=2)
    oldest = store.read_stream_backwards("s", before_version=older[-1].version, limit=2)

    assert [e.type for e in newest] == ["E", "D"]
    assert [e.type for e in older] == ["C", "B"]
    assert [e.type for e in oldest] == ["A"]
    assert store.read_stream_backwards("none") == []


def test_read_all_pages_through_the_whole_log_in_position_order(container: Container):
    store = container.machinery.store
    for i in range(25):
        store.append(f"s-{i % 4}", "t", [NewEvent("E", {"i": i})])

    seen, position = [], 0
    while batch := store.read_all(after=position, limit=7):
        assert len(batch) <= 7
        seen.extend(batch)
        position = batch[-1].position

    assert [e.data["i"] for e in seen] == list(range(25))
    assert [e.position for e in seen] == sorted(e.position for e in seen)
    assert store.read_all(after=seen[10].position, limit=3)[0].data["i"] == 11


def test_upcasters_bring_old_events_to_the_current_shape(container: Container):
    store = container.machinery.store
    store.append("p", "product", [NewEvent("PriceChanged", {"price": "9.99"}, schema_version=1)])

    @store.upcasters.register("PriceChanged", 1)
    def _v1_to_v2(data: dict) -> dict:
        return {"amount": data["price"], "currency": "EUR"}

    @store.upcasters.register("PriceChanged", 2)
    def _v2_to_v3(data: dict) -> dict:
        return {**data, "reason": None}

    (event,) = store.read_stream("p")
    assert event.schema_version == 3
    assert event.data == {"amount": "9.99", "currency": "EUR", "reason": None}
    assert store.read_all()[0].data == event.data
    assert store.upcasters.current_version("PriceChanged") == 3


def test_an_open_transaction_holds_back_the_tail_until_it_commits(container: Container):
    """A later append that commits first must not be read before the earlier one commits."""
    store = container.machinery.store
    store.append("before", "t", events("A"))
    start = store.head()
    in_flight = threading.Event()
    release = threading.Event()
    slow_position: list[int] = []

    def slow_writer() -> None:
        with store.unit_of_work() as uow:
            slow_position.append(uow.append("slow", "t", events("Slow")).position)
            in_flight.set()
            release.wait(10)

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert in_flight.wait(10)
    if container.settings.mode.value == "embedded":
        # SQLite has one writer: the later append simply queues behind the open one.
        release.set()
    fast = store.append("fast", "t", events("Fast"))
    tail_while_open = store.read_all(after=start)
    release.set()
    writer.join()

    assert fast.position > slow_position[0]
    assert [e.stream_id for e in tail_while_open] in ([], ["slow", "fast"])
    deadline = time.monotonic() + 5
    while len(tail := store.read_all(after=start)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [e.stream_id for e in tail] == ["slow", "fast"]


def test_tailing_concurrent_writers_sees_every_event_once_in_order(container: Container):
    store = container.machinery.store
    writers, per_writer = 16, 30
    done = threading.Event()
    written: list[int] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        rng = random.Random(w)
        for i in range(per_writer):
            with store.unit_of_work() as uow:
                result = uow.append(f"w{w}-{i % 3}", "t", [NewEvent("E", {"w": w, "i": i})])
                time.sleep(rng.uniform(0, 0.008))  # commit late, after drawing a position
            with lock:
                written.append(result.position)

    seen: list[int] = []

    def tailer() -> None:
        position = 0
        while True:
            finished = done.is_set()
            batch = store.read_all(after=position, limit=50)
            seen.extend(e.position for e in batch)
            if batch:
                position = batch[-1].position
            elif finished:
                return
            else:
                time.sleep(0.001)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    tail = threading.Thread(target=tailer)
    tail.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Settle: the head may trail the last commit by one horizon step.
    deadline = time.monotonic() + 5
    while store.head() < max(written) and time.monotonic() < deadline:
        time.sleep(0.01)
    done.set()
    tail.join(30)

    assert len(written) == writers * per_writer
    assert seen == sorted(written)


def test_append_many_appends_to_many_streams_at_known_versions_at_once(container: Container):
    store = container.machinery.store
    with store.unit_of_work() as uow:
        positions = uow.append_many(
            [
                StreamAppend("a", "t", events("A1", "A2")),
                StreamAppend("b", "t", events("B1")),
                StreamAppend("a", "t", events("A3"), after_version=2),
                StreamAppend("c", "t", events("C1"), metadata=EventMetadata(actor="importer")),
            ]
        )

    assert positions == sorted(positions)
    assert [(e.stream_id, e.version, e.type) for e in store.read_all()] == [
        ("a", 1, "A1"),
        ("a", 2, "A2"),
        ("b", 1, "B1"),
        ("a", 3, "A3"),
        ("c", 1, "C1"),
    ]
    assert store.read_stream("c")[0].metadata.actor == "importer"
    with pytest.raises(ConcurrencyConflict), store.unit_of_work() as uow:
        uow.append_many(
            [StreamAppend("d", "t", events("D1")), StreamAppend("b", "t", events("B1"))]
        )
    assert store.stream_version("d") == 0  # all or nothing
    with pytest.raises(ConcurrencyConflict), store.unit_of_work() as uow:
        uow.append_many([StreamAppend("a", "t", events("A3 again"), after_version=2)])
    assert store.stream_version("a") == 3


def test_after_a_seed_the_log_is_read_along_its_key_not_sorted(container: Container):
    # A rebuild asks for the next 1,000 events of some types after a position. A planner
    # that believes the freshly seeded log empty sorts all the rest of it for each batch
    # (a product-documents rebuild of half an hour at 1,000,000 products on PostgreSQL).
    seeding.seed(container.machinery.store, 1000)
    types = sorted(CATALOG_EVENTS | STOCK_EVENTS)
    placeholders = ", ".join(f":t{i}" for i in range(len(types)))
    query = (
        "SELECT position FROM events WHERE position > :after AND position <= :up_to"
        f" AND type IN ({placeholders}) ORDER BY position LIMIT 1000"
    )
    params = {"after": 100, "up_to": container.machinery.store.head()} | {
        f"t{i}": t for i, t in enumerate(types)
    }
    postgres = container.machinery.store.read_engine.dialect.name == "postgresql"
    explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
    with container.machinery.store.read_engine.connect() as connection:
        plan = " ".join(str(row[-1]) for row in connection.execute(text(explain + query), params))
    assert ("Sort" not in plan) if postgres else ("TEMP B-TREE" not in plan), plan
