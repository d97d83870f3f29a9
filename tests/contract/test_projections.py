"""The projection runner against both databases: checkpoints, failure, rebuild, leases, lag."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, inspect, select, text

from polyshop.bootstrap import rebuild_in_a_process
from polyshop.catalog import commands
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.container import Container
from polyshop.eventstore.events import NewEvent, RecordedEvent
from polyshop.eventstore.projections.runner import ProjectionFailed, ProjectionRunner
from polyshop.eventstore.projections.sql_tables import AFTER_BULK, SqlTableProjection
from polyshop.eventstore.stream_summaries import StreamSummaryProjection, list_stream_summaries
from polyshop.search.ports import SearchQuery
from polyshop.search.tantivy_index import TantivySearchProjection


class Tally(SqlTableProjection):
    """Counts events per type; fails on `Poison` when told to, sleeps when told to."""

    name = "tally"

    def __init__(self, *, poison: bool = False, delay: float = 0.0) -> None:
        super().__init__()
        self.poison = poison
        self.delay = delay
        self.batches = 0

    def define_tables(self, metadata: MetaData, suffix: str) -> list[Table]:
        return [
            Table(
                f"{self.name}{suffix}",
                metadata,
                Column("type", String(50), primary_key=True),
                Column("n", Integer, nullable=False),
            )
        ]

    def apply(self, events: Sequence[RecordedEvent], generation: int, connection: Any) -> None:
        self.batches += 1
        time.sleep(self.delay)
        t = self.tables(generation)[self.name]
        for event in events:
            if self.poison and event.type == "Poison":
                raise ValueError(f"cannot digest event {event.position}")
            updated = connection.execute(
                t.update().where(t.c.type == event.type).values(n=t.c.n + 1)
            ).rowcount
            if not updated:
                connection.execute(t.insert().values(type=event.type, n=1))


class Census(Tally):
    """Another tally, under a name and tables of its own."""

    name = "census"


def tally(container: Container, view: str = "tally") -> dict[str, int]:
    with container.machinery.read_engine.connect() as connection:
        return dict(connection.execute(text(f"SELECT type, n FROM {view}")).all())


def runner(
    container: Container, *projections: Any, batch_size: int = 100, bulk_after: int = 200_000
) -> ProjectionRunner:
    return ProjectionRunner(
        container.machinery.store,
        list(projections),
        container.machinery.lease_factory,
        batch_size=batch_size,
        poll_interval=0.2,
        lease_retry=0.1,
        bulk_after=bulk_after,
    )


def append_many(container: Container, n: int, type_: str = "E", streams: int = 10) -> int:
    position = 0
    for i in range(n):
        position = container.machinery.store.append(
            f"s{i % streams}", "t", [NewEvent(type_, {"i": i})]
        ).position
    return position


def test_runner_applies_new_events_and_wait_for_gives_read_your_writes(container: Container):
    container.machinery.runner.start()
    result = container.machinery.store.append(
        "order-9", "order", [NewEvent("OrderPlaced", {}), NewEvent("OrderPaid", {})]
    )

    assert container.machinery.runner.wait_for("stream_summaries", result.position, timeout=5)

    summaries, total = list_stream_summaries(container.machinery.read_engine)
    assert total == 1
    assert (
        summaries[0].stream_id,
        summaries[0].version,
        summaries[0].event_count,
        summaries[0].last_event_type,
    ) == ("order-9", 2, 2, "OrderPaid")


def test_wait_for_a_position_not_yet_written_times_out(container: Container):
    container.machinery.runner.start()
    started = time.monotonic()
    assert container.machinery.runner.wait_for("stream_summaries", 10_000, timeout=0.3) is False
    assert 0.25 < time.monotonic() - started < 3


def test_catch_up_applies_in_batches_and_checkpoints_the_head(container: Container):
    head = append_many(container, 250)
    projection = Tally()
    run = runner(container, projection, batch_size=100)

    run.catch_up("tally")

    assert tally(container) == {"E": 250}
    assert projection.batches == 3
    assert run.position("tally") == head
    (status,) = run.status()
    assert (status.state, status.lag_events, status.lag_seconds) == ("live", 0, 0.0)


def test_status_reports_lag_in_events_and_seconds_before_catching_up(container: Container):
    append_many(container, 30)
    run = runner(container, Tally())
    run.catch_up("tally")
    append_many(container, 12)
    time.sleep(0.2)

    (status,) = run.status()

    assert status.state == "catching_up"
    assert status.lag_events == 12
    assert status.lag_seconds >= 0.15


def test_a_failing_handler_stops_the_projection_at_the_failing_event(container: Container):
    append_many(container, 5)
    poison = container.machinery.store.append("bad", "t", [NewEvent("Poison", {})]).position
    append_many(container, 5)
    projection = Tally(poison=True)
    run = runner(container, projection)

    with pytest.raises(ProjectionFailed) as raised:
        run.catch_up("tally")

    assert raised.value.position == poison
    assert tally(container) == {"E": 5}  # everything before the poison, nothing after
    (status,) = run.status()
    assert status.state == "failed"
    assert status.failed_position == poison
    assert "cannot digest" in (status.error or "")
    assert status.position == poison - 1


def test_a_failed_projection_stays_stopped_without_spinning(container: Container):
    container.machinery.store.append("bad", "t", [NewEvent("Poison", {})])
    projection = Tally(poison=True)
    run = runner(container, projection)
    run.start()
    deadline = time.monotonic() + 5
    while run.status()[0].state != "failed" and time.monotonic() < deadline:
        time.sleep(0.02)
    batches = projection.batches
    append_many(container, 20)
    time.sleep(0.5)
    run.stop()

    assert run.status()[0].state == "failed"
    assert projection.batches == batches  # no retries, no hot loop
    assert "E" not in tally(container)


def test_live_projections_woken_together_fail_alone(container: Container):
    """Woken by the same appends, live projections step in one transaction; one failing
    there must neither stop the other nor undo what the other applies."""
    healthy, sick = Census(), Tally(poison=True)
    run = runner(container, healthy, sick)
    run.start()
    append_many(container, 5)
    container.machinery.store.append("bad", "t", [NewEvent("Poison", {})])
    last = append_many(container, 5)

    assert run.wait_for("census", last, timeout=10)
    deadline = time.monotonic() + 5
    while run.status()[1].state != "failed" and time.monotonic() < deadline:
        time.sleep(0.02)
    run.stop()

    assert tally(container, "census") == {"E": 10, "Poison": 1}
    assert tally(container) == {"E": 5}
    assert [s.state for s in run.status()] == ["live", "failed"]


def test_rebuild_builds_beside_the_serving_copy_then_swaps(container: Container):
    append_many(container, 300)
    run = runner(container, Tally())
    run.catch_up("tally")
    served_during: list[dict[str, int]] = []
    slow = Tally(delay=0.02)
    rebuilder = runner(container, slow, batch_size=50)

    def watch(_position: int) -> None:
        served_during.append(tally(container))

    generation = rebuilder.rebuild("tally", on_progress=watch)

    assert generation == 2
    assert len(served_during) >= 5
    assert all(snapshot == {"E": 300} for snapshot in served_during)  # old copy kept serving
    assert tally(container) == {"E": 300}
    statuses = rebuilder.status()
    assert (statuses[0].generation, statuses[0].rebuilding_generation) == (2, None)
    with container.machinery.store.write_engine.connect() as connection:
        tables = set(
            connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                    if connection.dialect.name == "sqlite"
                    else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            ).scalars()
        )
    assert "tally__g2" in tables
    assert "tally__g1" not in tables


def test_live_runner_continues_on_the_rebuilt_generation(container: Container):
    append_many(container, 50)
    live = runner(container, Tally())
    live.start()
    assert live.wait_for("tally", container.machinery.store.head(), 5)

    runner(container, Tally()).rebuild("tally")
    position = append_many(container, 7, type_="F")

    assert live.wait_for("tally", position, 5)
    live.stop()
    assert tally(container) == {"E": 50, "F": 7}


def test_a_new_projection_version_is_rebuilt_on_start(container: Container):
    append_many(container, 20)
    runner(container, Tally()).catch_up("tally")

    class TallyV2(Tally):
        version = 2

    run = runner(container, TallyV2())
    run.start()
    deadline = time.monotonic() + 5
    while run.status()[0].generation != 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    run.stop()

    assert run.status()[0].generation == 2
    assert tally(container) == {"E": 20}


def test_only_one_process_runs_a_projection_and_another_takes_over(container: Container):
    first = container.machinery.lease_factory("tally")
    second = container.machinery.lease_factory("tally")

    assert first.acquire() is True
    assert second.acquire() is False
    first.release()
    assert second.acquire() is True
    assert second.is_held()
    second.release()


def test_two_runners_on_one_database_apply_each_event_once(container: Container):
    runners = [runner(container, Tally()) for _ in range(2)]
    for r in runners:
        r.start()
    position = 0
    for i in range(60):
        position = container.machinery.store.append(f"s{i}", "t", [NewEvent("E", {})]).position
    assert runners[0].wait_for("tally", position, 10)
    runners[0].stop()
    # Whoever held the lease is gone; the other must carry on.
    position = append_many(container, 15)
    assert runners[1].wait_for("tally", position, 10)
    runners[1].stop()

    assert tally(container) == {"E": 75}


def test_concurrent_writers_and_a_live_projection_agree(container: Container):
    container.machinery.runner.start()
    positions: list[int] = []
    lock = threading.Lock()

    def write(w: int) -> None:
        for i in range(20):
            p = container.machinery.store.append(f"w{w}", "t", [NewEvent("E", {"i": i})]).position
            with lock:
                positions.append(p)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert container.machinery.runner.wait_for("stream_summaries", max(positions), 10)
    summaries, total = list_stream_summaries(container.machinery.read_engine, limit=100)
    assert total == 6
    assert {s.stream_id: s.event_count for s in summaries} == {f"w{w}": 20 for w in range(6)}
    with container.machinery.read_engine.connect() as connection:
        versions = (
            connection.execute(select(text("version")).select_from(text("stream_summaries")))
            .scalars()
            .all()
        )
    assert versions == [20] * 6


def test_a_bulk_catch_up_leaves_the_planner_statistics_of_what_it_wrote(container: Container):
    container.machinery.store.append("bulk", "t", [NewEvent("E", {"i": i}) for i in range(10_001)])
    run = runner(container, Tally(), batch_size=5000)

    run.catch_up("tally")

    assert tally(container) == {"E": 10_001}
    with container.machinery.read_engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # analysed, and the visibility map set
            refreshed = connection.execute(
                text(
                    "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"
                    " FROM pg_stat_user_tables WHERE relname = 'tally__g1'"
                )
            ).scalar_one()
        else:
            refreshed = connection.execute(
                text("SELECT count(*) > 0 FROM sqlite_stat1 WHERE tbl = 'tally__g1'")
            ).scalar_one()
    assert refreshed


class IndexedTally(Tally):
    """A tally with a secondary index that a bulk build makes at its end."""

    def define_tables(self, metadata: MetaData, suffix: str) -> list[Table]:
        (table,) = super().define_tables(metadata, suffix)
        Index(f"tally{suffix}_by_n", table.c.n, info={AFTER_BULK: True})
        return [table]


def test_a_read_model_far_behind_is_rebuilt_in_bulk_and_then_followed(container: Container):
    live = runner(container, IndexedTally(), bulk_after=100)
    live.catch_up("tally")  # the first generation, empty
    append_many(container, 150)

    live.catch_up("tally")  # 150 behind, nothing applied yet: built anew, indexed at the end

    (status,) = live.status()
    assert (status.generation, tally(container)) == (2, {"E": 150})
    indexes = {i["name"] for i in inspect(container.machinery.read_engine).get_indexes("tally__g2")}
    assert "tally__g2_by_n" in indexes
    append_many(container, 20)
    live.catch_up("tally")  # a little behind: followed, not rebuilt
    assert (live.status()[0].generation, tally(container)) == (2, {"E": 170})


def far_behind_runner(container: Container, projection: Any, launched: list[str]):
    """A runner that calls a read model 100 events behind far behind, and notes which
    rebuilds it starts in a process of their own."""
    start = rebuild_in_a_process(container.settings)

    def apart(projection: Any):
        process = start(projection)
        if process is not None:
            launched.append(projection.name)
        return process

    return ProjectionRunner(
        container.machinery.store,
        [projection],
        container.machinery.lease_factory,
        bulk_after=100,
        rebuild_apart=apart,
    )


def test_a_read_model_far_behind_is_rebuilt_in_a_process_of_its_own(
    backend: str, container: Container
):
    # Embedded, only what lives outside the SQLite file goes (the search index); on
    # PostgreSQL every read model may.
    embedded = backend == "sqlite"
    projection = (
        TantivySearchProjection(container.search) if embedded else StreamSummaryProjection()
    )
    launched: list[str] = []
    live = far_behind_runner(container, projection, launched)
    live.catch_up(projection.name)
    for i in range(60):
        draft = ProductDraft(
            name="Marble Run",
            description="",
            brand="Brio",
            category="toys",
            price=Decimal("30.00"),
            variants=(Variant(f"RUN-{i}"),),
        )
        commands.create_product(container.machinery.store, draft, {f"RUN-{i}": 1})
    head = container.machinery.store.head()

    live.catch_up(projection.name)  # 120 behind, more than it has applied

    assert launched == [projection.name]
    (status,) = live.status()
    assert (status.generation, status.position, status.state) == (2, head, "live")
    if embedded:
        assert container.search.search(SearchQuery("marble")).total == 60
    else:
        assert list_stream_summaries(container.machinery.read_engine)[1] == 120


def test_embedded_a_read_model_in_the_sqlite_file_is_rebuilt_in_this_process(
    container_for,
):
    container = container_for("sqlite")
    launched: list[str] = []
    live = far_behind_runner(container, StreamSummaryProjection(), launched)
    live.catch_up("stream_summaries")
    head = append_many(container, 300)

    live.catch_up("stream_summaries")

    assert launched == []
    assert live.status()[0].position == head
    assert (
        sum(s.event_count for s in list_stream_summaries(container.machinery.read_engine)[0]) == 300
    )


def test_a_worker_outlives_a_store_that_gives_it_no_connection_in_time(container: Container):
    """A pool timeout (the embedded store's one writer held by other rebuilds at start-up)
    or any other surprise outside a handler is retried; it once ended the worker's thread,
    leaving its read model "rebuilding" for good."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    projection = Tally()
    position = append_many(container, 5)
    projections = runner(container, projection)
    policy: Any = projections._policy
    surprises: list[Exception] = [PoolTimeout("QueuePool limit reached"), RuntimeError("surprise")]
    ensure_current = policy.ensure_current

    def flaky(checked: Any) -> None:
        if surprises:
            raise surprises.pop(0)
        ensure_current(checked)

    policy.ensure_current = flaky
    projections.start()
    try:
        assert projections.wait_for("tally", position, timeout=10)
    finally:
        projections.stop()
    assert surprises == []
    assert tally(container) == {"E": 5}
