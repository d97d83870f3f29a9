"""Failures of the event log that callers are expected to handle."""

from __future__ import annotations


class EventStoreError(Exception):
    """Base class for event store failures a caller can act on."""


class ConcurrencyConflict(EventStoreError):
    """The stream moved since the caller read it: reload and retry, or report; never merge."""

    def __init__(self, stream_id: str, expected: int | None, actual: int | None) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, the command expected {expected}"
        )


class SchemaMismatch(EventStoreError):
    """The database schema is ahead of (or unknown to) this code; refuse to run on it."""
