"""Catalog queries: products, the browse listing, search and suggestions.

Each answers from the same service call and with the same rules as its REST route (`GET
/api/v1/products[/{id}]`, `/products/search`, `/products/suggest`): the filters are checked
by REST's own `browse_filters`, so a bad one is the same 422 naming the same field. What a
list expands (documents by id, recommendations) goes through the operation's DataLoaders.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from polyshop.api.graphql import loaders
from polyshop.api.graphql.catalog_paging import (
    ProductConnection,
    SearchConnection,
    SearchFacets,
    edges_of,
    page_info,
    window,
)
from polyshop.api.graphql.catalog_types import Product
from polyshop.api.graphql.context import GraphQLContext, blocking
from polyshop.api.rest.dependencies import viewer_of
from polyshop.api.rest.problems import unprocessable
from polyshop.api.rest.routes.products import browse_filters
from polyshop.catalog import domain
from polyshop.catalog.queries import Browse, Sort
from polyshop.catalog.service import READ_MODEL
from polyshop.search.ports import MAX_QUERY_CHARS, SearchQuery, SearchSort
from polyshop.search.service import SearchTooDeep

Ctx = Info[GraphQLContext, None]


@strawberry.enum(
    description="`NEWEST` first, `PRICE_ASC`/`PRICE_DESC` by the cheapest variant, `NAME`, "
    "or `POPULAR`: most units ordered, net of orders cancelled, refunded or left unpaid."
)
class ProductSort(StrEnum):
    """REST's browse `sort` values (`Sort`), by the names GraphQL gives enum values."""

    NEWEST = Sort.NEWEST.value
    PRICE_ASC = Sort.PRICE_ASC.value
    PRICE_DESC = Sort.PRICE_DESC.value
    NAME = Sort.NAME.value
    POPULAR = Sort.POPULAR.value


@strawberry.enum(
    description="`RELEVANCE`, `PRICE_ASC`/`PRICE_DESC` by the cheapest variant, `NEWEST`."
)
class SearchOrder(StrEnum):
    """REST's search `sort` values (`SearchSort`)."""

    RELEVANCE = SearchSort.RELEVANCE.value
    PRICE_ASC = SearchSort.PRICE_ASC.value
    PRICE_DESC = SearchSort.PRICE_DESC.value
    NEWEST = SearchSort.NEWEST.value


MinPosition = Annotated[
    int | None,
    strawberry.argument(
        description="Read your own writes: wait until the read model holds the log up to "
        "this position (a write's `position`)."
    ),
]
_MAX_CATEGORY, _MAX_BRAND, _MAX_SUGGEST = 300, 100, 20


def _filters(
    category: str | None,
    brand: str | None,
    min_price: float | None,
    max_price: float | None,
    in_stock: bool | None,
) -> Browse:
    """The browse and search filters, checked as REST checks its query parameters."""
    if category is not None and len(category) > _MAX_CATEGORY:
        raise unprocessable("category", f"at most {_MAX_CATEGORY} characters")
    if brand is not None and len(brand) > _MAX_BRAND:
        raise unprocessable("brand", f"at most {_MAX_BRAND} characters")
    return browse_filters(
        category=category,
        brand=brand,
        min_price=None if min_price is None else Decimal(str(min_price)),
        max_price=None if max_price is None else Decimal(str(max_price)),
        in_stock=in_stock,
    )


def _counted(context: GraphQLContext, doc: dict[str, Any]) -> Product:
    """A product asked for by itself: a view of one on sale counts, as its REST page's."""
    if doc["status"] == domain.ACTIVE:
        context.container.catalog.viewed(str(doc["id"]), viewer_of(context.token))
        context.shown.viewed.append(str(doc["id"]))
    return Product.of(doc)


@strawberry.type
class CatalogQuery:
    @strawberry.field(
        description="One product by `id`, or by `slug` (the oldest product on sale whose "
        "name slugs to it, as the storefront's URLs): exactly one of them. Null when none."
    )
    async def product(
        self,
        info: Ctx,
        id: strawberry.ID | None = None,
        slug: str | None = None,
        min_position: MinPosition = None,
    ) -> Product | None:
        if (id is None) == (slug is None):
            raise unprocessable("id" if id is not None else "slug", "give exactly one of id, slug")
        context = info.context
        await context.read_at(READ_MODEL, min_position)
        if id is not None:
            doc = await loaders.documents(context).load(str(id).lower())
        else:
            doc = await blocking(context.container.catalog.product_with_slug, str(slug))
            context.shown.show(() if doc is None else (doc,))
        return None if doc is None else _counted(context, doc)

    @strawberry.field(description="The browse listing: active products, filtered and sorted.")
    async def products(
        self,
        info: Ctx,
        first: int = 20,
        after: str | None = None,
        category: str | None = None,
        brand: str | None = None,
        min_price: float | None = None,
        max_price: float | None = None,
        in_stock: bool | None = None,
        sort: ProductSort = ProductSort.NEWEST,
        min_position: MinPosition = None,
    ) -> ProductConnection:
        at = window(first, after)
        browse = _filters(category, brand, min_price, max_price, in_stock)
        context = info.context
        await context.read_at(READ_MODEL, min_position)
        documents, total = await blocking(
            context.container.catalog.listing,
            dataclasses.replace(browse, sort=Sort(sort.value)),
            limit=at.limit,
            offset=at.offset,
            fresh=bool(min_position),
        )
        context.shown.show(documents)
        context.shown.popular |= sort is ProductSort.POPULAR
        return ProductConnection.of(documents, at, total)

    @strawberry.field(
        description="Full-text search with the browse filters, facets over every match and "
        "typo correction (`exact: true` searches the words as typed)."
    )
    async def search(
        self,
        info: Ctx,
        query: str,
        first: int = 20,
        after: str | None = None,
        category: str | None = None,
        brand: str | None = None,
        min_price: float | None = None,
        max_price: float | None = None,
        in_stock: bool | None = None,
        sort: SearchOrder = SearchOrder.RELEVANCE,
        exact: bool = False,
        min_position: MinPosition = None,
    ) -> SearchConnection:
        _query_text("query", query)
        at = window(first, after)
        browse = _filters(category, brand, min_price, max_price, in_stock)
        search = info.context.container.search_service
        await info.context.read_at(search.read_model, min_position)
        wanted = SearchQuery(
            text=query,
            category=browse.category,
            brand=browse.brand,
            min_price=browse.min_price,
            max_price=browse.max_price,
            in_stock=browse.in_stock,
            sort=SearchSort(sort.value),
            limit=at.limit,
            offset=at.offset,
            exact=exact,
        )
        try:
            result = await blocking(search.search, wanted)
        except SearchTooDeep as exc:  # REST names its `page`; here the cursor is at fault
            raise unprocessable("after", str(exc)) from exc
        info.context.shown.show(result.documents)
        edges = edges_of(result.documents, at)
        return SearchConnection(
            edges=edges,
            page_info=page_info(edges, at.offset, result.total),
            total_count=result.total,
            facets=SearchFacets.of(result.facets),
            corrected_query=result.corrected,
            corrected=result.corrected,
        )

    @strawberry.field(description="Product names completing `prefix`, best first (1 to 20).")
    async def suggest(self, info: Ctx, prefix: str, limit: int = 8) -> list[str]:
        _query_text("prefix", prefix)
        if not 1 <= limit <= _MAX_SUGGEST:
            raise unprocessable("limit", f"must be between 1 and {_MAX_SUGGEST}")
        search = info.context.container.search_service
        return await blocking(search.suggest, prefix, limit)


def _query_text(name: str, text: str) -> None:
    if not 1 <= len(text) <= MAX_QUERY_CHARS:
        raise unprocessable(name, f"between 1 and {MAX_QUERY_CHARS} characters")
