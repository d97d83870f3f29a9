"""The stores each mode runs on: the event log and read databases, sessions and carts, analytics,
shared secrets. Part of the composition root: the one place that names adapters."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import structlog
from redis.exceptions import RedisClusterException
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from polyshop.accounts.ports import AttemptCounter, SessionStore
from polyshop.accounts.redis_store import RedisAttemptCounter, RedisSessionStore
from polyshop.accounts.sql_store import SqlAttemptCounter, SqlSessionStore
from polyshop.analytics.duckdb_store import DuckDbAnalyticsStore
from polyshop.analytics.ports import AnalyticsStore
from polyshop.analytics.postgres_store import PostgresAnalyticsStore
from polyshop.cart.ports import CartStore
from polyshop.cart.redis_store import RedisCartStore, adopt_untagged_carts
from polyshop.cart.sql_store import SqlCartStore
from polyshop.config import Mode, Settings
from polyshop.eventstore.notify import InProcessNotifier
from polyshop.eventstore.postgres import (
    PostgresAdvisoryLease,
    PostgresEventStore,
    PostgresNotifier,
    create_postgres_engine,
    masked,
)
from polyshop.eventstore.projections.file_lease import FileLease
from polyshop.eventstore.projections.ports import Lease, Projection
from polyshop.eventstore.replicas import ReplicaSet, RoutedEngine
from polyshop.eventstore.sql_store import SqlEventStore
from polyshop.eventstore.sqlite import SqliteEventStore
from polyshop.eventstore.upcasting import Upcasters
from polyshop.runtime.sqlite_files import create_sqlite_engine
from polyshop.ttlstore.errors import StoreUnavailable
from polyshop.ttlstore.redis_client import (
    RedisClient,
    RedisKeys,
    close_redis,
    create_redis,
    unavailable_as_store_error,
)
from polyshop.ttlstore.sql import TtlDatabase, sweeper

log = structlog.get_logger(__name__)


class StartupError(Exception):
    """The shop cannot start; the message says which setting or store is at fault."""


def rebuild_in_a_process(
    settings: Settings,
) -> Callable[[Projection], subprocess.Popen[bytes] | None]:
    """Start `polyshop projections rebuild NAME` on the same shop, in a process of its own.

    Embedded, only for a read model outside the SQLite file (the search index): the file
    has one writer at a time, and a second process's bulk transactions (an index over a
    million rows is one statement) would hold this process's writes past their timeout.
    The child itself writes only checkpoints there, and may wait long for them.
    """
    # The child's start-up warnings are this process's own, already said; its errors are not.
    environment = {**os.environ, **settings.to_environment(), "POLYSHOP_LOG_LEVEL": "error"}
    if settings.mode is Mode.EMBEDDED:
        environment["POLYSHOP_SQLITE_BUSY_TIMEOUT"] = "600"

    def start(projection: Projection) -> subprocess.Popen[bytes] | None:
        if settings.mode is Mode.EMBEDDED and projection.transactional:
            return None
        command = [
            sys.executable,
            *("-m", "polyshop", "projections", "rebuild", "--quiet", projection.name),
        ]
        return subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)  # noqa: S603

    return start


def analytics_store(settings: Settings, store: SqlEventStore) -> AnalyticsStore:
    """Views in DuckDB beside the embedded shop; in server mode, a partitioned table in the
    primary database (every process writes its own batches; DuckDB allows one writer)."""
    if settings.mode is Mode.SERVER:
        return PostgresAnalyticsStore(store.write_engine)
    return DuckDbAnalyticsStore(settings.data_dir / "analytics.duckdb")


@dataclass
class TtlStores:
    sessions: SessionStore
    attempts: AttemptCounter
    carts: CartStore
    check: Callable[[], None]
    background: list[Callable[[], None]] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)


def ttl_stores(settings: Settings) -> TtlStores:
    """Sessions, login counters and carts: Redis when configured, else a SQLite file.

    Server mode without Redis works on one host only (the file is local): logged, not refused,
    so a single-server shop needs no Redis.
    """
    if settings.redis_url:
        try:
            client = create_redis(settings.redis_url, cluster=settings.redis_cluster)
        except RedisClusterException as exc:  # a cluster client maps the slots at once
            raise StartupError(f"cannot reach the Redis Cluster: {exc}") from exc
        keys = RedisKeys(settings.redis_prefix)
        _adopt_untagged_carts(client, keys)
        return TtlStores(
            sessions=RedisSessionStore(client, keys),
            attempts=RedisAttemptCounter(client, keys),
            carts=RedisCartStore(client, keys, settings.cart_ttl),
            check=lambda: ping_redis(client),
            closers=[lambda: close_redis(client)],
        )
    if settings.mode is Mode.SERVER:
        log.warning("POLYSHOP_REDIS_URL is not set: sessions and carts live in a local file")
    database = TtlDatabase.open(settings.data_dir / "ttl.sqlite3")
    sweep = sweeper(database)
    return TtlStores(
        sessions=SqlSessionStore(database),
        attempts=SqlAttemptCounter(database),
        carts=SqlCartStore(database, settings.cart_ttl),
        check=lambda: ping(database.reader),
        background=[sweep.start],
        closers=[sweep.stop, database.close],
    )


def ping_redis(client: RedisClient) -> None:
    client.ping()


def _adopt_untagged_carts(client: RedisClient, keys: RedisKeys) -> None:
    """Carts kept by 0.14 and older, renamed on the first start that reaches Redis."""
    try:
        with unavailable_as_store_error():
            renamed = adopt_untagged_carts(client, keys)
    except StoreUnavailable as exc:
        log.warning("carts of the older key layout not checked (Redis unavailable): %s", exc)
        return
    if renamed:
        log.info("renamed %d cart keys to the hash-tagged layout", renamed)


@dataclass(frozen=True)
class Stores:
    """The log, where read models are read, the leases, and the replicas reads may go to."""

    store: SqlEventStore
    read_engine: Engine
    lease_factory: Callable[[str], Lease]
    replicas: ReplicaSet | None = None

    @property
    def background(self) -> list[Callable[[], None]]:
        """Started with the HTTP app: the replicas' monitor."""
        return [self.replicas.start] if self.replicas is not None else []


def embedded_stores(
    settings: Settings, upcasters: Upcasters
) -> tuple[SqlEventStore, Engine, Callable[[str], Lease], None]:
    path = settings.sqlite_path
    write_engine = create_sqlite_engine(
        path, writer=True, busy_timeout=settings.sqlite_busy_timeout
    )
    read_engine = create_sqlite_engine(path, writer=False)
    store = SqliteEventStore(write_engine, read_engine, InProcessNotifier(), upcasters)
    locks = settings.data_dir / "locks"
    return (
        store,
        read_engine,
        lambda name: FileLease(locks / f"{name.replace(':', '.')}.lock"),
        None,
    )


def server_stores(
    settings: Settings, upcasters: Upcasters
) -> tuple[SqlEventStore, Engine, Callable[[str], Lease], ReplicaSet | None]:
    url = settings.database_url
    assert url is not None
    engine = create_postgres_engine(url, pool_size=settings.db_pool_size)
    try:
        ping(engine)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StartupError(f"cannot reach PostgreSQL at {masked(url)}: {reason}") from exc
    read_engine, replicas = engine, None
    if settings.read_database_url:
        replica = create_postgres_engine(
            settings.read_database_url, pool_size=settings.db_pool_size
        )
        replicas = ReplicaSet(
            engine,
            [(masked(settings.read_database_url), replica)],
            max_lag=settings.replica_max_lag,
            interval=settings.replica_check_interval,
        )
        # Duck-typed: the services only connect to their read engine (see RoutedEngine).
        read_engine = cast(Engine, RoutedEngine(replicas))
    store = PostgresEventStore(engine, engine, PostgresNotifier(url), upcasters)
    return store, read_engine, lambda name: PostgresAdvisoryLease(url, name), replicas


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")


def secret(settings: Settings, name: str, file: str) -> str | None:
    """A shared secret (operator token, payment webhook): from settings, or in embedded mode
    made once under the data dir so a laptop shop works with no configuration."""
    configured: str | None = getattr(settings, name)
    if configured:
        return configured
    if settings.mode is Mode.SERVER:
        log.warning(f"POLYSHOP_{name.upper()} is not set: its endpoints refuse every request")
        return None
    path: Path = settings.data_dir / file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()
