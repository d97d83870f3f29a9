"""An event of the log as other systems receive it: one JSON shape for every channel.

The log position is the message's identity: a message sent twice (at least once means
sometimes twice) carries the same `id`, so a receiver, or JetStream itself, drops the copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from polyshop.eventstore.events import RecordedEvent


@dataclass(frozen=True, slots=True)
class Message:
    #: The event's log position, as text: the id receivers deduplicate by.
    id: str
    #: The event type, e.g. `OrderPlaced`: the last part of a subject, what a webhook
    #: subscribes to.
    type: str
    body: bytes


def message_of(event: RecordedEvent) -> Message:
    body = {
        "id": str(event.position),
        "type": event.type,
        "position": event.position,
        "stream_id": event.stream_id,
        "stream_type": event.stream_type,
        "version": event.version,
        "recorded_at": event.recorded_at.isoformat(),
        "correlation_id": event.metadata.correlation_id,
        "data": event.data,
    }
    return Message(str(event.position), event.type, orjson.dumps(body))


def event_types(text: str) -> frozenset[str] | None:
    """The event types a setting names, comma-separated; `*` (or nothing) for all."""
    names = frozenset(part.strip() for part in text.split(",") if part.strip())
    return None if not names or "*" in names else names


def wanted(events: Iterable[RecordedEvent], types: frozenset[str] | None) -> list[Message]:
    return [message_of(e) for e in events if types is None or e.type in types]
