"""Search results: `/search?q=`, with the category pages' facets, sorts and pages, from the
search service (its index, with typo tolerance)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from polyshop.api.web.storefront import html_cache
from polyshop.api.web.storefront.catalog_view import PAGE_SIZE, absolute, cache_key, card, page_html
from polyshop.api.web.storefront.listing_params import (
    Params,
    brand_links,
    pagination,
    price_links,
    sort_links,
)
from polyshop.api.web.storefront.pages import Visitor
from polyshop.search.ports import SearchQuery, SearchResult, SearchSort
from polyshop.search.service import MAX_OFFSET

router = APIRouter()

SORTS = {
    SearchSort.RELEVANCE: "Best match",
    SearchSort.NEWEST: "Newest",
    SearchSort.PRICE_ASC: "Price: low to high",
    SearchSort.PRICE_DESC: "Price: high to low",
}
DEFAULT = SearchSort.RELEVANCE.value
PATH = "/search"


@router.get(PATH, response_class=HTMLResponse)
def search_page(request: Request) -> Response:
    params = Params.of(request, [s.value for s in SORTS], DEFAULT)
    if (params.page - 1) * PAGE_SIZE >= MAX_OFFSET:
        params = replace(params, page=1)
    key = cache_key(request, PATH + params.query(DEFAULT, page=params.page))
    container = request.app.state.container
    if container.search_service.read_model != container.catalog.read_model:
        # Its own index may lag the product documents the cache is evicted by: a page
        # rendered between the two would be kept stale. Rendered for each visitor.
        return html_cache.fresh(request, lambda v: _render(request, params, v))
    return html_cache.serve(request, key, lambda v: _render(request, params, v))


def _search(request: Request, params: Params) -> SearchResult | None:
    if not params.q:
        return None
    return request.app.state.container.search_service.search(
        SearchQuery(
            text=params.q,
            brand=params.brand,
            min_price=params.min_price,
            max_price=params.max_price,
            in_stock=True if params.in_stock else None,
            sort=SearchSort(params.sort),
            limit=PAGE_SIZE,
            offset=(params.page - 1) * PAGE_SIZE,
            exact=params.exact,
        )
    )


def _render(request: Request, params: Params, visitor: Visitor) -> html_cache.Rendered:
    result = _search(request, params)
    total = result.total if result else 0
    sorts = {s.value: name for s, name in SORTS.items()}
    facets: dict[str, Any] = {}
    if result is not None:
        ranges = [(b.low, b.high, b.count) for b in result.facets.price_ranges]
        facets = {
            "brands": brand_links(PATH, params, result.facets.brands, DEFAULT),
            "prices": price_links(PATH, params, ranges, DEFAULT),
        }
    body = page_html(
        request,
        "search.html",
        visitor,
        params=params,
        search_query=params.q or "",
        total=total,
        corrected=result.corrected if result else None,
        exact_url=PATH + params.query(DEFAULT, exact=True),
        cards=[card(d) for d in result.documents] if result else [],
        subcategories=[],
        facets=facets,
        sorts=sort_links(PATH, params, sorts, DEFAULT),
        pages=pagination(PATH, params, total, PAGE_SIZE, DEFAULT),
        canonical=absolute(request, PATH + Params(DEFAULT, q=params.q).query(DEFAULT)),
    )
    return html_cache.Rendered(body, result.documents if result else [])
