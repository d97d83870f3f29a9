"""What analytics records and the rules its questions obey. No I/O.

Views are not events of the log: at 100 million a day they would drown it, and nothing is
decided from one. They are signals, written in batches to an analytics store built for
time buckets (DuckDB embedded, a time-partitioned PostgreSQL table in server mode).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class Kind(StrEnum):
    VIEW = "view"
    CART_ADD = "cart_add"


@dataclass(frozen=True, slots=True)
class Signal:
    """One shopper action on one product. `viewer` is a 63-bit key (see `viewer_key`): of
    the session token for views, of the cart's owner for cart additions; None for a caller
    who presented no session."""

    kind: Kind
    product_id: str
    viewer: int | None
    #: Microseconds since the epoch: cheaper to take and to hand to a store than a datetime.
    at_us: int


@dataclass(slots=True)
class Signals:
    """A batch of signals as four columns. The recorder buffers these rather than one
    object per signal: 20,000 small objects a second would each be tracked by the garbage
    collector, and its full collections (100 ms here) would stall every request in flight.
    Strings and integers in lists cost it nothing."""

    kinds: list[Kind] = field(default_factory=list)
    product_ids: list[str] = field(default_factory=list)
    viewers: list[int | None] = field(default_factory=list)
    at_us: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, signals: Iterable[Signal]) -> Signals:
        batch = cls()
        for s in signals:
            batch.add(s.kind, s.product_id, s.viewer, s.at_us)
        return batch

    def add(self, kind: Kind, product_id: str, viewer: int | None, at_us: int) -> None:
        self.kinds.append(kind)
        self.product_ids.append(product_id)
        self.viewers.append(viewer)
        self.at_us.append(at_us)

    def __len__(self) -> int:
        return len(self.kinds)

    def slice(self, start: int, stop: int) -> Signals:
        return Signals(
            self.kinds[start:stop],
            self.product_ids[start:stop],
            self.viewers[start:stop],
            self.at_us[start:stop],
        )

    def prepend(self, older: Signals) -> None:
        self.kinds[:0] = older.kinds
        self.product_ids[:0] = older.product_ids
        self.viewers[:0] = older.viewers
        self.at_us[:0] = older.at_us


def viewer_key(token: str) -> int:
    """A stable, anonymous key for a session token: enough to group one shopper's views
    into a visit, useless for recovering the token (it is a hash prefix)."""
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest()) >> 1


def to_us(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000)


def from_us(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, UTC)


class Bucket(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"

    @property
    def seconds(self) -> int:
        return {"minute": 60, "hour": 3600, "day": 86400}[self.value]

    @property
    def micros(self) -> int:
        return self.seconds * 1_000_000

    def floor(self, at: datetime) -> datetime:
        """The start of the bucket holding `at` (buckets are aligned to UTC)."""
        epoch = int(at.timestamp())
        return datetime.fromtimestamp(epoch - epoch % self.seconds, UTC)


#: A series longer than this is refused: ten years of minutes is 5 million points, which no
#: chart can draw and no client wants; the error names the coarser bucket that fits.
MAX_POINTS = 10_000


class RangeError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A half-open range [start, end) cut into buckets."""

    start: datetime
    end: datetime
    bucket: Bucket

    @classmethod
    def of(
        cls, start: datetime | None, end: datetime | None, bucket: Bucket, now: datetime
    ) -> TimeRange:
        """Validate a requested range; by default the last 24 hours (or 100 buckets of
        days). Naive times are taken as UTC."""
        try:
            return cls._of(start, end, bucket, now)
        except (OverflowError, OSError, ValueError) as exc:
            if isinstance(exc, RangeError):
                raise
            raise RangeError(
                "start", "the range reaches past the dates that can be counted"
            ) from exc

    @classmethod
    def _of(
        cls, start: datetime | None, end: datetime | None, bucket: Bucket, now: datetime
    ) -> TimeRange:
        end = _utc(end) if end is not None else now
        default_span = timedelta(days=100) if bucket is Bucket.DAY else timedelta(days=1)
        start = _utc(start) if start is not None else end - default_span
        if start >= end:
            raise RangeError("start", "start must be before end")
        start, end = bucket.floor(start), _ceil(bucket, end)
        points = int((end - start).total_seconds()) // bucket.seconds
        if points > MAX_POINTS:
            coarser = next(
                (
                    b.value
                    for b in Bucket
                    if int((end - start).total_seconds()) // b.seconds <= MAX_POINTS
                ),
                None,
            )
            advice = f"; use bucket={coarser}" if coarser else "; use a shorter range"
            raise RangeError(
                "bucket",
                f"{points} {bucket.value} buckets requested, at most {MAX_POINTS}{advice}",
            )
        return cls(start, end, bucket)

    def starts(self) -> list[datetime]:
        step = timedelta(seconds=self.bucket.seconds)
        count = int((self.end - self.start).total_seconds()) // self.bucket.seconds
        return [self.start + i * step for i in range(count)]


def span(
    start: datetime | None, end: datetime | None, now: datetime, default: timedelta
) -> tuple[datetime, datetime]:
    """An unbucketed range [start, end): by default the `default` up to now."""
    try:
        end = _utc(end) if end is not None else now
        start = _utc(start) if start is not None else end - default
    except (OverflowError, OSError, ValueError) as exc:
        raise RangeError("start", "the range reaches past the dates that can be counted") from exc
    if start >= end:
        raise RangeError("start", "start must be before end")
    return start, end


def dense(rng: TimeRange, counts: Mapping[datetime, float]) -> list[tuple[datetime, float]]:
    """Every bucket of the range, zero where nothing happened (a chart needs the gaps)."""
    return [(start, counts.get(start, 0)) for start in rng.starts()]


class Window(StrEnum):
    HOUR = "hour"
    DAY = "day"

    @property
    def length(self) -> timedelta:
        return timedelta(hours=1) if self is Window.HOUR else timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Trend:
    product_id: str
    views: int
    previous_views: int
    #: How much of its length the window has run (a day counted in whole hours is part way
    #: through its last one): the window before is scaled by it, so growth compares like
    #: with like.
    elapsed: float = 1.0

    @property
    def growth(self) -> float | None:
        """Relative change against the window before; None when that window saw nothing
        (infinite growth is no number a client can sort or plot)."""
        expected = self.previous_views * self.elapsed
        if expected == 0:
            return None
        return round((self.views - expected) / expected, 4)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _ceil(bucket: Bucket, at: datetime) -> datetime:
    floor = bucket.floor(at)
    return floor if floor == at else floor + timedelta(seconds=bucket.seconds)
