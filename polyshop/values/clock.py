"""The time the shop records: aware UTC datetimes, whatever the database hands back.

Pure values, no I/O beyond reading the clock: any context may import this without
depending on an event store adapter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    """Now, as an aware UTC datetime: the default clock of the stores and commands."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; every time polyshop stores is UTC."""
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def in_utc(value: datetime) -> datetime | None:
    """`value` in UTC (a naive one taken as UTC), or None when UTC cannot hold it.

    The calendar stops at years 1 and 9999, so a moment such as 0001-01-01T00:00+05:00
    lies before it in UTC: converting raises OverflowError, which every face that reads a
    time from its caller must answer as the caller's mistake (422), not a crash (500).
    """
    try:
        return as_utc(value)
    except OverflowError:
        return None


def day_after(moment: datetime) -> datetime | None:
    """The moment a day later, or None past the calendar's end (9999-12-31 has no next day)."""
    try:
        return moment + timedelta(days=1)
    except OverflowError:
        return None
