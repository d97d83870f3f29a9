"""The analytics store: an append-only time series of shopper signals, asked in buckets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from polyshop.analytics.domain import Kind, Signals, TimeRange, Trend

#: Pairs counted per window at most (both ways round).
MAX_PAIRS = 200_000


@dataclass(frozen=True, slots=True)
class CoViews:
    """Products seen in the same visit: pair counts (each pair once per visit, both ways
    round) and the number of visits that saw each product."""

    pairs: list[tuple[str, str, int]]
    visits: dict[str, int]


class AnalyticsStore(Protocol):
    def append(self, signals: Signals) -> None:
        """Write a batch; one writer per process calls this, a few times a second."""

    def series(self, kind: Kind, product_id: str, rng: TimeRange) -> dict[datetime, int]:
        """Signals of one kind for one product per bucket start (empty buckets left out)."""

    def trending(
        self, start: datetime, end: datetime, previous_start: datetime, limit: int
    ) -> list[Trend]:
        """The most viewed products in [start, end), with their views in [previous_start,
        start) beside them."""

    def totals(self, product_id: str, start: datetime, end: datetime) -> dict[Kind, int]:
        """Signals per kind for one product in [start, end)."""

    def co_views(
        self,
        start: datetime,
        end: datetime,
        *,
        max_products_per_visit: int,
        max_pairs: int = MAX_PAIRS,
    ) -> CoViews:
        """What was viewed together in [start, end): one visit is one viewer's views in the
        range. Visits that saw more products than `max_products_per_visit` are left out:
        crawlers and bots, whose pairs are noise and grow with the square of their views.
        Only the `max_pairs` most frequent pairs come back, which bounds what one window
        costs to count whatever the traffic."""

    def first_signal_at(self) -> datetime | None: ...

    def purge_before(self, cutoff: datetime) -> None:
        """Forget signals of the UTC days that ended by `cutoff` (retention works in whole
        days: a partitioned store drops a day at a time)."""

    def check(self) -> None:
        """Raise when the store cannot be reached (readiness)."""

    def close(self) -> None: ...
