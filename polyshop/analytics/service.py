"""The questions merchants ask, answered from the analytics store (views, cart additions)
and the sales read model (units, revenue, orders), with product names from the catalog."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from polyshop.analytics import sales
from polyshop.analytics.domain import Bucket, Kind, TimeRange, Trend, Window, dense
from polyshop.analytics.ports import AnalyticsStore
from polyshop.catalog.queries import documents_by_id

MAX_TRENDING = 100
#: Seconds a trending answer is reused. A day-long window changes by a fraction of a percent
#: in a minute, and on the server store each answer aggregates an hourly roll-up of up to
#: millions of rows; the hour window is cheap (raw rows, one hour) and kept fresher.
TRENDING_TTL = {"hour": 5.0, "day": 60.0}


@dataclass(frozen=True, slots=True)
class Point:
    start: datetime
    views: int
    cart_adds: int
    units: int
    revenue: Decimal


@dataclass(frozen=True, slots=True)
class Funnel:
    views: int
    cart_adds: int
    orders: int

    @property
    def view_to_cart(self) -> float | None:
        return round(self.cart_adds / self.views, 4) if self.views else None

    @property
    def cart_to_order(self) -> float | None:
        return round(self.orders / self.cart_adds, 4) if self.cart_adds else None


@dataclass(frozen=True, slots=True)
class Trending:
    window: Window
    start: datetime
    end: datetime
    products: list[tuple[Trend, dict[str, Any]]]


class Analytics:
    def __init__(
        self,
        store: AnalyticsStore,
        catalog: Engine,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._catalog = catalog
        self._clock = clock
        self._trending: dict[tuple[Window, int], tuple[float, Trending]] = {}

    def product(self, product_id: str) -> dict[str, Any] | None:
        with self._catalog.connect() as connection:
            docs = documents_by_id(connection, [product_id])
        return docs[0] if docs else None

    def series(self, product_id: str, rng: TimeRange) -> list[Point]:
        """Views, cart additions, units sold and revenue of one product per bucket."""
        views = self.store.series(Kind.VIEW, product_id, rng)
        adds = self.store.series(Kind.CART_ADD, product_id, rng)
        sold = sales.sales_series(self._catalog, product_id, rng)
        zero = (0, Decimal("0.00"))
        return [
            Point(start, int(n), int(adds.get(start, 0)), *sold.get(start, zero))
            for start, n in dense(rng, views)
        ]

    def trending(self, window: Window, limit: int, now: datetime) -> Trending:
        """The most viewed products of the last hour or day, with growth against the window
        before. A day is counted in whole hours (the current one so far), which lets the
        server store answer from its hourly roll-up. Answers are reused for TRENDING_TTL."""
        key = (window, min(limit, MAX_TRENDING))
        cached = self._trending.get(key)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        answer = self._compute_trending(window, key[1], now)
        self._trending[key] = (self._clock() + TRENDING_TTL[window.value], answer)
        return answer

    def _compute_trending(self, window: Window, limit: int, now: datetime) -> Trending:
        end = Bucket.HOUR.floor(now) + timedelta(hours=1) if window is Window.DAY else now
        start = end - window.length
        elapsed = min((now - start) / window.length, 1.0)
        found = [
            dataclasses.replace(trend, elapsed=elapsed)
            for trend in self.store.trending(start, end, start - window.length, limit)
        ]
        with self._catalog.connect() as connection:
            docs = {d["id"]: d for d in documents_by_id(connection, [t.product_id for t in found])}
        return Trending(
            window,
            start,
            end,
            [(trend, docs[trend.product_id]) for trend in found if trend.product_id in docs],
        )

    def funnel(self, product_id: str, start: datetime, end: datetime) -> Funnel:
        totals = self.store.totals(product_id, start, end)
        return Funnel(
            views=totals[Kind.VIEW],
            cart_adds=totals[Kind.CART_ADD],
            orders=sales.orders_with(self._catalog, product_id, start, end),
        )
