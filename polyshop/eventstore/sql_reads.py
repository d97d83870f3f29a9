"""The read side of the SQL event stores: streams, ranges of the log and its figures.

Reads go to the read engine (a replica or a pool of its own), never queue for the writer,
and upcast every event to its current schema on the way out.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, bindparam, func, select

from polyshop.eventstore.events import EventMetadata, RecordedEvent
from polyshop.eventstore.schema import events
from polyshop.eventstore.upcasting import Upcasters
from polyshop.values.clock import as_utc

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
_RANGE = (
    select(*_COLUMNS)
    .where(events.c.position > bindparam("after"), events.c.position <= bindparam("up_to"))
    .order_by(events.c.position)
    .limit(bindparam("limit"))
)
_RANGE_OF_TYPES = _RANGE.where(events.c.type.in_(bindparam("types", expanding=True)))


class SqlLogReads:
    """What `SqlEventStore` answers from the read engine; the store supplies `head()`."""

    read_engine: Engine
    upcasters: Upcasters

    def head(self) -> int:
        raise NotImplementedError

    def read_streams(self, stream_ids: Collection[str]) -> dict[str, list[RecordedEvent]]:
        """Several whole streams in one query through the (stream, version) key."""
        wanted = sorted(set(stream_ids))
        found: dict[str, list[RecordedEvent]] = {}
        if not wanted:
            return found
        query = (
            select(*_COLUMNS)
            .where(events.c.stream_id.in_(wanted))
            .order_by(events.c.stream_id, events.c.version)
        )
        with self.read_engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        for row in rows:
            event = self._to_event(row)
            found.setdefault(event.stream_id, []).append(event)
        return found

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

    def read_stream_backwards(
        self, stream_id: str, *, before_version: int | None = None, limit: int = 50
    ) -> list[RecordedEvent]:
        """At most `limit` events of one stream, newest first, below `before_version`: a
        page of a long stream (a SKU's ledger) through the (stream, version) key."""
        query = select(*_COLUMNS).where(events.c.stream_id == stream_id)
        if before_version is not None:
            query = query.where(events.c.version < before_version)
        query = query.order_by(events.c.version.desc()).limit(limit)
        with self.read_engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
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
