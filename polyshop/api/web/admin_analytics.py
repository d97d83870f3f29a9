"""The admin analytics page: server-rendered HTML with inline SVG charts.

Merchants read analytics in a browser, so this is one HTML response: no JavaScript, nothing
fetched from elsewhere, usable offline and behind strict networks. It shows what
`polyshop.analytics.service.Analytics` answers: the trending products of the last hour and
day, and for one product its views, cart additions, units and revenue per bucket and its
view → cart → order funnel.

Who may see it is decided by the JSON API's own check (`current_viewer` then
`require_admin`), so the page admits exactly whom `/api/v1/admin` admits, the operator token
included. Where the API would answer a problem document, a browser gets a login form with
the same status instead; it signs in through `Accounts.login`, like `POST /api/v1/auth/login`,
and gets the same session cookie. A bad query (unknown bucket, unreadable time, too long a
range, unknown product) is explained on the page with 422 or 404, never a 500.

Each request does its blocking work (session lookup, database queries, rendering) in one
worker thread hop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from polyshop.accounts.domain import AccountError
from polyshop.accounts.service import InvalidCredentials
from polyshop.accounts.throttle import Throttled
from polyshop.analytics.domain import Bucket, RangeError, TimeRange, Window
from polyshop.analytics.service import Funnel, Point, Trending
from polyshop.api.rest.dependencies import (
    ContainerDep,
    current_viewer,
    presented_token,
    require_admin,
)
from polyshop.api.rest.problems import Problem, clip

# The JSON login's own cookie setter, so both logins set the same cookie (name, lifetime,
# HttpOnly, SameSite=Lax, Secure over HTTPS).
from polyshop.api.rest.routes.accounts import set_session_cookie
from polyshop.api.web import charts
from polyshop.catalog.domain import is_product_id
from polyshop.container import Container
from polyshop.ttlstore.errors import StoreUnavailable

router = APIRouter(include_in_schema=False)

PAGE_PATH = "/admin/analytics"
LOGIN_PATH = "/admin/login"
TRENDING_LIMIT = 20
#: Longer query values are no product id or time anyone typed; refuse them before parsing.
MAX_PARAM_LENGTH = 64
#: The login form has three fields; a body with many more is no browser's.
MAX_FORM_FIELDS = 10

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

_UNAVAILABLE = "Sessions are unavailable for a moment; retry shortly."
_LABEL_FORMATS = {Bucket.MINUTE: "%Y-%m-%d %H:%M", Bucket.HOUR: "%Y-%m-%d %H:00"}


class PageError(Exception):
    """A request the page cannot answer as asked: shown on the page with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Filters:
    """The query as given (blank when absent), echoed back into the form."""

    product: str = ""
    bucket: str = Bucket.HOUR.value
    start: str = ""
    end: str = ""


@dataclass(frozen=True, slots=True)
class Selection:
    product_id: str | None
    rng: TimeRange


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


# --- routes -------------------------------------------------------------------------------


@router.get(PAGE_PATH, response_class=HTMLResponse)
async def analytics_page(
    request: Request,
    container: ContainerDep,
    product: str | None = None,
    bucket: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> HTMLResponse:
    """Trending products, and one product's charts when `product` names one."""
    filters = Filters(
        product=(product or "").strip(),
        bucket=(bucket or "").strip().lower() or Bucket.HOUR.value,
        start=(start or "").strip(),
        end=(end or "").strip(),
    )
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return await run_in_threadpool(
        _answer_page, container, request, filters, here, datetime.now(UTC)
    )


@router.post(LOGIN_PATH, response_class=HTMLResponse)
async def admin_login(request: Request, container: ContainerDep) -> Response:
    """Sign in from the page's form (urlencoded email, password, next); 303 to the page."""
    if not same_origin(request):
        message = "Sign in from this shop's own page."
        return render(Page(403, login=LoginForm(message)))
    form = parse_form(await request.body()) or {}
    email, password = form.get("email", "").strip(), form.get("password", "")
    target = safe_next(form.get("next", ""))
    if not email or not password:
        message = "Enter the email and password of an admin account."
        return render(Page(422, login=LoginForm(message, email, target)))
    client = request.client.host if request.client else "unknown"
    return await run_in_threadpool(
        _answer_login, container, request, email, password, client, target
    )


# --- one thread hop per request -----------------------------------------------------------


def _answer_page(
    container: Container, request: Request, filters: Filters, here: str, now: datetime
) -> HTMLResponse:
    denied = _admin_denial(container, request, here)
    if denied is not None:
        return render(denied)
    analytics = container.analytics
    trending = [
        trending_view(analytics.trending(window, TRENDING_LIMIT, now), filters)
        for window in (Window.HOUR, Window.DAY)
    ]
    try:
        selection = parse_selection(filters, now)
        product = None
        if selection.product_id is not None:
            doc = analytics.product(selection.product_id)
            if doc is None:
                raise PageError(404, f"No product {clip(selection.product_id)!r}.")
            points = analytics.series(selection.product_id, selection.rng)
            funnel = analytics.funnel(selection.product_id, selection.rng.start, selection.rng.end)
            product = product_view(doc, selection.rng, points, funnel)
    except PageError as exc:
        return render(Page(exc.status, error=exc.message, filters=filters, trending=trending))
    return render(Page(filters=filters, trending=trending, product=product))


def _admin_denial(container: Container, request: Request, here: str) -> Page | None:
    """None for an admin; otherwise the login page with the status the API would answer."""
    try:
        require_admin(current_viewer(request, container))
    except Problem as exc:
        message = (
            "This account is not an admin. Sign in with an admin account."
            if exc.status == 403
            else "Sign in with an admin account to see analytics."
        )
        return Page(exc.status, login=LoginForm(message, next=here), headers=exc.headers or {})
    except StoreUnavailable:
        return _unavailable(LoginForm(_UNAVAILABLE, next=here))
    return None


def _answer_login(
    container: Container, request: Request, email: str, password: str, client: str, target: str
) -> Response:
    token = presented_token(request)
    try:
        session = container.accounts.sessions.resolve(token) if token else None
        current = (token, session) if token and session else None
        signed = container.accounts.login(email, password, client, current=current)
    except (InvalidCredentials, AccountError):
        return render(Page(401, login=LoginForm("The email or password is wrong.", email, target)))
    except Throttled as exc:
        message = f"Too many attempts; retry in {exc.retry_after} s."
        headers = {"Retry-After": str(exc.retry_after)}
        return render(Page(429, login=LoginForm(message, email, target), headers=headers))
    except StoreUnavailable:
        return _unavailable(LoginForm(_UNAVAILABLE, email, target))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, signed.issued)
    return response


def _unavailable(form: LoginForm) -> Page:
    """The session store is down: nobody can be checked or signed in just now (503)."""
    return Page(503, login=form, headers={"Retry-After": str(StoreUnavailable.retry_after_seconds)})


# --- pure parts: parsing, view models, rendering --------------------------------------------


def parse_selection(filters: Filters, now: datetime) -> Selection:
    """The product and time range asked for; PageError (422, 404) names what is wrong."""
    try:
        bucket = Bucket(filters.bucket)
    except ValueError:
        raise PageError(422, "bucket: must be one of minute, hour, day.") from None
    start, end = _instant("start", filters.start), _instant("end", filters.end)
    try:
        rng = TimeRange.of(start, end, bucket, now)
    except RangeError as exc:
        raise PageError(422, f"{exc.field}: {exc}.") from None
    except (OverflowError, OSError, ValueError):
        raise PageError(422, "start, end: the range reaches past the dates we can count.") from None
    product = filters.product or None
    if product is not None and not is_product_id(product):
        raise PageError(404, f"No product {clip(product)!r}.")
    return Selection(product, rng)


def parse_form(body: bytes) -> dict[str, str] | None:
    """An urlencoded form's first value per field (python-multipart is not installed, and a
    login form needs no more); None for a body with more fields than any form of ours."""
    try:
        fields = parse_qs(
            body.decode("utf-8", errors="replace"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError:
        return None
    return {name: values[0] for name, values in fields.items()}


def same_origin(request: Request) -> bool:
    """A form post from another site (login CSRF: signing a victim into an attacker's
    account) carries that site's Origin; browsers send Origin on every cross-site POST.
    Requests without one (scripts, old clients) cannot be cross-site form posts."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def safe_next(value: str) -> str:
    """Where to go after signing in: the analytics page with the query it was opened with,
    and nowhere else (an open redirect would hand a phishing link our domain)."""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path != PAGE_PATH:
        return PAGE_PATH
    return PAGE_PATH + (f"?{parts.query}" if parts.query else "")


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


def _instant(name: str, value: str) -> datetime | None:
    if not value:
        return None
    if len(value) > MAX_PARAM_LENGTH:
        raise PageError(422, f"{name}: is too long for a date-time.")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise PageError(
            422, f"{name}: {value!r} is not an ISO 8601 date-time like 2025-05-01T12:00."
        ) from None


def _growth(growth: float | None, views: int) -> str:
    if growth is None:
        return "new" if views else "n/a"
    return f"{growth * 100:+.1f}%"


def _label(start: datetime, bucket: Bucket) -> str:
    return start.strftime(_LABEL_FORMATS.get(bucket, "%Y-%m-%d"))


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
