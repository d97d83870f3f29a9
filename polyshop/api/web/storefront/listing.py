"""Category pages: `/c/{path}`, the products of a category and those below it, with facets
(brand, price, in stock), sorts, pages, the categories below and breadcrumbs."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from polyshop.api.web.storefront import html_cache
from polyshop.api.web.storefront.catalog_view import (
    PAGE_SIZE,
    absolute,
    breadcrumb_ld,
    cache_key,
    card,
    category_path,
    children,
    crumbs,
    label,
    page_html,
)
from polyshop.api.web.storefront.listing_params import (
    Params,
    brand_links,
    pagination,
    price_links,
    sort_links,
    stock_link,
)
from polyshop.api.web.storefront.not_found import not_found
from polyshop.api.web.storefront.pages import Visitor
from polyshop.catalog.queries import Browse, Sort

router = APIRouter()

SORTS = {
    Sort.NEWEST: "Newest",
    Sort.POPULAR: "Popular",
    Sort.PRICE_ASC: "Price: low to high",
    Sort.PRICE_DESC: "Price: high to low",
    Sort.NAME: "Name",
}
DEFAULT = Sort.NEWEST.value


@router.get("/c/{path:path}", response_class=HTMLResponse)
async def category_page(request: Request, path: str) -> Response:
    category = path.strip("/").lower()
    params = Params.of(request, [s.value for s in SORTS], DEFAULT)
    here = category_path(category)
    key = cache_key(request, here + params.query(DEFAULT, page=params.page))
    return await html_cache.page(request, key, lambda v: _render(request, category, params, v))


def _render(
    request: Request, category: str, params: Params, visitor: Visitor
) -> html_cache.Rendered | Response:
    container = request.app.state.container
    counts = container.catalog.categories()
    if category not in counts:
        return not_found(request, "No such category", "This category has no products.")
    browse = Browse(
        category=category,
        brand=params.brand,
        min_price=params.min_price,
        max_price=params.max_price,
        in_stock=True if params.in_stock else None,
        sort=Sort(params.sort),
    )
    listing = orjson.loads(container.catalog.browse(browse, page=params.page, limit=PAGE_SIZE))
    facets = container.catalog.facets(browse)
    here = category_path(category)
    trail = crumbs(category)
    total = int(listing["total"])
    pages = pagination(here, params, total, PAGE_SIZE, DEFAULT)
    sorts = {s.value: name for s, name in SORTS.items()}
    context: dict[str, Any] = {
        "heading": label(category.rsplit("/", 1)[-1]),
        "params": params,
        "total": total,
        "cards": [card(p) for p in listing["products"]],
        "subcategories": children(container, category),
        "facets": {
            "brands": brand_links(here, params, facets.brands, DEFAULT),
            "prices": price_links(here, params, facets.price_ranges, DEFAULT),
            "stock": stock_link(here, params, facets.in_stock, DEFAULT),
        },
        "sorts": sort_links(here, params, sorts, DEFAULT),
        "pages": pages,
        "trail": trail,
        "breadcrumbs_ld": breadcrumb_ld(request, trail),
        "canonical": absolute(request, here + Params(DEFAULT).query(DEFAULT, page=params.page)),
    }
    body = page_html(request, "category.html", visitor, **context)
    return html_cache.Rendered(body, listing["products"], popular=browse.sort is Sort.POPULAR)
