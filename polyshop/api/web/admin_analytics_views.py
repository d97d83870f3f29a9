"""The admin analytics page's view models and rendering: what the template reads, built
from what `polyshop.analytics.service.Analytics` answers, and the HTML response.

No I/O here beyond reading the template: the page's routes gather the answers first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from polyshop.analytics.domain import Bucket, TimeRange, Window
from polyshop.analytics.service import Funnel, Point, Trending
from polyshop.api.web import charts
from polyshop.api.web.admin_analytics_forms import LOGIN_PATH, PAGE_PATH, Filters

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

#: No script, no outside resource, no framing: the page needs only its inline styles and SVG.
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

_LABEL_FORMATS = {Bucket.MINUTE: "%Y-%m-%d %H:%M", Bucket.HOUR: "%Y-%m-%d %H:00"}


@dataclass(frozen=True, slots=True)
class TrendRow:
    name: str
    brand: str
    link: str
    views: int
    previous_views: int
    growth: str
    bar: Markup


@dataclass(frozen=True, slots=True)
class TrendingView:
    title: str
    since: str
    rows: list[TrendRow]


@dataclass(frozen=True, slots=True)
class ProductView:
    id: str
    name: str
    brand: str
    period: str
    totals: list[tuple[str, str]]
    charts: list[Markup]
    funnel: Markup


@dataclass(frozen=True, slots=True)
class LoginForm:
    message: str
    email: str = ""
    next: str = PAGE_PATH


@dataclass(frozen=True, slots=True)
class Page:
    """Everything the template reads; a login form replaces the rest when `login` is set."""

    status: int = 200
    login: LoginForm | None = None
    error: str | None = None
    filters: Filters = field(default_factory=Filters)
    trending: list[TrendingView] = field(default_factory=list)
    product: ProductView | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def trending_view(trending: Trending, filters: Filters) -> TrendingView:
    top = max((trend.views for trend, _ in trending.products), default=0)
    rows = []
    for trend, doc in trending.products:
        name = str(doc.get("name") or trend.product_id)
        query = {"product": trend.product_id, "bucket": filters.bucket}
        rows.append(
            TrendRow(
                name=name,
                brand=str(doc.get("brand") or ""),
                link=f"{PAGE_PATH}?{urlencode(query)}",
                views=trend.views,
                previous_views=trend.previous_views,
                growth=_growth(trend.growth, trend.views),
                bar=charts.meter(trend.views, top, label=f"{name}: {trend.views:,} views"),
            )
        )
    title = (
        "Trending in the last hour"
        if trending.window is Window.HOUR
        else "Trending in the last day"
    )
    return TrendingView(title, f"{_time(trending.start)} to {_time(trending.end)} UTC", rows)


def product_view(
    doc: Mapping[str, Any], rng: TimeRange, points: Sequence[Point], funnel: Funnel
) -> ProductView:
    labels = [_label(p.start, rng.bucket) for p in points]
    revenue = sum((p.revenue for p in points), Decimal("0.00"))

    def series(
        title: str,
        values: Sequence[float],
        *,
        line: bool = False,
        fmt: charts.Formatter = charts.number,
    ) -> Markup:
        pairs = list(zip(labels, values, strict=True))
        name = f"{title} per {rng.bucket.value}"
        if line:
            return charts.line_chart(pairs, title=name, fmt=fmt)
        return charts.series_chart(pairs, title=name, fmt=fmt)

    return ProductView(
        id=str(doc.get("id", "")),
        name=str(doc.get("name") or doc.get("id", "")),
        brand=str(doc.get("brand") or ""),
        period=f"{_time(rng.start)} to {_time(rng.end)} UTC, per {rng.bucket.value}",
        totals=[
            ("Views", f"{funnel.views:,}"),
            ("Cart additions", f"{funnel.cart_adds:,}"),
            ("Orders", f"{funnel.orders:,}"),
            ("Units sold", f"{sum(p.units for p in points):,}"),
            ("Revenue", f"{revenue:,.2f}"),
        ],
        charts=[
            series("Views", [p.views for p in points], line=True),
            series("Cart additions", [p.cart_adds for p in points]),
            series("Units sold", [p.units for p in points]),
            series("Revenue", [float(p.revenue) for p in points], fmt=charts.money),
        ],
        funnel=funnel_chart(funnel),
    )


def funnel_chart(funnel: Funnel) -> Markup:
    return charts.hbar_chart(
        [("Views", funnel.views), ("Cart additions", funnel.cart_adds), ("Orders", funnel.orders)],
        title="Funnel: views, cart additions, orders",
        notes=[
            "",
            f"{charts.percent(funnel.view_to_cart)} of views",
            f"{charts.percent(funnel.cart_to_order)} of cart additions",
        ],
    )


def render(page: Page) -> HTMLResponse:
    html = _templates.get_template("admin_analytics.html").render(
        page=page, buckets=[b.value for b in Bucket], page_path=PAGE_PATH, login_path=LOGIN_PATH
    )
    return HTMLResponse(html, status_code=page.status, headers={**_HEADERS, **page.headers})


def _growth(growth: float | None, views: int) -> str:
    if growth is None:
        return "new" if views else "n/a"
    return f"{growth * 100:+.1f}%"


def _label(start: datetime, bucket: Bucket) -> str:
    return start.strftime(_LABEL_FORMATS.get(bucket, "%Y-%m-%d"))


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
