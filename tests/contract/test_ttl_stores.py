"""One contract for the TTL-store ports (sessions, attempt counters, carts), run against
both adapters: Redis (server mode), on one server and on a three-node Redis Cluster, and the
SQLite file (embedded mode)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from polyshop.accounts.ports import AttemptCounter, Session, SessionStore
from polyshop.accounts.redis_store import RedisAttemptCounter, RedisSessionStore
from polyshop.accounts.sql_store import SqlAttemptCounter, SqlSessionStore
from polyshop.cart.domain import CartFull, CartLine, QuantityLimit
from polyshop.cart.ports import CartStore, OrderedCart
from polyshop.cart.redis_store import RedisCartStore
from polyshop.cart.sql_store import SqlCartStore
from polyshop.ttlstore.redis_client import RedisKeys, close_redis, create_redis
from polyshop.ttlstore.sql import TtlDatabase, purge_expired

CART_TTL = 3600.0


@dataclass
class Stores:
    sessions: SessionStore
    attempts: AttemptCounter
    carts: CartStore
    short_carts: CartStore  # the same store with a 1-second cart TTL


@pytest.fixture(params=["sqlite", "redis", "redis-cluster"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    if request.param.startswith("redis"):
        cluster = request.param == "redis-cluster"
        url = request.getfixturevalue("redis_cluster_url" if cluster else "redis_url")
        client = create_redis(url, cluster=cluster)
        # The cluster lives for this run only; one server's keys are deleted after the test.
        prefix = f"polyshop-test:{uuid.uuid4().hex[:12]}:" if cluster else None
        keys = RedisKeys(prefix or request.getfixturevalue("redis_prefix"))
        yield Stores(
            RedisSessionStore(client, keys),
            RedisAttemptCounter(client, keys),
            RedisCartStore(client, keys, CART_TTL),
            RedisCartStore(client, keys, 1.0),
        )
        close_redis(client)
    else:
        database = TtlDatabase.open(tmp_path / "ttl.sqlite3")
        yield Stores(
            SqlSessionStore(database),
            SqlAttemptCounter(database),
            SqlCartStore(database, CART_TTL),
            SqlCartStore(database, 1.0),
        )
        database.close()


def line(sku: str = "SKU-1", quantity: int = 1, price: int = 1999, product: str = "p1") -> CartLine:
    return CartLine(sku, product, quantity, price, time.time())


# Sessions ---------------------------------------------------------------------------------


def test_a_session_is_found_by_its_hash_until_revoked(stores: Stores) -> None:
    session = Session("s1", "u1", time.time())
    stores.sessions.put("h1", session, 60)
    assert stores.sessions.get("h1", 60) == session
    assert stores.sessions.get("other", 60) is None
    stores.sessions.revoke("h1")
    assert stores.sessions.get("h1", 60) is None


def test_a_session_expires_unless_used(stores: Stores) -> None:
    stores.sessions.put("idle", Session("s1", None, time.time()), 1.0)
    stores.sessions.put("busy", Session("s2", None, time.time()), 1.0)
    for _ in range(3):  # used every 0.6 s: each use slides the expiry
        time.sleep(0.6)
        assert stores.sessions.get("busy", 1.0) is not None
    assert stores.sessions.get("idle", 1.0) is None


# Attempt counters -------------------------------------------------------------------------


def test_attempts_count_within_a_window_and_reset(stores: Stores) -> None:
    assert stores.attempts.peek("k") == (0, 0.0)
    assert stores.attempts.hit("k", 60)[0] == 1
    count, left = stores.attempts.hit("k", 60)
    assert count == 2
    assert 55 < left <= 60
    assert stores.attempts.peek("k")[0] == 2
    stores.attempts.reset("k")
    assert stores.attempts.peek("k")[0] == 0


def test_undo_takes_back_one_attempt_never_below_zero(stores: Stores) -> None:
    stores.attempts.hit("u", 60)
    stores.attempts.hit("u", 60)
    stores.attempts.undo("u")
    assert stores.attempts.peek("u")[0] == 1
    stores.attempts.undo("u")
    stores.attempts.undo("u")
    stores.attempts.undo("never-hit")
    assert stores.attempts.peek("u")[0] == 0
    assert stores.attempts.hit("u", 60)[0] == 1


def test_parallel_attempts_are_all_counted(stores: Stores) -> None:
    barrier = threading.Barrier(32)
    counts: list[int] = []

    def attempt() -> None:
        barrier.wait()
        counts.append(stores.attempts.hit("burst", 60)[0])

    threads = [threading.Thread(target=attempt) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each saw its own count: a limit of 5 lets exactly 5 through, however parallel.
    assert sorted(counts) == list(range(1, 33))


def test_an_attempt_window_closes_by_itself(stores: Stores) -> None:
    stores.attempts.hit("w", 0.5)
    stores.attempts.hit("w", 0.5)
    time.sleep(0.7)
    assert stores.attempts.peek("w")[0] == 0
    assert stores.attempts.hit("w", 0.5)[0] == 1


# Carts ------------------------------------------------------------------------------------


def test_adding_sums_quantities_and_keeps_the_first_price(stores: Stores) -> None:
    carts = stores.carts
    assert carts.add("guest:a", line(quantity=2, price=1000), 99, 250) == 2
    assert carts.add("guest:a", line(quantity=3, price=1200), 99, 250) == 5
    (only,) = carts.snapshot("guest:a").lines
    assert (only.quantity, only.unit_price_cents, only.product_id) == (5, 1000, "p1")


def test_the_limit_refuses_and_changes_nothing(stores: Stores) -> None:
    carts = stores.carts
    carts.add("guest:b", line(quantity=98), 99, 250)
    with pytest.raises(QuantityLimit) as refused:
        carts.add("guest:b", line(quantity=2), 99, 250)
    assert refused.value.current == 98
    assert carts.snapshot("guest:b").lines[0].quantity == 98


def test_a_full_cart_refuses_a_new_line_but_not_more_of_one_it_has(stores: Stores) -> None:
    carts = stores.carts
    carts.add("guest:full", line("A"), 99, 2)
    carts.add("guest:full", line("B"), 99, 2)
    with pytest.raises(CartFull) as refused:
        carts.add("guest:full", line("C"), 99, 2)
    assert refused.value.max_lines == 2
    assert carts.add("guest:full", line("A", 2), 99, 2) == 3
    assert sorted(entry.sku for entry in carts.snapshot("guest:full").lines) == ["A", "B"]


def test_parallel_new_lines_never_pass_the_line_limit(stores: Stores) -> None:
    barrier = threading.Barrier(12)
    added: list[str] = []

    def add(sku: str) -> None:
        barrier.wait()
        try:
            stores.carts.add("guest:race", line(sku), 99, 5)
            added.append(sku)
        except CartFull:
            pass

    threads = [threading.Thread(target=add, args=(f"SKU-{i}",)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(added) == 5
    assert sorted(e.sku for e in stores.carts.snapshot("guest:race").lines) == sorted(added)


def test_a_cart_keeps_its_id_while_it_changes(stores: Stores) -> None:
    carts = stores.carts
    assert carts.snapshot("user:id").cart_id == ""
    carts.add("user:id", line("A"), 99, 250)
    first = carts.snapshot("user:id").cart_id
    assert first
    carts.add("user:id", line("B", 2), 99, 250)
    carts.set_quantity("user:id", "A", 5)
    carts.remove("user:id", "B")
    carts.put("user:id", [line("C")])
    assert carts.snapshot("user:id").cart_id == first
    carts.add("user:other", line("A"), 99, 250)
    assert carts.snapshot("user:other").cart_id != first


def test_consuming_an_ordered_cart_takes_out_what_was_ordered_once(stores: Stores) -> None:
    carts = stores.carts
    carts.add("user:o", line("A", 2), 99, 250)
    carts.add("user:o", line("B", 1), 99, 250)
    ordered = carts.snapshot("user:o")
    # Added after the order was placed, before its cart was consumed: these stay.
    carts.add("user:o", line("A", 3), 99, 250)
    carts.add("user:o", line("C", 1), 99, 250)
    consumed = OrderedCart("user:o", ordered.cart_id, {"A": 2, "B": 1})
    carts.consume([consumed])
    after = carts.snapshot("user:o")
    assert {entry.sku: entry.quantity for entry in after.lines} == {"A": 3, "C": 1}
    assert after.cart_id not in ("", ordered.cart_id)
    carts.consume([consumed])  # a replay (the log's, after a crash) changes nothing
    again = carts.snapshot("user:o")
    assert {entry.sku: entry.quantity for entry in again.lines} == {"A": 3, "C": 1}
    assert again.cart_id == after.cart_id


def test_consuming_carts_as_ordered_empties_them(stores: Stores) -> None:
    carts = stores.carts
    ordered = []
    for owner in ("user:p", "user:q"):
        carts.add(owner, line("A", 2), 99, 250)
        snapshot = carts.snapshot(owner)
        ordered.append(OrderedCart(owner, snapshot.cart_id, {"A": 2}))
    carts.consume(ordered)
    for owner in ("user:p", "user:q"):
        assert carts.snapshot(owner).lines == []
        assert carts.snapshot(owner).cart_id == ""
    carts.add("user:p", line("B"), 99, 250)
    assert carts.snapshot("user:p").cart_id not in ("", ordered[0].cart_id)


def test_set_remove_and_clear(stores: Stores) -> None:
    carts = stores.carts
    carts.add("user:c", line("A"), 99, 250)
    carts.add("user:c", line("B"), 99, 250)
    assert carts.set_quantity("user:c", "A", 7)
    assert not carts.set_quantity("user:c", "MISSING", 7)
    assert carts.remove("user:c", "B")
    assert not carts.remove("user:c", "B")
    assert [(entry.sku, entry.quantity) for entry in carts.snapshot("user:c").lines] == [("A", 7)]
    carts.clear("user:c")
    assert carts.snapshot("user:c").lines == []


def test_carts_of_different_owners_are_apart(stores: Stores) -> None:
    stores.carts.add("user:1", line("A"), 99, 250)
    stores.carts.add("user:2", line("B"), 99, 250)
    assert [entry.sku for entry in stores.carts.snapshot("user:1").lines] == ["A"]
    stores.carts.clear("user:2")
    assert [entry.sku for entry in stores.carts.snapshot("user:1").lines] == ["A"]


def test_many_carts_are_emptied_at_once_and_no_other(stores: Stores) -> None:
    carts = stores.carts
    for owner in ("user:x", "user:y", "user:z"):
        carts.add(owner, line("A"), 99, 250)
    before = {owner: carts.snapshot(owner).revision for owner in ("user:x", "user:y")}

    carts.clear("user:x", "user:y")

    for owner in ("user:x", "user:y"):
        emptied = carts.snapshot(owner)
        assert emptied.lines == []
        assert emptied.revision > before[owner]  # a view priced before cannot be served
    assert [entry.sku for entry in carts.snapshot("user:z").lines] == ["A"]


def test_put_replaces_whole_lines(stores: Stores) -> None:
    carts = stores.carts
    carts.add("user:d", line("A", 2), 99, 250)
    carts.put("user:d", [line("A", 5, product="p1"), line("B", 1, product="p2")])
    assert sorted((e.sku, e.quantity) for e in carts.snapshot("user:d").lines) == [
        ("A", 5),
        ("B", 1),
    ]


def test_every_change_moves_the_revision(stores: Stores) -> None:
    carts = stores.carts
    revisions = [carts.snapshot("user:e").revision]
    carts.add("user:e", line("A"), 99, 250)
    revisions.append(carts.snapshot("user:e").revision)
    carts.set_quantity("user:e", "A", 3)
    revisions.append(carts.snapshot("user:e").revision)
    carts.put("user:e", [line("B")])
    revisions.append(carts.snapshot("user:e").revision)
    carts.remove("user:e", "B")
    revisions.append(carts.snapshot("user:e").revision)
    assert revisions == sorted(set(revisions)), revisions


def test_a_cached_view_is_served_only_for_the_revision_it_was_priced_from(stores: Stores) -> None:
    carts = stores.carts
    carts.add("user:f", line("A"), 99, 250)
    revision = carts.snapshot("user:f").revision
    carts.cache_view("user:f", b'{"total": 19.99}', revision, 30)
    assert carts.cached_view("user:f") == b'{"total": 19.99}'
    carts.add("user:f", line("A"), 99, 250)
    assert carts.cached_view("user:f") is None
    # A slow reader priced the old revision and writes its view after the change: void.
    carts.cache_view("user:f", b'{"total": 19.99}', revision, 30)
    assert carts.cached_view("user:f") is None


def test_a_catalog_change_voids_the_views_of_carts_holding_the_product(stores: Stores) -> None:
    carts = stores.carts
    carts.add("user:g", line("A", product="changed"), 99, 250)
    carts.add("user:h", line("B", product="other"), 99, 250)
    for owner in ("user:g", "user:h"):
        carts.cache_view(owner, b"{}", carts.snapshot(owner).revision, 30)
    revision = carts.snapshot("user:g").revision
    carts.drop_views_for(["changed"])
    assert carts.cached_view("user:g") is None
    assert carts.cached_view("user:h") == b"{}"
    carts.cache_view("user:g", b"{}", revision, 30)  # priced before the change
    assert carts.cached_view("user:g") is None


def test_cached_views_expire(stores: Stores) -> None:
    carts = stores.carts
    carts.add("user:i", line("A"), 99, 250)
    carts.cache_view("user:i", b"{}", carts.snapshot("user:i").revision, 0.3)
    time.sleep(0.5)
    assert carts.cached_view("user:i") is None


def test_an_abandoned_cart_expires_and_a_touched_one_lives_on(stores: Stores) -> None:
    carts = stores.short_carts
    carts.add("guest:abandoned", line("A", 2), 99, 250)
    old_id = carts.snapshot("guest:abandoned").cart_id
    carts.add("guest:active", line("A"), 99, 250)
    for _ in range(3):  # a write every 0.6 s refreshes the 1 s TTL
        time.sleep(0.6)
        carts.add("guest:active", line("A"), 99, 250)
    assert carts.snapshot("guest:abandoned").lines == []
    assert carts.snapshot("guest:active").lines[0].quantity == 4
    # Adding to an expired cart starts a new one, without the old lines or the old id.
    carts.add("guest:abandoned", line("B"), 99, 250)
    assert [entry.sku for entry in carts.snapshot("guest:abandoned").lines] == ["B"]
    assert carts.snapshot("guest:abandoned").cart_id != old_id


def test_the_embedded_sweeper_deletes_expired_rows(tmp_path: Path) -> None:
    database = TtlDatabase.open(tmp_path / "ttl.sqlite3")
    try:
        SqlCartStore(database, 0.1).add("guest:x", line(), 99, 250)
        SqlSessionStore(database).put("h", Session("s", None, time.time()), 0.1)
        time.sleep(0.2)
        assert purge_expired(database) >= 2
        with database.reader.connect() as connection:
            rows = connection.exec_driver_sql("SELECT count(*) FROM ttl_cart_lines").scalar()
        assert rows == 0
    finally:
        database.close()


def test_concurrent_adds_from_many_tabs_all_count(stores: Stores) -> None:
    carts = stores.carts
    barrier = threading.Barrier(16)
    refused: list[int] = []

    def add() -> None:
        barrier.wait()
        for _ in range(8):
            try:
                carts.add("user:tabs", line("A"), 99, 250)
            except QuantityLimit as exc:
                refused.append(exc.current)

    threads = [threading.Thread(target=add) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 128 adds of one unit against a limit of 99: exactly 99 land, 29 are refused at 99.
    assert carts.snapshot("user:tabs").lines[0].quantity == 99
    assert refused == [99] * 29


def test_a_view_of_an_expired_cart_is_never_served_for_the_next_one(stores: Stores) -> None:
    carts = stores.short_carts
    carts.add("guest:again", line("A"), 99, 250)
    first = carts.snapshot("guest:again").revision
    carts.cache_view("guest:again", b'{"stale": true}', first, 30)  # outlives the cart
    time.sleep(1.3)
    carts.add("guest:again", line("B"), 99, 250)
    assert carts.snapshot("guest:again").revision > first
    assert carts.cached_view("guest:again") is None
