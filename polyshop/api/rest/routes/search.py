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
from polyshop.api.rest.openapi import READ_WAIT, problems
from polyshop.api.rest.pagination import Page, PageParams
from polyshop.api.rest.problems import Problem, unprocessable
from polyshop.api.rest.route_errors import translating
from polyshop.api.rest.routes.products import BrowseDep
from polyshop.container import Container
from polyshop.search.ports import MAX_QUERY_CHARS, SearchQuery, SearchSort
from polyshop.search.service import SearchTooDeep


def search_problem(exc: Exception) -> Problem | None:
    """Search's errors as problems."""
    if isinstance(exc, SearchTooDeep):
        return unprocessable("page", str(exc))
    return None


router = APIRouter(
    prefix="/api/v1/products", tags=["search"], route_class=translating(search_problem)
)


class PriceRangeOut(BaseModel):
    """A bucket of the price facet, by each matching product's base price."""

    from_: Amount = Field(serialization_alias="from", description="Lowest price in the bucket.")
    to: Amount | None = Field(description="Price the bucket stops below; null: no upper end.")
    count: int = Field(description="Matching products in the bucket.")


class FacetsOut(BaseModel):
    """Counts over every match of the query and filters, not just this page."""

    brands: dict[str, int] = Field(description="Matching products per brand.")
    categories: dict[str, int] = Field(description="Matching products per category path.")
    price_ranges: list[PriceRangeOut]


class SearchOut(Page):
    """A page of search results (best first, or in the sort asked for) with facets."""

    results: list[ProductOut]
    facets: FacetsOut
    corrected_query: str | None = Field(
        default=None,
        description="The words searched for when a typo in `q` was corrected (each word as "
        "the catalog has it); null when `q` was searched as typed. Pass `exact=true` to "
        "search the words as typed.",
    )
    corrected: str | None = Field(
        default=None,
        deprecated=True,
        description="The same as `corrected_query`, under its first name; kept for the "
        "clients written against 0.14.",
    )


class SuggestOut(BaseModel):
    suggestions: list[str] = Field(description="Product names, best completion first.")


Q = Annotated[
    str,
    Query(
        min_length=1,
        max_length=MAX_QUERY_CHARS,
        description="Search words, matched in any letter case with typo tolerance.",
        examples=["laptop"],
    ),
]


def _read_model(container: Container) -> str:
    """The read model search answers from, as the search service knows it."""
    return container.search_service.read_model


#: `min_position` for the read model search answers from, awaited before the route runs.
MinPosition = Annotated[int | None, Depends(read_model_at(_read_model))]


@router.get(
    "/search",
    response_model_by_alias=True,
    responses=problems(
        (422, "An input breaks a rule (`errors` names it); pages stop at 10,000 results."),
        *READ_WAIT,
    ),
)
def search_products(
    q: Q,
    container: ContainerDep,
    page: Annotated[PageParams, Query()],
    browse: BrowseDep,
    sort: Annotated[
        SearchSort,
        Query(
            description="`relevance` (the default), `price_asc` and `price_desc` by the "
            "cheapest variant's price, or `newest`."
        ),
    ] = SearchSort.RELEVANCE,
    exact: Annotated[
        bool, Query(description="Search the words as typed, without typo correction.")
    ] = False,
    min_position: MinPosition = None,
) -> SearchOut:
    """Full-text search with the browse filters, and facets over every match."""
    result = container.search_service.search(
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
            exact=exact,
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
        corrected_query=result.corrected,
        corrected=result.corrected,
        **page.envelope(result.total),
    )


@router.get("/suggest", responses=problems(422))
async def suggest_products(
    q: Q,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=20, description="How many names at most.")] = 8,
) -> SuggestOut:
    """Product names completing what has been typed so far."""
    names = await run_in_threadpool(container.search_service.suggest, q, limit)
    return SuggestOut(suggestions=names)
