"""Analytics data does not live forever: a daily chore drops the days past retention.

At the brief's 100 million views a day the store would otherwise grow by gigabytes a day.
One process of a deployment runs it (a lease); dropping a day twice is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from polyshop.analytics.ports import AnalyticsStore
from polyshop.eventstore.projections.ports import Lease
from polyshop.runtime.periodic import Periodic, leased

INTERVAL = 3600.0


def analytics_retention(
    store: AnalyticsStore,
    days: int,
    lease: Callable[[], Lease],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Periodic:
    """Every hour, forget the signals of days that ended more than `days` days ago."""

    def purge() -> None:
        store.purge_before(clock() - timedelta(days=days))

    return leased("analytics-retention", INTERVAL, purge, lease)
