"""Event log figures: append throughput (against the `eventsourcing` library as a peer),
catch-up replay speed, and commit-to-visible lag of a live projection. Both databases.

    .venv/bin/python benchmarks/event_store.py [--postgres URL] [--replay N] [--quick]

Prints figures; asserts nothing. Machine caveat: 2 shared cores run the database, the
writers and the projection at once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from harness import percentile as pct
from sqlalchemy import text
from sqlalchemy.engine import make_url

from polyshop.bootstrap import build
from polyshop.config import Settings
from polyshop.container import Container
from polyshop.eventstore.events import NewEvent
from polyshop.eventstore.ports import NO_STREAM

DEFAULT_URL = os.environ.get(
    "POLYSHOP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    name = f"polyshop_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def shop(mode: str, admin_url: str, **overrides: object) -> Iterator[Container]:
    with tempfile.TemporaryDirectory() as tmp:
        if mode == "postgres":
            with scratch_database(admin_url) as url:
                container = build(
                    Settings(data_dir=Path(tmp), database_url=url, log_level="warning", **overrides)  # type: ignore[arg-type]
                )
                try:
                    yield container
                finally:
                    container.close()
        else:
            container = build(Settings(data_dir=Path(tmp), log_level="warning", **overrides))  # type: ignore[arg-type]
            try:
                yield container
            finally:
                container.close()


def run_threads(writers: int, per_writer: int, command: Callable[[int, int], None]) -> float:
    barrier = threading.Barrier(writers + 1)

    def work(w: int) -> None:
        barrier.wait()
        for i in range(per_writer):
            command(w, i)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return writers * per_writer / (time.perf_counter() - started)


def bench_appends(container: Container, writers: int, per_writer: int) -> float:
    store = container.machinery.store
    run = uuid.uuid4().hex[:6]

    def command(w: int, i: int) -> None:
        store.append(
            f"agg-{run}-{w}-{i}", "bench", [NewEvent("Created", {"w": w, "i": i})], NO_STREAM
        )

    return run_threads(writers, per_writer, command)


class Thing(Aggregate):
    """The peer's one-event aggregate: created, saved, never changed."""

    def __init__(self, w: int, i: int) -> None:
        self.w, self.i = w, i


def bench_eventsourcing(url: str, writers: int, per_writer: int) -> float:
    parsed = make_url(url)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parsed.database or "",
        "POSTGRES_HOST": parsed.host or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": parsed.username or "postgres",
        "POSTGRES_PASSWORD": parsed.password or "",
        "POSTGRES_POOL_SIZE": str(max(writers, 5)),
        "POSTGRES_MAX_OVERFLOW": "10",
    }
    app = Application(env=env)
    try:
        return run_threads(writers, per_writer, lambda w, i: app.save(Thing(w, i)))
    finally:
        app.close()


def fill_log(container: Container, events: int, streams: int) -> None:
    """Write `events` events fast (bulk SQL), spread over `streams` streams."""
    engine = container.machinery.store.write_engine
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        if postgres:
            connection.execute(
                text(
                    "INSERT INTO events (stream_id, stream_type, version, type, schema_version,"
                    " data, metadata, recorded_at)"
                    " SELECT 's-' || (g % :streams), 'bench', g / :streams + 1, 'E' || (g % 7), 1,"
                    " jsonb_build_object('g', g), '{}'::jsonb, now()"
                    " FROM generate_series(0, :n - 1) AS g"
                ),
                {"n": events, "streams": streams},
            )
        else:
            connection.execute(
                text(
                    "WITH RECURSIVE g(x) AS"
                    " (SELECT 0 UNION ALL SELECT x + 1 FROM g WHERE x < :n - 1)"
                    " INSERT INTO events (stream_id, stream_type, version, type, schema_version,"
                    " data, metadata, recorded_at)"
                    " SELECT 's-' || (x % :streams), 'bench', x / :streams + 1, 'E' || (x % 7), 1,"
                    " json_object('g', x), '{}', strftime('%Y-%m-%d %H:%M:%f', 'now')"
                    " FROM g"
                ),
                {"n": events, "streams": streams},
            )


def bench_replay(container: Container, events: int) -> float:
    fill_log(container, events, streams=10_000)
    # Settle the bulk load first (hint bits, statistics), as a long-lived log would be;
    # otherwise autovacuum competes with the replay for the two cores.
    engine = container.machinery.store.write_engine.execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(
            "VACUUM ANALYZE events" if engine.dialect.name == "postgresql" else "ANALYZE"
        )
    started = time.perf_counter()
    container.machinery.runner.rebuild("stream_summaries")
    elapsed = time.perf_counter() - started
    with container.machinery.read_engine.connect() as connection:
        total = connection.execute(text("SELECT sum(event_count) FROM stream_summaries")).scalar()
    assert total == events, (total, events)
    return events / elapsed


def bench_lag(container: Container, rate: float, seconds: float) -> list[float]:
    """Append at `rate`/s; measure commit-to-visible in the stream_summaries read model."""
    runner = container.machinery.runner
    runner.start()
    committed: dict[int, float] = {}
    visible: dict[int, float] = {}
    done = threading.Event()

    def probe() -> None:
        with container.machinery.read_engine.connect() as connection:
            while not done.is_set() or len(visible) < len(committed):
                connection.rollback()
                seen = (
                    connection.execute(
                        text(
                            "SELECT position FROM projections WHERE name = 'stream_summaries'"
                            " AND is_active"
                        )
                    ).scalar()
                    or 0
                )
                now = time.perf_counter()
                for position in [p for p in committed if p <= seen and p not in visible]:
                    visible[position] = now
                time.sleep(0.0005)

    watcher = threading.Thread(target=probe)
    watcher.start()
    interval = 1.0 / rate
    started = time.perf_counter()
    for i in range(int(rate * seconds)):
        target = started + i * interval
        if (pause := target - time.perf_counter()) > 0:
            time.sleep(pause)
        position = container.machinery.store.append(
            f"lag-{i % 50}", "bench", [NewEvent("Tick", {})]
        ).position
        committed[position] = time.perf_counter()
    done.set()
    watcher.join(30)
    runner.stop()
    return sorted((visible[p] - committed[p]) * 1000 for p in committed if p in visible)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=DEFAULT_URL, help="admin URL of a PostgreSQL server")
    parser.add_argument("--replay", type=int, default=1_000_000, help="events for catch-up")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--only", choices=["appends", "replay", "lag"], action="append", help="run some sections"
    )
    args = parser.parse_args()
    sections = set(args.only or ["appends", "replay", "lag"])
    n1, n16, replay, lag_s = (300, 50, 20_000, 2) if args.quick else (3000, 400, args.replay, 10)
    print("# polyshop event log benchmark (2 shared cores; writers, DB and projection together)")

    if "appends" in sections:
        appends(args.postgres, n1, n16)
    if "replay" in sections:
        replays(args.postgres, replay)
    if "lag" in sections:
        lags(args.postgres, lag_s)


def appends(admin_url: str, n1: int, n16: int) -> None:
    print("\n## appends/s, one-event commands (new stream each, expected version checked)")
    peers: dict[int, float] = {}
    with scratch_database(admin_url) as url:
        for writers, per in ((1, n1), (16, n16)):
            peers[writers] = bench_eventsourcing(url, writers, per)
    for mode in ("sqlite", "postgres"):
        with shop(mode, admin_url) as container:
            for writers, per in ((1, n1), (16, n16)):
                rate = bench_appends(container, writers, per)
                line = f"{mode:<9} {writers:>2} writer(s): {rate:8.0f} appends/s"
                if mode == "postgres":
                    line += (
                        f"   | eventsourcing 9.5.6: {peers[writers]:7.0f}/s"
                        f"   ratio {rate / peers[writers]:.2f}x"
                    )
                print(line, flush=True)


def replays(admin_url: str, replay: int) -> None:
    print(f"\n## catch-up: rebuild stream_summaries from {replay:,} events (batch 5000)")
    for mode in ("sqlite", "postgres"):
        with shop(mode, admin_url, projection_batch_size=5000) as container:
            print(f"{mode:<9} {bench_replay(container, replay):10.0f} events/s", flush=True)


def lags(admin_url: str, lag_s: float) -> None:
    print(f"\n## commit-to-visible lag, stream_summaries, 200 appends/s for {lag_s} s")
    for mode in ("sqlite", "postgres"):
        with shop(mode, admin_url) as container:
            ms = bench_lag(container, 200, lag_s)
            print(
                f"{mode:<9} n={len(ms)}  p50 {pct(ms, 0.5):6.1f} ms  p99 {pct(ms, 0.99):6.1f} ms"
                f"  max {max(ms):6.1f} ms  mean {statistics.fmean(ms):6.1f} ms",
                flush=True,
            )


if __name__ == "__main__":
    main()
