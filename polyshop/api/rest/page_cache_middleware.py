"""Product pages and browse listings served straight from the page cache, ahead of routing
and validation.

A cached page is already the exact response body, so a hit needs none of the framework's
per-request work. Listings are keyed by their query string and live until the next change
to the catalog or to stock (the cache's eviction epoch). Anything else (a miss,
`min_position`, another path) goes on to the real route, which fills the cache. Both ask the
catalog service, which counts a product view in one place whoever serves the page.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from polyshop.api.rest.dependencies import token_in, viewer_of
from polyshop.api.rest.middleware import send_response
from polyshop.catalog.service import Catalog

ROUTE = "/api/v1/products/{product_id}"
LISTING = "/api/v1/products"
_PATH = re.compile(r"^/api/v1/products/([0-9a-fA-F-]{36})$")


class CachedProductPages:
    def __init__(self, app: ASGIApp, *, catalog: Catalog) -> None:
        self.app = app
        self.catalog = catalog

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        query: bytes = scope["query_string"]
        if scope["path"] == LISTING and b"min_position" not in query:
            listing = self.catalog.cached_listing(query)
            if listing is not None:
                scope["polyshop.route"] = LISTING
                await send_response(send, 200, b"application/json", listing)
                return
        if not query:
            match = _PATH.match(scope["path"])
            page = (
                self.catalog.cached_page(match[1], viewer_of(token_in(Headers(scope=scope))))
                if match
                else None
            )
            if page is not None:
                scope["polyshop.route"] = ROUTE  # for the metrics and the access log
                await send_response(send, 200, b"application/json", page)
                return
        await self.app(scope, receive, send)
