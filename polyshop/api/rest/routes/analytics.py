"""Merchant analytics (admins): views, cart additions and sales over time, trending
products and the view -> cart -> order funnel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from polyshop.analytics.domain import Bucket, RangeError, TimeRange, Window, span
from polyshop.analytics.service import MAX_TRENDING, Analytics
from polyshop.api.rest.dependencies import AdminDep, ContainerDep
from polyshop.api.rest.models.analytics import (
    FunnelOut,
    PointOut,
    ProductSeriesOut,
    TrendingOut,
    TrendOut,
)
from polyshop.api.rest.models.timestamps import Timestamp
from polyshop.api.rest.openapi import problems
from polyshop.api.rest.problems import Problem, unprocessable
from polyshop.api.rest.routes.products import ProductId
from polyshop.catalog.domain import CURRENCY

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

Start = Annotated[
    Timestamp | None,
    Query(description="From this time (RFC 3339 with a zone); default: a range back from end."),
]
FUNNEL_DEFAULT = timedelta(days=7)
End = Annotated[
    Timestamp | None, Query(description="Up to this time (RFC 3339 with a zone); default: now.")
]
_NO_PRODUCT = (404, "No product with this id.")
_RANGE = (
    422,
    "An input breaks a rule (`errors` names it): start after end, or a range of more than "
    "10,000 buckets (the problem names a bucket that fits).",
)


def _range(start: datetime | None, end: datetime | None, bucket: Bucket) -> TimeRange:
    try:
        return TimeRange.of(start, end, bucket, datetime.now(UTC))
    except RangeError as exc:
        raise unprocessable(exc.field, str(exc)) from exc


def _known(analytics: Analytics, product_id: str) -> None:
    if analytics.product(product_id) is None:
        raise Problem(404, f"No product {product_id!r}.", slug="product-not-found")


@router.get("/trending", responses=problems(401, 403, 422, 503))
async def trending(
    container: ContainerDep,
    _: AdminDep,
    window: Annotated[
        Window, Query(description="`hour` or `day`: the window counted, back from now.")
    ] = Window.HOUR,
    limit: Annotated[int, Query(ge=1, le=MAX_TRENDING, description="How many at most.")] = 20,
) -> TrendingOut:
    """The most viewed products of the last hour or day, with growth against the one before."""
    found = await run_in_threadpool(container.analytics.trending, window, limit, datetime.now(UTC))
    return TrendingOut(
        window=found.window.value,
        start=found.start,
        end=found.end,
        products=[
            TrendOut(
                product_id=trend.product_id,
                name=doc["name"],
                brand=doc["brand"],
                views=trend.views,
                previous_views=trend.previous_views,
                growth=trend.growth,
            )
            for trend, doc in found.products
        ],
    )


@router.get("/products/{product_id}/views", responses=problems(401, 403, _NO_PRODUCT, _RANGE, 503))
async def product_series(
    product_id: ProductId,
    container: ContainerDep,
    _: AdminDep,
    bucket: Annotated[
        Bucket, Query(description="`minute`, `hour` or `day`: one point per bucket.")
    ] = Bucket.HOUR,
    start: Start = None,
    end: End = None,
) -> ProductSeriesOut:
    """Views, cart additions, units sold and revenue of one product per time bucket."""
    rng = _range(start, end, bucket)

    def load() -> ProductSeriesOut:
        _known(container.analytics, product_id)
        points = container.analytics.series(product_id, rng)
        return ProductSeriesOut(
            product_id=product_id,
            bucket=bucket.value,
            start=rng.start,
            end=rng.end,
            currency=CURRENCY,
            points=[PointOut.model_validate(point, from_attributes=True) for point in points],
        )

    return await run_in_threadpool(load)


@router.get(
    "/products/{product_id}/funnel",
    responses=problems(
        401,
        403,
        _NO_PRODUCT,
        (422, "An input breaks a rule (`errors` names it): start after end."),
        503,
    ),
)
async def product_funnel(
    product_id: ProductId,
    container: ContainerDep,
    _: AdminDep,
    start: Start = None,
    end: End = None,
) -> FunnelOut:
    """Views, cart additions and orders of one product over a range, with conversion rates."""
    try:
        start, end = span(start, end, datetime.now(UTC), FUNNEL_DEFAULT)
    except RangeError as exc:
        raise unprocessable(exc.field, str(exc)) from exc

    def load() -> FunnelOut:
        _known(container.analytics, product_id)
        funnel = container.analytics.funnel(product_id, start, end)
        return FunnelOut(
            product_id=product_id,
            start=start,
            end=end,
            views=funnel.views,
            cart_adds=funnel.cart_adds,
            orders=funnel.orders,
            view_to_cart=funnel.view_to_cart,
            cart_to_order=funnel.cart_to_order,
        )

    return await run_in_threadpool(load)
