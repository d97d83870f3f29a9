"""SQLite engines for embedded mode: one queued writer connection, a pool of readers.

Writers queue on a one-connection pool (a condition variable), not on SQLite's sleeping
busy handler, which would cost milliseconds per conflict; readers never block each other
in WAL mode. Shared by every SQLite file the shop keeps (event log, TTL store).

Memory: each connection has a page cache of its own, and a file has up to 64 reader
connections. So a reader's cache is small (`READER_CACHE_KIB`): a write to the file voids
every reader's cache at its next transaction anyway (WAL), and the operating system's page
cache, one copy for all connections, holds the file's hot pages. The single writer keeps a
large cache for big transactions (seeding, rebuilds). With 64 MiB per reader, as before, a
busy process grew by gigabytes that it never gave back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import QueuePool

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
)
#: Page cache per connection, in KiB (SQLite's default is about 2 MiB).
WRITER_CACHE_KIB = 65_536
READER_CACHE_KIB = 4_096


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_sqlite_engine(path: Path, *, writer: bool, busy_timeout: float = 10.0) -> Engine:
    """An engine on the database file; `writer=True` gives the single-connection write engine.

    `busy_timeout`: seconds a statement waits for another process's write lock (writers of
    this process queue on the pool instead)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        poolclass=QueuePool,
        # Readers never block each other in WAL mode: one kept per worker thread of the
        # request pool (40), so a busy minute never opens and closes connections (each new
        # one starts with a cold page cache).
        pool_size=1 if writer else 40,
        max_overflow=0 if writer else 24,
        pool_timeout=60,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        connect_args={"check_same_thread": False},
    )
    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"
    cache_kib = WRITER_CACHE_KIB if writer else READER_CACHE_KIB

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _PRAGMAS:
            cursor.execute(pragma)
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute(f"PRAGMA cache_size=-{cache_kib}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)

    return engine
