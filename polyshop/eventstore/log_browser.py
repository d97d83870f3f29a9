"""The event log as an operator browses it: newest first, filtered by stream prefix and
event type, one bounded window of positions at a time.

The log has no index on type or on a stream prefix, and must not need one to be browsed:
each page scans at most `window` positions below `before` (a range of the primary key), so a
page costs the same at ten events or a hundred million. A window with fewer matches than
asked for says where the next, older window starts; the page offers it as "older".
Events are shown as stored (their schema version beside them), not upcast.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, RowMapping, func, select

from polyshop.eventstore.events import EventMetadata, RecordedEvent
from polyshop.eventstore.schema import events
from polyshop.values.clock import as_utc

#: Positions one page looks through at most.
WINDOW = 50_000


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which events: stream ids starting with `stream_prefix`, of type `event_type`, at or
    below position `before` (None: the head)."""

    stream_prefix: str = ""
    event_type: str = ""
    before: int | None = None


@dataclass(frozen=True, slots=True)
class LogPage:
    """Matching events newest first; `older`: the `before` of the next page (None: none)."""

    events: list[RecordedEvent]
    head: int
    older: int | None


def browse(engine: Engine, where: LogFilter, limit: int, window: int = WINDOW) -> LogPage:
    """Up to `limit` matching events within `window` positions below `where.before`."""
    with engine.connect() as connection:
        head = int(
            connection.execute(select(func.coalesce(func.max(events.c.position), 0))).scalar_one()
        )
        top = min(where.before, head) if where.before is not None else head
        query = select(events).where(events.c.position <= top, events.c.position > top - window)
        if where.stream_prefix:
            query = query.where(events.c.stream_id.startswith(where.stream_prefix, autoescape=True))
        if where.event_type:
            query = query.where(events.c.type == where.event_type)
        rows = connection.execute(query.order_by(events.c.position.desc()).limit(limit)).mappings()
        found = [_event(row) for row in rows]
    if len(found) == limit:
        older: int | None = found[-1].position - 1
    else:
        older = top - window
    return LogPage(found, head, older if older is not None and older > 0 else None)


def _event(values: RowMapping) -> RecordedEvent:
    return RecordedEvent(
        position=values["position"],
        stream_id=values["stream_id"],
        stream_type=values["stream_type"],
        version=values["version"],
        type=values["type"],
        schema_version=values["schema_version"],
        data=values["data"],
        metadata=EventMetadata.from_dict(values["metadata"]),
        recorded_at=as_utc(values["recorded_at"]),
    )
