"""What the SQLite and PostgreSQL event stores share: SQLAlchemy Core over the same tables.

The adapters differ only where the databases do: how a write transaction starts, how an
append claims its place, and how far a tailing reader may safely read (`head`). The unit of
work is in `sql_unit_of_work`, the reading side in `sql_reads`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Update, bindparam, func, insert, select

from polyshop.eventstore.events import AppendResult, EventMetadata, NewEvent
from polyshop.eventstore.ports import ANY_VERSION, EventNotifier
from polyshop.eventstore.schema import events
from polyshop.eventstore.shared_read import SharedRead
from polyshop.eventstore.sql_reads import SqlLogReads
from polyshop.eventstore.sql_unit_of_work import PendingAppend, SqlUnitOfWork
from polyshop.eventstore.upcasting import Upcasters
from polyshop.values.clock import utc_now

# Built once: constructing SQLAlchemy statements per call costs more than running them.
_CURRENT_VERSION = select(func.coalesce(func.max(events.c.version), 0)).where(
    events.c.stream_id == bindparam("stream_id")
)
_INSERT_ROWS = insert(events).returning(events.c.position, sort_by_parameter_order=True)


class SqlEventStore(SqlLogReads):
    """Shared implementation; subclasses supply the dialect-specific hooks."""

    def __init__(
        self,
        write_engine: Engine,
        read_engine: Engine,
        notifier: EventNotifier,
        upcasters: Upcasters | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.write_engine = write_engine
        self.read_engine = read_engine
        self.notifier = notifier
        self.upcasters = upcasters or Upcasters()
        self._clock = clock
        self._shared_head = SharedRead(self._read_head)

    # -- dialect hooks -------------------------------------------------------------------
    def _insert(self, connection: Connection, batch: PendingAppend) -> tuple[int, list[int]]:
        """Insert the batch after checking the expected version; return (new version,
        positions). Raise ConcurrencyConflict (or IntegrityError) when the stream moved."""
        raise NotImplementedError

    def _insert_rows(self, connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
        """Insert prepared event rows in one round trip, returning positions in row order."""
        result = connection.execute(_INSERT_ROWS, rows)
        return list(result.scalars())

    def _change_and_insert(
        self,
        connection: Connection,
        change: Update,
        params: Mapping[str, Any],
        batch: PendingAppend,
    ) -> tuple[Row[Any], int] | None:
        """Run the UPDATE, then append its event at the row's version; (row, position)."""
        row = connection.execute(change, params).first()
        if row is None:
            return None
        figures = {str(k): v for k, v in row._mapping.items() if k != "version"}
        (event,) = batch.events
        recorded = replace(
            batch,
            events=[NewEvent(event.type, {**event.data, **figures}, event.schema_version)],
            expected_version=row.version - 1,
        )
        _, positions = self._insert(connection, recorded)
        return row, positions[-1]

    def _current_version(self, connection: Connection, stream_id: str) -> int:
        return int(connection.execute(_CURRENT_VERSION, {"stream_id": stream_id}).scalar_one())

    def head(self) -> int:
        """The highest position below which every event is committed or never will be.

        Workers woken by one append ask at once; they share the database's answer.
        """
        return self._shared_head()

    def _read_head(self) -> int:
        raise NotImplementedError

    @property
    def is_settled(self) -> bool:
        """False while `head()` is known to lag appends that are still committing."""
        return True

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def unit_of_work(self) -> Iterator[SqlUnitOfWork]:
        try:
            with self.write_engine.connect() as connection, connection.begin():
                uow = SqlUnitOfWork(self, connection)
                yield uow
        except BaseException:
            # A rolled-back append may have drawn positions that a tailing horizon waits
            # on (PostgreSQL); now they will never commit, tailers may move on: say so,
            # rather than have them poll to find out.
            self.notifier.notify_appended()
            raise
        if uow.position:
            self.notifier.notify_appended()
        uow._committed()

    def append(
        self,
        stream_id: str,
        stream_type: str,
        new_events: Sequence[NewEvent],
        expected_version: int | None = ANY_VERSION,
        metadata: EventMetadata | None = None,
    ) -> AppendResult:
        with self.unit_of_work() as uow:
            return uow.append(stream_id, stream_type, new_events, expected_version, metadata)

    def check(self) -> None:
        with self.write_engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def refresh_statistics(self, *tables: str) -> None:
        """Nothing on SQLite: without statistics its planner walks the position key, which
        is what reading the log in order wants (PostgreSQL's does not: see its store)."""

    def close(self) -> None:
        self.notifier.close()
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
