"""A read model of the log itself: one row per stream, for operators browsing the audit trail.

It is also the projection the runner's own tests and benchmarks exercise, since it exists in
every deployment whatever contexts are installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
    text,
)

from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.sql_tables import (
    AFTER_BULK,
    SqlTableProjection,
    bulk_upsert,
)
from polyshop.values.clock import as_utc

VIEW = "stream_summaries"


@dataclass(frozen=True, slots=True)
class StreamSummary:
    stream_id: str
    stream_type: str
    version: int
    event_count: int
    last_event_type: str
    last_position: int
    first_recorded_at: datetime
    last_recorded_at: datetime


class StreamSummaryProjection(SqlTableProjection):
    name = "stream_summaries"
    version = 1

    def define_tables(self, metadata: MetaData, suffix: str) -> list[Table]:
        return [
            Table(
                f"{VIEW}{suffix}",
                metadata,
                Column("stream_id", String(200), primary_key=True),
                Column("stream_type", String(100), nullable=False),
                Column("version", Integer, nullable=False),
                Column("event_count", Integer, nullable=False),
                Column("last_event_type", String(200), nullable=False),
                Column("last_position", BigInteger, nullable=False),
                Column("first_recorded_at", DateTime(timezone=True), nullable=False),
                Column("last_recorded_at", DateTime(timezone=True), nullable=False),
                # What listings filter and sort by; `apply` finds rows by the key alone,
                # so a bulk build makes these at its end.
                *(
                    Index(f"ix_{VIEW}{suffix}_{column}", column, info={AFTER_BULK: True})
                    for column in ("stream_type", "last_position")
                ),
            )
        ]

    def apply(self, events: Sequence[RecordedEvent], generation: int, connection: Any) -> None:
        target = self.tables(generation)[VIEW]
        rows: dict[str, dict[str, Any]] = {}
        for event in events:  # fold the batch first: one upsert per stream, not per event
            row = rows.get(event.stream_id)
            if row is None:
                rows[event.stream_id] = {
                    "stream_id": event.stream_id,
                    "stream_type": event.stream_type,
                    "version": event.version,
                    "event_count": 1,
                    "last_event_type": event.type,
                    "last_position": event.position,
                    "first_recorded_at": event.recorded_at,
                    "last_recorded_at": event.recorded_at,
                }
            else:
                row["version"] = event.version
                row["event_count"] += 1
                row["last_event_type"] = event.type
                row["last_position"] = event.position
                row["last_recorded_at"] = event.recorded_at
        bulk_upsert(
            connection,
            target,
            list(rows.values()),
            key=["stream_id"],
            assignments={
                "version": "excluded.version",
                "event_count": f"{target.name}.event_count + excluded.event_count",
                "last_event_type": "excluded.last_event_type",
                "last_position": "excluded.last_position",
                "last_recorded_at": "excluded.last_recorded_at",
            },
        )

    def build_from_log(self, generation: int, connection: Any, up_to: int) -> bool:
        # Each stream's first and last events, found through the (stream, version) key:
        # what folding the events one by one leaves, computed by the database in one pass.
        target = self.tables(generation)[VIEW]
        connection.execute(
            text(
                f"INSERT INTO {target.name} (stream_id, stream_type, version, event_count,"
                " last_event_type, last_position, first_recorded_at, last_recorded_at)"
                " SELECT s.stream_id, f.stream_type, l.version, s.n, l.type, l.position,"
                " f.recorded_at, l.recorded_at"
                " FROM (SELECT stream_id, count(*) AS n, min(version) AS first_version,"
                "   max(version) AS last_version FROM events WHERE position <= :up_to"
                "   GROUP BY stream_id) AS s"
                " JOIN events f ON f.stream_id = s.stream_id AND f.version = s.first_version"
                " JOIN events l ON l.stream_id = s.stream_id AND l.version = s.last_version"
            ),
            {"up_to": up_to},
        )
        return True


# The view queries read: the same columns as every generation's table, without the suffix.
_view = StreamSummaryProjection().define_tables(MetaData(), "")[0]


def list_stream_summaries(
    engine: Engine, *, stream_type: str | None = None, limit: int = 20, offset: int = 0
) -> tuple[list[StreamSummary], int]:
    """Streams most recently changed first, with the total count for pagination."""
    where = [] if stream_type is None else [_view.c.stream_type == stream_type]
    with engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(_view).where(*where)
        ).scalar_one()
        rows = (
            connection.execute(
                select(_view)
                .where(*where)
                .order_by(_view.c.last_position.desc())
                .limit(limit)
                .offset(offset)
            )
            .mappings()
            .all()
        )
    return [_summary(row) for row in rows], int(total)


def _summary(row: Any) -> StreamSummary:
    values = {key: row[key] for key in StreamSummary.__dataclass_fields__}
    for key in ("first_recorded_at", "last_recorded_at"):
        values[key] = as_utc(values[key])
    return StreamSummary(**values)
