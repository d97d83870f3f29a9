"""Viewed together: visits read back from the analytics store, window by window.

A visit is one viewer's views within one window (30 minutes by default, aligned to the
clock). Windows are counted once they are closed, plus a margin for the view writer's
batches, and the progress moves with the counts in one transaction, so a crash
recounts nothing. Pairs that straddle two windows are missed: the price of windows that can
be counted independently and in order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog

from polyshop.analytics.ports import AnalyticsStore
from polyshop.eventstore.projections.ports import Lease
from polyshop.recommendations.ports import RecommendationGraph
from polyshop.recommendations.scoring import MAX_BASKET
from polyshop.runtime.periodic import Periodic, leased

log = structlog.get_logger(__name__)

WINDOW = timedelta(minutes=30)
#: Wait this long after a window closes before counting it: longer than the view writer's
#: flush interval (at most 10 s) and a retry or two.
MARGIN = timedelta(seconds=30)
#: Windows counted per run, so catching up after a long stop happens in steps.
WINDOWS_PER_RUN = 48


def count_co_views(
    analytics: AnalyticsStore,
    graph: RecommendationGraph,
    now: datetime,
    *,
    window: timedelta = WINDOW,
    limit: int = WINDOWS_PER_RUN,
) -> int:
    """Count the closed windows not yet counted; returns how many were."""
    start = graph.viewed_until()
    if start is None:
        first = analytics.first_signal_at()
        if first is None:
            return 0
        start = _floor(first, window)
    done = 0
    while done < limit and start + window + MARGIN <= now:
        end = start + window
        graph.add_co_views(
            analytics.co_views(start, end, max_products_per_visit=MAX_BASKET), until=end
        )
        start = end
        done += 1
    return done


def co_view_counter(
    analytics: AnalyticsStore,
    graph: RecommendationGraph,
    lease: Callable[[], Lease],
    interval: float,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Periodic:
    """The job, run by one process of a deployment at a time."""

    def run() -> None:
        if counted := count_co_views(analytics, graph, clock()):
            log.info("viewed-together windows counted", windows=counted)

    return leased("co-view-counter", interval, run, lease)


def _floor(at: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)
