"""PostgreSQL-only interleavings of the tailing horizon, forced step by step.

SQLite serialises writers, so these orders cannot arise there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg
from sqlalchemy import text

from polyshop.container import Container
from polyshop.eventstore.events import NewEvent
from polyshop.eventstore.notify import InProcessNotifier
from polyshop.eventstore.postgres import PostgresEventStore


def test_an_older_transaction_committing_a_later_position_does_not_skip_an_earlier_one(
    container_for: Callable[..., Container],
):
    """C takes its id first, A takes a newer id and draws p, C draws q > p and commits.

    C's commit makes the snapshot's xmax c+1, which is not above A's id: A is in neither xip
    nor below xmax. A horizon built on xmax would declare q final and skip p for ever.
    """
    # A store without the LISTEN/NOTIFY notifier: its NOTIFY transactions take ids of their
    # own and would make the race below harmless by chance.
    migrated = container_for("postgres").machinery.store
    store = PostgresEventStore(migrated.write_engine, migrated.read_engine, InProcessNotifier())
    store.append("before", "t", [NewEvent("A", {})])
    start = store.head()
    c_has_xid, a_has_drawn, c_done, release_a = (threading.Event() for _ in range(4))
    positions: dict[str, int] = {}

    def transaction_c() -> None:
        with store.unit_of_work() as uow:
            uow.connection.execute(text("SELECT pg_current_xact_id()"))
            c_has_xid.set()
            assert a_has_drawn.wait(10)
            positions["q"] = uow.append("c", "t", [NewEvent("Q", {})]).position
        c_done.set()

    def transaction_a() -> None:
        assert c_has_xid.wait(10)
        with store.unit_of_work() as uow:
            positions["p"] = uow.append("a", "t", [NewEvent("P", {})]).position
            a_has_drawn.set()
            assert release_a.wait(10)

    threads = [threading.Thread(target=transaction_c), threading.Thread(target=transaction_a)]
    for t in threads:
        t.start()
    assert c_done.wait(10)
    seen_while_a_open = [e.position for e in store.read_all(after=start)]
    release_a.set()
    for t in threads:
        t.join()
    deadline = time.monotonic() + 5
    while len(seen := [e.position for e in store.read_all(after=start)]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)

    assert positions["p"] < positions["q"]
    assert seen_while_a_open == []
    assert seen == [positions["p"], positions["q"]]


def test_an_unrelated_long_transaction_does_not_hold_back_the_tail(
    container_for: Callable[..., Container], postgres_url: str
):
    """Only appenders in flight matter; an open transaction elsewhere (a report, an ANALYZE)
    must not delay readers."""
    store = container_for("postgres").machinery.store
    with psycopg.connect(postgres_url) as bystander:
        bystander.execute("SELECT pg_current_xact_id()")  # open, with an id, for the whole test
        written = store.append("s", "t", [NewEvent("A", {})]).position

        deadline = time.monotonic() + 2
        while not store.read_all(after=0):
            assert time.monotonic() < deadline, "an unrelated transaction held the tail back"
            time.sleep(0.01)
        bystander.rollback()

    assert [e.position for e in store.read_all(after=0)] == [written]
