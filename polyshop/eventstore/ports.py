"""The event log's ports: what the rest of polyshop may ask of it, whatever the database."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from polyshop.eventstore.events import (
    AppendResult,
    EventMetadata,
    NewEvent,
    RecordedEvent,
    StreamAppend,
)

#: `expected_version` meaning "append wherever the stream is" (no optimistic check).
ANY_VERSION: None = None
#: `expected_version` meaning "the stream must not exist yet".
NO_STREAM = 0


class UnitOfWork(Protocol):
    """One transaction on the write database: state changes and appended events commit together.

    Adapters expose their transaction handle (e.g. `connection`) so a context's own repository
    can change state tables inside the same transaction.
    """

    connection: Any

    def append(
        self,
        stream_id: str,
        stream_type: str,
        events: Sequence[NewEvent],
        expected_version: int | None = ANY_VERSION,
        metadata: EventMetadata | None = None,
    ) -> AppendResult:
        """Append to one stream after `expected_version` (ANY_VERSION: wherever it is);
        `metadata` defaults to the ambient correlation id and actor."""

    def append_many(self, appends: Sequence[StreamAppend]) -> list[int]:
        """Append to many streams in one statement, each after the version its writer knows
        (several appends may follow one another on a stream); return the positions written,
        in order. A stream that is not at that version fails it all with ConcurrencyConflict.
        """

    def change_and_append(
        self,
        change: Any,
        params: Mapping[str, Any],
        stream_id: str,
        stream_type: str,
        event: NewEvent,
    ) -> Any:
        """Run `change`, an UPDATE of one row that keeps its stream's version, and append
        `event` with the row's returned figures added to its data; return the row, or None
        (and append nothing) when the UPDATE matched no row."""

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the transaction has committed (never if it rolls back)."""

    @property
    def position(self) -> int:
        """The last log position this unit of work wrote (0 if none)."""


class EventStore(Protocol):
    """The append-only log: streams with optimistic concurrency, and a gap-free global order."""

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]: ...

    def append(
        self,
        stream_id: str,
        stream_type: str,
        events: Sequence[NewEvent],
        expected_version: int | None = ANY_VERSION,
        metadata: EventMetadata | None = None,
    ) -> AppendResult:
        """Append in a unit of work of its own."""

    def read_stream(
        self, stream_id: str, *, to_version: int | None = None, as_of: datetime | None = None
    ) -> list[RecordedEvent]:
        """One stream in version order, whole or up to a version or a time (time travel)."""

    def read_stream_backwards(
        self, stream_id: str, *, before_version: int | None = None, limit: int = 50
    ) -> list[RecordedEvent]:
        """At most `limit` events of one stream, newest first, below `before_version`
        (None: from its newest): a page of a stream too long to read whole."""

    def stream_version(self, stream_id: str) -> int:
        """The stream's current version; 0 when it does not exist."""

    def read_streams(self, stream_ids: Collection[str]) -> dict[str, list[RecordedEvent]]:
        """Several whole streams in one read, each in version order, by stream id (a stream
        with no events has no entry): what a page listing many streams expands."""

    def read_all(self, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Events after `after` in position order, never past `head()`, so none is skipped."""

    def read_range(
        self, after: int, up_to: int, limit: int, *, types: Collection[str] | None = None
    ) -> list[RecordedEvent]:
        """Events in (after, up_to] in order, only of `types` when given; `up_to` must not
        exceed a `head()` already read (a follower's own bound, such as a checkpoint)."""

    def head(self) -> int:
        """The highest position below which every event is committed or never will be."""

    def last_position(self) -> int:
        """The highest position written so far, committed or not (an upper bound for lag)."""

    def recorded_at(self, position: int) -> datetime | None:
        """When the event at `position` was recorded; None if there is none."""

    def count_between(self, after: int, up_to: int, cap: int) -> int:
        """How many events lie in (after, up_to], counting at most `cap`."""

    def check(self) -> None:
        """Raise if the database cannot be reached (readiness)."""

    def refresh_statistics(self, *tables: str) -> None:
        """Bring the planner's statistics of the log, and of the `tables` named, up to date:
        after a bulk load, before a rebuild reads the whole log."""

    def close(self) -> None: ...


class EventNotifier(Protocol):
    """Wakes tailing readers when events are appended, so they need not poll fast."""

    def token(self) -> int:
        """A counter that moves on every wake-up; pass it back to `wait`."""

    def notify_appended(self) -> None:
        """Called after a commit that appended events."""

    def wait(self, token: int, timeout: float) -> int:
        """Block until the counter moves past `token` or `timeout` passes; return the counter."""

    def close(self) -> None: ...
