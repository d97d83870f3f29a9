"""The embedded event store: one SQLite file in WAL mode, one writer at a time.

SQLite serialises writers, so positions commit in order and tailing by position is gap-free
by construction. Writers queue on a one-connection pool (a condition variable), not on
SQLite's sleeping busy handler, which would cost milliseconds per conflict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, insert, text
from sqlalchemy.pool import QueuePool

from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.eventstore.schema import events
from polyshop.eventstore.sql_store import PendingAppend, SqlEventStore

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=MEMORY",
)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_sqlite_engine(path: Path, *, writer: bool) -> Engine:
    """An engine on the database file; `writer=True` gives the single-connection write engine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        poolclass=QueuePool,
        # Readers never block each other in WAL mode: enough for the request thread pool.
        pool_size=1 if writer else 16,
        max_overflow=0 if writer else 32,
        pool_timeout=60,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        connect_args={"check_same_thread": False},
    )
    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)

    return engine


_INSERT_ONE = insert(events).returning(events.c.position)


class SqliteEventStore(SqlEventStore):
    """The event log in a SQLite file (embedded mode)."""

    def _insert(self, connection: Connection, batch: PendingAppend) -> tuple[int, list[int]]:
        # BEGIN IMMEDIATE already holds the write lock: nobody can move the stream under us.
        current = self._current_version(connection, batch.stream_id)
        if batch.expected_version is not None and current != batch.expected_version:
            raise ConcurrencyConflict(batch.stream_id, batch.expected_version, current)
        rows = batch.rows(current)
        if len(rows) == 1:
            return current + 1, [connection.execute(_INSERT_ONE, rows[0]).scalar_one()]
        return current + len(rows), self._insert_rows(connection, rows)

    def head(self) -> int:
        with self.read_engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT coalesce(max(position), 0) FROM events")
                ).scalar_one()
            )
