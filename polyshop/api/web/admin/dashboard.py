"""The dashboard (/admin): how today goes and what needs a hand, at a glance.

Every figure comes from an application service, each a bounded, indexed query: today's
orders and paid revenue (UTC day, `Orders.sales_between`), paid orders waiting to ship
(`Orders.awaiting_shipment`), SKUs running out (`Inventory.low_stock`), the day's trending
products (`Analytics.trending`, drawn as the analytics page draws it) and how far behind
the log each read model is (`EventLog.list_projections`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from polyshop.analytics.domain import Window
from polyshop.api.web import charts
from polyshop.api.web.admin.access import AdminPage
from polyshop.api.web.admin.pages import admin_pages
from polyshop.api.web.storefront.pages import money

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


def trending_chart(products: list[tuple[str, int]]) -> Markup:
    return charts.hbar_chart(
        products, title="Most viewed products in the last day", label_width=170
    )


@router.get("/admin")
def dashboard(request: Request, admin: AdminPage) -> HTMLResponse:
    """Today's figures, the work waiting, and the read models' health."""
    container = admin_pages(request).storefront.container
    now = datetime.now(UTC)
    start = datetime.combine(now.date(), time(), UTC)
    sales = container.orders.sales_between(admin.viewer, start, start + timedelta(days=1))
    waiting, waiting_total = container.orders.awaiting_shipment(admin.viewer, LIST_LIMIT)
    trending = container.analytics.trending(Window.DAY, LIST_LIMIT, now)
    names = [(str(doc.get("name") or t.product_id), t.views) for t, doc in trending.products]
    return admin_pages(request).render(
        request,
        "dashboard.html",
        admin,
        today=today(sales.orders, sales.paid_orders, sales.revenue, start.date().isoformat()),
        waiting=waiting,
        waiting_total=waiting_total,
        low_stock=container.inventory.low_stock(LOW_STOCK_THRESHOLD, LIST_LIMIT),
        low_stock_threshold=LOW_STOCK_THRESHOLD,
        trending=trending_chart(names) if names else None,
        projections=container.event_log.list_projections(),
    )
