"""The time the shop records: aware UTC datetimes, whatever the database hands back.

Pure values, no I/O beyond reading the clock: any context may import this without
depending on an event store adapter.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, as an aware UTC datetime: the default clock of the stores and commands."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; every time polyshop stores is UTC."""
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
