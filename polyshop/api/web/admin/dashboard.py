"""The dashboard (/admin): how today goes and what needs a hand, at a glance.

Every figure comes from an application service, each a bounded, indexed query: today's
orders and paid revenue (`Orders.sales_on`, a per-day roll-up), paid orders waiting to ship
(`Orders.awaiting_shipment`), SKUs running out (`Inventory.low_stock`), the day's trending
products (`Analytics.trending`, drawn as the analytics page draws it) and how far behind
the log each read model is (`EventLog.list_projections`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from polyshop.analytics.domain import Window
from polyshop.analytics.service import Trending
from polyshop.api.web import charts
from polyshop.api.web.admin.access import AdminPage
from polyshop.api.web.admin.pages import admin_pages
from polyshop.api.web.storefront.pages import money
from polyshop.orders import admin_listing

router = APIRouter(include_in_schema=False)

#: A SKU with at most this many units available is "low".
LOW_STOCK_THRESHOLD = 5
LIST_LIMIT = 10


@dataclass(frozen=True, slots=True)
class Today:
    day: str
    orders: int
    paid_orders: int
    revenue: str


def today(sales_orders: int, paid: int, revenue: dict[str, Decimal], day: str) -> Today:
    shown = ", ".join(money(amount, currency) for currency, amount in sorted(revenue.items()))
    return Today(day, sales_orders, paid, shown or money(0))


@dataclass(frozen=True, slots=True)
class TrendingRow:
    product_id: str
    name: str
    views: int
    bar: Markup


def trending_rows(trending: Trending) -> list[TrendingRow]:
    """The day's most viewed products, each with a bar against the top one (the analytics
    page's own meter)."""
    top = max((trend.views for trend, _ in trending.products), default=0)
    rows = []
    for trend, doc in trending.products:
        name = str(doc.get("name") or trend.product_id)
        bar = charts.meter(trend.views, top, label=f"{name}: {trend.views:,} views")
        rows.append(TrendingRow(trend.product_id, name, trend.views, bar))
    return rows


@router.get("/admin")
def dashboard(request: Request, admin: AdminPage) -> HTMLResponse:
    """Today's figures, the work waiting, and the read models' health."""
    container = admin_pages(request).storefront.container
    now = datetime.now(UTC)
    day = now.date()
    sales = container.orders.sales_on(admin.viewer, day, day)
    waiting, waiting_total = container.orders.awaiting_shipment(admin.viewer, LIST_LIMIT)
    trending = container.analytics.trending(Window.DAY, LIST_LIMIT, now)
    return admin_pages(request).render(
        request,
        "dashboard.html",
        admin,
        today=today(sales.orders, sales.paid_orders, sales.revenue, day.isoformat()),
        waiting=waiting,
        waiting_total=waiting_total,
        waiting_capped=waiting_total >= admin_listing.COUNT_CAP,
        low_stock=container.inventory.low_stock(LOW_STOCK_THRESHOLD, LIST_LIMIT),
        low_stock_threshold=LOW_STOCK_THRESHOLD,
        trending=trending_rows(trending),
        projections=container.event_log.list_projections(),
    )
