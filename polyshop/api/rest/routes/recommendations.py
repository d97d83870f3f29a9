""" "You might also like": the products to show beside one product."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from polyshop.api.rest.dependencies import ContainerDep, presented_token
from polyshop.api.rest.models.analytics import RecommendationOut, RecommendationsOut
from polyshop.api.rest.models.catalog import ProductOut
from polyshop.api.rest.problems import Problem
from polyshop.container import Container
from polyshop.ttlstore.errors import StoreUnavailable

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.get("/products/{product_id}/recommendations")
async def recommendations(
    product_id: str,
    request: Request,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> RecommendationsOut:
    """Products bought or viewed together with this one, else similar ones: never this
    product, one out of stock or discontinued, or one already in the caller's cart."""
    token = presented_token(request)

    def load() -> RecommendationsOut:
        found = container.recommender.recommend(product_id, limit, _in_cart(container, token))
        if found is None:
            raise Problem(404, f"No product {product_id!r}.", slug="product-not-found")
        return RecommendationsOut(
            product_id=product_id,
            recommendations=[
                RecommendationOut(product=ProductOut.of(r.document), score=r.score, reason=r.reason)
                for r in found
            ],
        )

    return await run_in_threadpool(load)


def _in_cart(container: Container, token: str | None) -> set[str]:
    """The products in the caller's cart; none for a caller without a live session, and
    none while the cart store is down (recommendations still answer)."""
    if token is None:
        return set()
    try:
        session = container.accounts.sessions.resolve(token)
        if session is None:
            return set()
        return {
            line.product_id for line in container.carts.store.snapshot(session.cart_owner).lines
        }
    except StoreUnavailable:
        return set()
