"""Events as the domain sees them: plain values, no storage concerns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class EventMetadata:
    """Why an event exists: the request that caused it, who acted, and the retry key."""

    correlation_id: str | None = None
    causation_id: str | None = None
    actor: str | None = None
    idempotency_key: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in self._items() if v is not None}

    def _items(self) -> tuple[tuple[str, str | None], ...]:
        return (
            ("correlation_id", self.correlation_id),
            ("causation_id", self.causation_id),
            ("actor", self.actor),
            ("idempotency_key", self.idempotency_key),
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> EventMetadata:
        if not raw:
            return _NO_METADATA
        return cls(
            correlation_id=raw.get("correlation_id"),
            causation_id=raw.get("causation_id"),
            actor=raw.get("actor"),
            idempotency_key=raw.get("idempotency_key"),
        )


_NO_METADATA = EventMetadata()


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a command wants to append; the store gives it a position and a version."""

    type: str
    data: Mapping[str, Any]
    schema_version: int = 1


@dataclass(frozen=True, slots=True)
class StreamAppend:
    """Events for one stream whose current version the writer already knows: 0 for a new
    stream, or a version read under the lock of a row that keeps it (see
    `UnitOfWork.append_many`)."""

    stream_id: str
    stream_type: str
    events: Sequence[NewEvent]
    after_version: int = 0
    #: None: the ambient metadata of the request being served.
    metadata: EventMetadata | None = None


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as it stands in the log, already upcast to the current schema version."""

    position: int
    stream_id: str
    stream_type: str
    version: int
    type: str
    schema_version: int
    data: dict[str, Any]
    metadata: EventMetadata
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What an append wrote: the stream's new version and the log positions of its events."""

    stream_id: str
    version: int
    positions: tuple[int, ...] = field(default_factory=tuple)

    @property
    def position(self) -> int:
        """The last position written; what a command hands back for read-your-writes."""
        return self.positions[-1] if self.positions else 0
