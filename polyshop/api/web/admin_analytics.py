"""The admin analytics page: server-rendered HTML with inline SVG charts.

Merchants read analytics in a browser, so this is one HTML response: no JavaScript, nothing
fetched from elsewhere, usable offline and behind strict networks. It shows what
`polyshop.analytics.service.Analytics` answers: the trending products of the last hour and
day, and for one product its views, cart additions, units and revenue per bucket and its
view → cart → order funnel.

Who may see it is decided by the JSON API's own check (`current_viewer` then
`require_admin`), so the page admits exactly whom `/api/v1/admin` admits, the operator token
included. Where the API would answer a problem document, a browser gets a login form with
the same status instead; it posts to the admin's sign-in (`polyshop.api.web.admin.signin`),
which signs in through `Accounts.login` and sets the API's session cookie. A bad query
(unknown bucket, unreadable time, too long a range, unknown product) is explained on the
page with 422 or 404, never a 500.

Each request does its blocking work (session lookup, database queries, rendering) in one
worker thread hop. This module holds the routes and that hop; reading the query and the
login form is `admin_analytics_forms`, the view models and rendering `admin_analytics_views`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from polyshop.analytics.domain import Bucket, Window
from polyshop.api.rest.dependencies import ContainerDep, current_viewer, require_admin
from polyshop.api.rest.problems import Problem, clip
from polyshop.api.web.admin_analytics_forms import (
    LOGIN_PATH,
    PAGE_PATH,
    Filters,
    PageError,
    Selection,
    parse_form,
    parse_selection,
    safe_next,
    same_origin,
)
from polyshop.api.web.admin_analytics_views import (
    LoginForm,
    Page,
    ProductView,
    TrendingView,
    TrendRow,
    funnel_chart,
    product_view,
    render,
    trending_view,
)
from polyshop.container import Container
from polyshop.ttlstore.errors import StoreUnavailable

# The page's parts, importable from the page (its tests read them here).
__all__ = [
    "LOGIN_PATH",
    "PAGE_PATH",
    "Filters",
    "LoginForm",
    "Page",
    "PageError",
    "ProductView",
    "Selection",
    "TrendRow",
    "TrendingView",
    "funnel_chart",
    "parse_form",
    "parse_selection",
    "product_view",
    "render",
    "router",
    "safe_next",
    "same_origin",
    "trending_view",
]

router = APIRouter(include_in_schema=False)

TRENDING_LIMIT = 20
_UNAVAILABLE = "Sessions are unavailable for a moment; retry shortly."


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


def _unavailable(form: LoginForm) -> Page:
    """The session store is down: nobody can be checked or signed in just now (503)."""
    return Page(503, login=form, headers={"Retry-After": str(StoreUnavailable.retry_after_seconds)})
