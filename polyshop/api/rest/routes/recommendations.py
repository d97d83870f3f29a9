""" "You might also like": the products to show beside one product."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from polyshop.api.rest.dependencies import ContainerDep, presented_token
from polyshop.api.rest.models.analytics import RecommendationsOut
from polyshop.api.rest.openapi import problems
from polyshop.api.rest.route_errors import translating
from polyshop.api.rest.routes.products import ProductId, catalog_problem
from polyshop.recommendations.service import MAX_LIMIT

router = APIRouter(prefix="/api/v1", tags=["catalog"], route_class=translating(catalog_problem))


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
    recommender, token = container.recommender, presented_token(request)
    page = recommender.cached_page(product_id, limit) if token is None else None
    if page is None:  # a caller with a cart, or a product not ranked yet: off the loop
        page = await run_in_threadpool(recommender.page, product_id, limit, token)
    return Response(page, media_type="application/json")
