"""Product search and autocomplete (declared before /products/{id} so the paths win)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from polyshop.api.rest.dependencies import ContainerDep, read_model_at
from polyshop.api.rest.models.catalog import ProductOut
from polyshop.api.rest.models.money import Amount
from polyshop.api.rest.pagination import Page, PageParams
from polyshop.api.rest.problems import unprocessable
from polyshop.api.rest.routes.products import BrowseDep
from polyshop.container import Container
from polyshop.search.ports import MAX_QUERY_CHARS, SearchQuery, SearchSort

router = APIRouter(prefix="/api/v1/products", tags=["search"])


class PriceRangeOut(BaseModel):
    from_: Amount = Field(serialization_alias="from")
    to: Amount | None
    count: int


class FacetsOut(BaseModel):
    brands: dict[str, int]
    categories: dict[str, int]
    price_ranges: list[PriceRangeOut]


class SearchOut(Page):
    results: list[ProductOut]
    facets: FacetsOut


class SuggestOut(BaseModel):
    suggestions: list[str]


Q = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="search words")]


def _read_model(container: Container) -> str:
    """The read model search answers from: its own index (Tantivy) or the documents."""
    names = container.runner.names
    return "search_index" if "search_index" in names else "product_documents"


#: `min_position` for the read model search answers from, awaited before the route runs.
MinPosition = Annotated[int | None, Depends(read_model_at(_read_model))]


@router.get("/search", response_model_by_alias=True)
def search_products(
    q: Q,
    container: ContainerDep,
    page: Annotated[PageParams, Query()],
    browse: BrowseDep,
    sort: SearchSort = SearchSort.RELEVANCE,
    min_position: MinPosition = None,
) -> SearchOut:
    """Full-text search with the browse filters, and facets over every match."""
    if page.offset >= 10_000:
        raise unprocessable("page", "search pages stop at 10,000 results; narrow the query")
    result = container.search.search(
        SearchQuery(
            text=q,
            category=browse.category,
            brand=browse.brand,
            min_price=browse.min_price,
            max_price=browse.max_price,
            in_stock=browse.in_stock,
            sort=sort,
            limit=page.limit,
            offset=page.offset,
        )
    )
    return SearchOut(
        results=[ProductOut.of(d) for d in result.documents],
        facets=FacetsOut(
            brands=result.facets.brands,
            categories=result.facets.categories,
            price_ranges=[
                PriceRangeOut(
                    from_=Decimal(b.low),
                    to=None if b.high is None else Decimal(b.high),
                    count=b.count,
                )
                for b in result.facets.price_ranges
            ],
        ),
        **page.envelope(result.total),
    )


@router.get("/suggest")
async def suggest_products(
    q: Q, container: ContainerDep, limit: Annotated[int, Query(ge=1, le=20)] = 8
) -> SuggestOut:
    """Product names completing what has been typed so far."""
    names = await run_in_threadpool(container.search.suggest, q, limit)
    return SuggestOut(suggestions=names)
