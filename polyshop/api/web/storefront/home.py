"""The home page, `/`: the category tree's top as tiles, what sells now, and what is new."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from polyshop.api.web.storefront import html_cache
from polyshop.api.web.storefront.catalog_view import absolute, cache_key, card, children, page_html
from polyshop.api.web.storefront.pages import Visitor
from polyshop.catalog.queries import Browse, Sort

router = APIRouter()
SHOWN = 8


@router.get("/")
async def home_page(request: Request) -> Response:
    return await html_cache.page(request, cache_key(request, "/"), lambda v: _render(request, v))


def _render(request: Request, visitor: Visitor) -> html_cache.Rendered:
    container = request.app.state.container
    catalog = container.catalog
    popular = orjson.loads(catalog.browse(Browse(sort=Sort.POPULAR), page=1, limit=SHOWN))
    newest = orjson.loads(catalog.browse(Browse(sort=Sort.NEWEST), page=1, limit=SHOWN))
    tops = children(container, "")
    body = page_html(
        request,
        "home.html",
        visitor,
        tiles={top.path: children(container, top.path)[:4] for top in tops},
        popular=[card(p) for p in popular["products"]],
        newest=[card(p) for p in newest["products"]],
        canonical=absolute(request, "/"),
    )
    return html_cache.Rendered(body, [*popular["products"], *newest["products"]], popular=True)
