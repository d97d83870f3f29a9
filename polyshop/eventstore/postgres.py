"""The server-mode event store on PostgreSQL: concurrent appenders, gap-free tailing.

Positions come from a sequence, so concurrent transactions can commit out of position order:
position 7 may become visible while 6 is still in flight. A reader that checkpointed 7 would
skip 6 for ever. Rather than serialise appenders behind a table lock, readers only read up to
a horizon they know to be final:

1. read the sequence's last value `s`; then, in the next statement, list the transactions
   holding ROW EXCLUSIVE on `events`. Any transaction that drew a position <= s did so inside
   an INSERT into `events`, which takes that lock before it evaluates `nextval()` and keeps it
   until the transaction ends: it is either finished or on the list.
2. once none of the listed transactions holds the lock any more (virtual transaction ids are
   never reused), all positions <= s are final.

Writers never wait for each other, and a reader waits only for appenders that were in flight
when it looked. Unrelated transactions (an autovacuum ANALYZE, a long report, another
database) do not hold the horizon back. An earlier version waited for the snapshot's `xmin`
instead, which is correct but cluster-wide: a routine ANALYZE elsewhere stalled tailing for
seconds. (A snapshot's `xmax` would not even be correct: it is one past the newest *completed*
transaction id, so a running appender with a newer id is in neither `xip` nor below it.)
"""

from __future__ import annotations

import functools
import threading
import zlib
from collections.abc import Mapping
from typing import Any

import orjson
import psycopg
import structlog
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Row,
    Select,
    SmallInteger,
    String,
    Update,
    bindparam,
    create_engine,
    func,
    insert,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url

from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.eventstore.notify import InProcessNotifier
from polyshop.eventstore.schema import POSITION_SEQUENCE, events
from polyshop.eventstore.sql_store import SqlEventStore
from polyshop.eventstore.sql_unit_of_work import PendingAppend

log = structlog.get_logger(__name__)

CHANNEL = "polyshop_events"
_LOCK_CLASS = 0x504F4C59  # "POLY": the advisory-lock namespace of projection leases
_MAX_PENDING = 256


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def sqlalchemy_url(url: str) -> str:
    """Point a plain `postgresql://` URL at the psycopg 3 driver."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The URL psycopg itself understands (no SQLAlchemy driver suffix)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def masked(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def create_postgres_engine(
    url: str, *, pool_size: int = 20, connect_timeout: int | None = None
) -> Engine:
    """`connect_timeout`: seconds to reach the server (None: libpq's default, none)."""
    connect_args: dict[str, Any] = {"options": "-c timezone=UTC"}
    if connect_timeout is not None:
        connect_args["connect_timeout"] = connect_timeout
    return create_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,  # a round trip per checkout; dead connections are invalidated
        pool_recycle=3600,
        pool_timeout=30,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        # Timestamps come back in UTC, the only zone polyshop stores.
        connect_args=connect_args,
    )


# One round trip per append: version check and insert together. jsonb_array_elements
# yields the events in order, so positions ascend with versions.
_APPEND = text(
    """
    WITH claim AS (
        SELECT coalesce(max(version), 0) AS current FROM events WHERE stream_id = :stream_id
    )
    INSERT INTO events (stream_id, stream_type, version, type, schema_version, data, metadata,
                        recorded_at)
    SELECT :stream_id, :stream_type, claim.current + e.ordinality, e.value->>'type',
           (e.value->>'schema_version')::smallint, e.value->'data',
           CAST(:metadata AS jsonb), :recorded_at
    FROM claim, jsonb_array_elements(CAST(:events AS jsonb)) WITH ORDINALITY AS e
    WHERE CAST(:expected AS integer) IS NULL OR claim.current = CAST(:expected AS integer)
    RETURNING position, version
    """
)


_LAST_VALUE = text(f"SELECT coalesce(pg_sequence_last_value('{POSITION_SEQUENCE}'), 0)")

# Appenders in flight: every transaction that has started an INSERT into the log.
_APPENDERS = text(
    "SELECT coalesce(array_agg(virtualtransaction), '{}') FROM pg_locks"
    " WHERE locktype = 'relation' AND relation = CAST('events' AS regclass)"
    " AND mode = 'RowExclusiveLock'"
)


@functools.cache
def _fused(change: Update) -> Select[Any]:
    """`change` and the insert of its event as one statement (data-modifying CTEs).

    The UPDATE runs first and locks the row; the INSERT reads the version and figures it
    returned, so nothing in the statement depends on a snapshot taken before the lock wait.
    When the UPDATE matches no row, the INSERT has nothing to insert.
    """
    changed = change.cte("changed")
    figures = [column for column in changed.c if column.key != "version"]
    pairs = [part for column in figures for part in (literal(column.key, String), column)]
    data = bindparam("event_data", type_=JSONB).op("||")(func.jsonb_build_object(*pairs))
    recorded = (
        insert(events)
        .from_select(
            [
                "stream_id",
                "stream_type",
                "version",
                "type",
                "schema_version",
                "data",
                "metadata",
                "recorded_at",
            ],
            select(
                bindparam("event_stream_id", type_=String),
                bindparam("event_stream_type", type_=String),
                changed.c.version,
                bindparam("event_type", type_=String),
                bindparam("event_schema_version", type_=SmallInteger),
                data,
                bindparam("event_metadata", type_=JSONB),
                bindparam("event_recorded_at", type_=DateTime(timezone=True)),
            ).select_from(changed),
        )
        .returning(events.c.position)
        .cte("recorded")
    )
    return select(*changed.c, recorded.c.position.label("event_position")).join_from(
        changed, recorded, true()
    )


class _Horizon:
    """Tracks the highest position every earlier position of which is final (see module doc)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._lock = threading.Lock()
        self._pending: list[tuple[int, frozenset[str]]] = []  # (last value, appenders then)
        self._head = 0

    def advance(self) -> int:
        with self._lock, self._engine.connect() as connection:
            last_value = int(connection.execute(_LAST_VALUE).scalar_one())
            if last_value <= self._head and not self._pending:
                return self._head  # nothing drawn since the horizon last moved
            # A separate statement, so the list is taken after the sequence was read.
            appenders = frozenset(connection.execute(_APPENDERS).scalar_one())
            self._pending.append((last_value, appenders))
            still_open = []
            for value, waited_for in self._pending:
                if waited_for & appenders:
                    still_open.append((value, waited_for))
                else:
                    self._head = max(self._head, value)
            if len(still_open) > _MAX_PENDING:
                # Dropping an entry only delays the horizon; it never lets it run ahead.
                still_open = still_open[::2]
            self._pending = still_open
            return self._head

    @property
    def is_settled(self) -> bool:
        """True when no position seen so far is waiting on an open transaction."""
        with self._lock:
            return not self._pending


class PostgresEventStore(SqlEventStore):
    """The event log on PostgreSQL (server mode)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._horizon = _Horizon(self.write_engine)

    def _insert(self, connection: Connection, batch: PendingAppend) -> tuple[int, list[int]]:
        params = {
            "stream_id": batch.stream_id,
            "stream_type": batch.stream_type,
            "expected": batch.expected_version,
            "events": _dumps(
                [
                    {"type": e.type, "schema_version": e.schema_version, "data": dict(e.data)}
                    for e in batch.events
                ]
            ),
            "metadata": _dumps(batch.metadata),
            "recorded_at": batch.recorded_at,
        }
        rows = connection.execute(_APPEND, params).all()
        if not rows:
            current = self._current_version(connection, batch.stream_id)
            raise ConcurrencyConflict(batch.stream_id, batch.expected_version, current)
        return rows[-1].version, [row.position for row in rows]

    def _change_and_insert(
        self,
        connection: Connection,
        change: Update,
        params: Mapping[str, Any],
        batch: PendingAppend,
    ) -> tuple[Row[Any], int] | None:
        (event,) = batch.events
        row = connection.execute(
            _fused(change),
            {
                **params,
                "event_stream_id": batch.stream_id,
                "event_stream_type": batch.stream_type,
                "event_type": event.type,
                "event_schema_version": event.schema_version,
                "event_data": dict(event.data),
                "event_metadata": batch.metadata,
                "event_recorded_at": batch.recorded_at,
            },
        ).first()
        return None if row is None else (row, row.event_position)

    def _read_head(self) -> int:
        return self._horizon.advance()

    def refresh_statistics(self, *tables: str) -> None:
        """ANALYZE the log and the `tables` named.

        A log filled faster than autovacuum looks (a seed; autovacuum may also be off) has
        statistics that put its highest position far below the real one, so for a
        rebuild's next 1,000 events of some types the planner sorts the whole rest of the
        log instead of walking the primary key: at 1,000,000 seeded products, 1.3 s per
        batch instead of 0.7 ms, a product-documents rebuild of half an hour. ANALYZE
        samples; at that size it takes about 3 s."""
        with self.write_engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            for name in (events.name, *tables):
                connection.exec_driver_sql(f"ANALYZE {name}")

    @property
    def is_settled(self) -> bool:
        return self._horizon.is_settled


class PostgresNotifier(InProcessNotifier):
    """Wakes tailers in this process at once and in other processes through LISTEN/NOTIFY.

    NOTIFY is sent after commit from a background thread, coalescing bursts, and never inside
    the append's transaction: PostgreSQL serialises the commits of notifying transactions on
    one queue lock, which would turn concurrent appenders back into a queue.
    """

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = libpq_url(url)
        self._stopping = threading.Event()
        self._dirty = threading.Event()
        self._listener = threading.Thread(target=self._listen, name="pg-listen", daemon=True)
        self._sender = threading.Thread(target=self._send, name="pg-notify", daemon=True)
        self._listener.start()
        self._sender.start()

    def notify_appended(self) -> None:
        super().notify_appended()
        self._dirty.set()

    def close(self) -> None:
        self._stopping.set()
        self._dirty.set()
        super().close()
        for thread in (self._listener, self._sender):
            if thread is not threading.current_thread():
                thread.join(2.0)

    def _bump(self) -> None:
        InProcessNotifier.notify_appended(self)

    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._bump()  # events may have arrived while we were not listening
                    while not self._stopping.is_set():
                        for _ in connection.notifies(timeout=0.5, stop_after=1):
                            self._bump()
            except psycopg.Error as exc:
                log.warning("listen connection lost; retrying", error=str(exc))
                self._stopping.wait(1.0)

    def _send(self) -> None:
        connection: psycopg.Connection[Any] | None = None
        while not self._stopping.is_set():
            self._dirty.wait()
            if self._stopping.is_set():
                break
            self._dirty.clear()
            try:
                if connection is None or connection.closed:
                    connection = psycopg.connect(self._url, autocommit=True)
                    # NOTIFY takes a transaction id; its commit needs no fsync.
                    connection.execute("SET synchronous_commit = off")
                connection.execute(f"NOTIFY {CHANNEL}")
            except psycopg.Error as exc:
                log.warning("notify failed; other processes fall back to polling", error=str(exc))
                if connection is not None:
                    connection.close()  # a dropped, unclosed connection warns when collected
                connection = None
                self._stopping.wait(0.5)
        if connection is not None:
            connection.close()


class PostgresAdvisoryLease:
    """Exclusive right to run one projection, held as a session advisory lock.

    The lock lives as long as its connection: when the holding process dies, PostgreSQL drops
    the connection and the lock, and another runner takes over.
    """

    def __init__(self, url: str, name: str) -> None:
        self._url = libpq_url(url)
        self._key = zlib.crc32(name.encode()) & 0x7FFFFFFF
        self._connection: psycopg.Connection[Any] | None = None

    def acquire(self) -> bool:
        try:
            if self._connection is None or self._connection.closed:
                self._connection = psycopg.connect(self._url, autocommit=True)
            row = self._connection.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (_LOCK_CLASS, self._key)
            ).fetchone()
        except psycopg.Error:
            self._drop()
            return False
        return bool(row and row[0])

    def is_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute("SELECT 1")
        except psycopg.Error:
            self._drop()
            return False
        return True

    def release(self) -> None:
        self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
