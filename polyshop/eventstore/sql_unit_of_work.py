"""The write side of the SQL event stores: one transaction that appends events.

A unit of work appends to the log inside the connection's transaction; the store
(`sql_store.SqlEventStore`) opens and commits it, and its dialect hooks do the inserts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, Update
from sqlalchemy.exc import IntegrityError

from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.eventstore.events import AppendResult, EventMetadata, NewEvent, StreamAppend
from polyshop.eventstore.ports import ANY_VERSION
from polyshop.runtime import correlation

if TYPE_CHECKING:
    from polyshop.eventstore.sql_store import SqlEventStore


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
