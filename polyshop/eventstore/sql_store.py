"""What the SQLite and PostgreSQL event stores share: SQLAlchemy Core over the same tables.

The adapters differ only where the databases do: how a write transaction starts, how an
append claims its place, and how far a tailing reader may safely read (`head`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    RowMapping,
    Update,
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from polyshop import correlation
from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.eventstore.events import (
    AppendResult,
    EventMetadata,
    NewEvent,
    RecordedEvent,
    StreamAppend,
)
from polyshop.eventstore.ports import ANY_VERSION, EventNotifier
from polyshop.eventstore.schema import events
from polyshop.eventstore.shared_read import SharedRead
from polyshop.eventstore.upcasting import Upcasters

_COLUMNS = (
    events.c.position,
    events.c.stream_id,
    events.c.stream_type,
    events.c.version,
    events.c.type,
    events.c.schema_version,
    events.c.data,
    events.c.metadata,
    events.c.recorded_at,
)


# Built once: constructing SQLAlchemy statements per call costs more than running them.
_CURRENT_VERSION = select(func.coalesce(func.max(events.c.version), 0)).where(
    events.c.stream_id == bindparam("stream_id")
)


_RANGE = (
    select(*_COLUMNS)
    .where(events.c.position > bindparam("after"), events.c.position <= bindparam("up_to"))
    .order_by(events.c.position)
    .limit(bindparam("limit"))
)
_RANGE_OF_TYPES = _RANGE.where(events.c.type.in_(bindparam("types", expanding=True)))

_INSERT_ROWS = insert(events).returning(events.c.position, sort_by_parameter_order=True)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PendingAppend:
    """One append's worth of events, as the dialect hook receives it."""

    stream_id: str
    stream_type: str
    events: Sequence[NewEvent]
    expected_version: int | None
    metadata: dict[str, str]
    recorded_at: datetime

    def rows(self, current: int) -> list[dict[str, Any]]:
        return [
            {
                "stream_id": self.stream_id,
                "stream_type": self.stream_type,
                "version": current + i,
                "type": event.type,
                "schema_version": event.schema_version,
                "data": dict(event.data),
                "metadata": self.metadata,
                "recorded_at": self.recorded_at,
            }
            for i, event in enumerate(self.events, start=1)
        ]


class SqlUnitOfWork:
    """A write transaction; `connection` is there for the state tables of other contexts."""

    def __init__(self, store: SqlEventStore, connection: Connection) -> None:
        self.connection = connection
        self._store = store
        self._callbacks: list[Callable[[], None]] = []
        self._position = 0

    @property
    def position(self) -> int:
        return self._position

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def append(
        self,
        stream_id: str,
        stream_type: str,
        new_events: Sequence[NewEvent],
        expected_version: int | None = ANY_VERSION,
        metadata: EventMetadata | None = None,
    ) -> AppendResult:
        if not new_events:
            raise ValueError("append needs at least one event")
        batch = self._pending(stream_id, stream_type, new_events, expected_version, metadata)
        try:
            version, positions = self._store._insert(self.connection, batch)
        except IntegrityError as exc:
            # A concurrent writer took the same version between our read and our insert.
            raise ConcurrencyConflict(stream_id, expected_version, None) from exc
        self._position = max(self._position, positions[-1])
        return AppendResult(stream_id, version, tuple(positions))

    def append_many(self, appends: Sequence[StreamAppend]) -> list[int]:
        """Append to many streams in one statement, each after the version its writer
        already knows (a new stream: 0; else read under the lock of a row that keeps it).

        No version lookup: the unique (stream, version) key refuses an append to a stream
        that has moved past that version, failing the whole unit of work.
        """
        ambient = _ambient_metadata().to_dict()
        now = self._store._clock()
        rows = [
            row
            for append in appends
            for row in PendingAppend(
                append.stream_id,
                append.stream_type,
                append.events,
                append.after_version,
                append.metadata.to_dict() if append.metadata is not None else ambient,
                now,
            ).rows(append.after_version)
        ]
        if not rows:
            return []
        try:
            positions = self._store._insert_rows(self.connection, rows)
        except IntegrityError as exc:
            raise ConcurrencyConflict("(one of a batch)", None, None) from exc
        self._position = max(self._position, positions[-1])
        return positions

    def change_and_append(
        self,
        change: Update,
        params: Mapping[str, Any],
        stream_id: str,
        stream_type: str,
        event: NewEvent,
    ) -> Row[Any] | None:
        """Run `change` (an UPDATE ... RETURNING of one row, whose `version` column is its
        stream's version) and append `event`, its data completed by the other returned
        columns.

        The row's lock orders the stream's writers, so the version comes from the row, not
        from a lookup in the log; a database that can do both in one statement does (a hot
        row is then locked for one statement and the commit, not for two round trips).
        """
        batch = self._pending(stream_id, stream_type, [event], None, None)
        try:
            changed = self._store._change_and_insert(self.connection, change, params, batch)
        except IntegrityError as exc:
            raise ConcurrencyConflict(stream_id, None, None) from exc
        if changed is None:
            return None
        row, position = changed
        self._position = max(self._position, position)
        return row

    def _pending(
        self,
        stream_id: str,
        stream_type: str,
        new_events: Sequence[NewEvent],
        expected_version: int | None,
        metadata: EventMetadata | None,
    ) -> PendingAppend:
        return PendingAppend(
            stream_id=stream_id,
            stream_type=stream_type,
            events=new_events,
            expected_version=expected_version,
            metadata=(metadata or _ambient_metadata()).to_dict(),
            recorded_at=self._store._clock(),
        )

    def _committed(self) -> None:
        for callback in self._callbacks:
            callback()


def _ambient_metadata() -> EventMetadata:
    return EventMetadata(
        correlation_id=correlation.correlation_id.get(), actor=correlation.actor.get()
    )


class SqlEventStore:
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

    # -- reading -------------------------------------------------------------------------
    def read_stream(
        self, stream_id: str, *, to_version: int | None = None, as_of: datetime | None = None
    ) -> list[RecordedEvent]:
        query = select(*_COLUMNS).where(events.c.stream_id == stream_id)
        if to_version is not None:
            query = query.where(events.c.version <= to_version)
        if as_of is not None:
            query = query.where(events.c.recorded_at <= as_of)
        with self.read_engine.connect() as connection:
            rows = connection.execute(query.order_by(events.c.version)).mappings().all()
        return [self._to_event(row) for row in rows]

    def stream_version(self, stream_id: str) -> int:
        query = select(func.coalesce(func.max(events.c.version), 0)).where(
            events.c.stream_id == stream_id
        )
        with self.read_engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def read_all(self, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        head = self.head()
        if head <= after:
            return []
        return self.read_range(after, head, limit)

    def read_range(
        self,
        after: int,
        up_to: int,
        limit: int,
        connection: Connection | None = None,
        types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        """Events in (after, up_to] in order; `up_to` must not exceed a `head()` already read."""
        params: dict[str, Any] = {"after": after, "up_to": up_to, "limit": limit}
        query = _RANGE
        if types is not None:
            query, params["types"] = _RANGE_OF_TYPES, sorted(types)
        if connection is not None:
            rows = connection.execute(query, params).mappings().all()
        else:
            with self.read_engine.connect() as own:
                rows = own.execute(query, params).mappings().all()
        return [self._to_event(row) for row in rows]

    def last_position(self) -> int:
        with self.read_engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.coalesce(func.max(events.c.position), 0))
                ).scalar_one()
            )

    def recorded_at(self, position: int) -> datetime | None:
        query = select(events.c.recorded_at).where(events.c.position == position)
        with self.read_engine.connect() as connection:
            value = connection.execute(query).scalar_one_or_none()
        return as_utc(value) if value is not None else None

    def first_after(self, position: int, up_to: int) -> int | None:
        """The first position after `position` (up to `up_to`), or None."""
        query = select(func.min(events.c.position)).where(
            events.c.position > position, events.c.position <= up_to
        )
        with self.read_engine.connect() as connection:
            value = connection.execute(query).scalar_one_or_none()
        return int(value) if value is not None else None

    def count_between(self, after: int, up_to: int, cap: int) -> int:
        inner = (
            select(events.c.position)
            .where(events.c.position > after, events.c.position <= up_to)
            .limit(cap)
            .subquery()
        )
        with self.read_engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(inner)).scalar_one())

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

    def _to_event(self, row: RowMapping) -> RecordedEvent:
        data: dict[str, Any] = row["data"]
        schema_version, data = self.upcasters.upcast(row["type"], row["schema_version"], data)
        return RecordedEvent(
            position=row["position"],
            stream_id=row["stream_id"],
            stream_type=row["stream_type"],
            version=row["version"],
            type=row["type"],
            schema_version=schema_version,
            data=data,
            metadata=EventMetadata.from_dict(row["metadata"]),
            recorded_at=as_utc(row["recorded_at"]),
        )


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; every time polyshop stores is UTC."""
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
