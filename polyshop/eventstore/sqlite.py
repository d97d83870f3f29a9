"""The embedded event store: one SQLite file in WAL mode, one writer at a time.

SQLite serialises writers, so positions commit in order and tailing by position is gap-free
by construction. Writers queue on a one-connection pool (a condition variable), not on
SQLite's sleeping busy handler, which would cost milliseconds per conflict.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, text

from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.eventstore.schema import events
from polyshop.eventstore.sql_store import SqlEventStore
from polyshop.eventstore.sql_unit_of_work import PendingAppend
from polyshop.runtime.bulk import insert_rows

_INSERT_ONE = insert(events).returning(events.c.position)
_HEAD = text("SELECT coalesce(max(position), 0) FROM events")


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

    def _insert_rows(self, connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
        # Under BEGIN IMMEDIATE nobody else appends, and positions are rowids: the rows
        # take the next ones in order. Numbering them here spares a statement per row
        # (SQLite cannot return a multi-row insert's ids in order).
        last = int(connection.execute(_HEAD).scalar_one())
        positions = list(range(last + 1, last + 1 + len(rows)))
        insert_rows(
            connection,
            events,
            [{"position": p, **row} for p, row in zip(positions, rows, strict=True)],
        )
        return positions

    def _read_head(self) -> int:
        with self.read_engine.connect() as connection:
            return int(connection.execute(_HEAD).scalar_one())
