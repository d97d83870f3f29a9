""" "You might also like": the products to show beside one product."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from polyshop.api.rest.dependencies import ContainerDep, presented_token
from polyshop.api.rest.models.analytics import RecommendationOut, RecommendationsOut
from polyshop.api.rest.models.catalog import ProductOut
from polyshop.api.rest.openapi import problems
from polyshop.api.rest.problems import Problem
from polyshop.api.rest.routes.products import ProductId
from polyshop.catalog.domain import is_product_id
from polyshop.container import Container
from polyshop.recommendations.service import MAX_LIMIT, Recommendation, pick
from polyshop.ttlstore.errors import StoreUnavailable

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.get(
    "/products/{product_id}/recommendations",
    responses={
        200: {"model": RecommendationsOut},
        **problems((404, "No product with this id."), 422),
    },
    openapi_extra={"security": [{}, {"session": []}]},
)
async def recommendations(
    product_id: ProductId,
    request: Request,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many at most.")] = 8,
) -> Response:
    """Products bought or viewed together with this one, else similar ones: never this
    product, one out of stock or discontinued, or one already in the caller's cart."""
    if not is_product_id(product_id):  # no such product, and nothing to cache or look up
        raise Problem(404, f"No product {product_id!r}.", slug="product-not-found")
    recommender = container.recommender
    token = presented_token(request)
    ranked = recommender.cache.get(product_id) if token is None else None
    if ranked is not None and ranked.found:  # no session, no cart: served on the loop
        page = ranked.rendered.get(limit)
        if page is None:
            page = ranked.rendered[limit] = _render(product_id, pick(ranked, limit) or [])
        return Response(page, media_type="application/json")
    found = await run_in_threadpool(
        lambda: recommender.recommend(product_id, limit, _in_cart(container, token))
    )
    if found is None:
        raise Problem(404, f"No product {product_id!r}.", slug="product-not-found")
    return Response(_render(product_id, found), media_type="application/json")


def _render(product_id: str, found: list[Recommendation]) -> bytes:
    return (
        RecommendationsOut(
            product_id=product_id,
            recommendations=[
                RecommendationOut(product=ProductOut.of(r.document), score=r.score, reason=r.reason)
                for r in found
            ],
        )
        .model_dump_json()
        .encode()
    )


def _in_cart(container: Container, token: str | None) -> set[str]:
    """The products in the caller's cart; none for a caller without a live session, and
    none while the cart store is down (recommendations still answer)."""
    if token is None:
        return set()
    try:
        session = container.accounts.sessions.resolve(token)
        if session is None:
            return set()
        lines = container.carts.store.snapshot(session.cart_owner).lines
    except StoreUnavailable:
        return set()
    return {line.product_id for line in lines}
