"""Catalog pages for visitors without a session, served from memory.

A page for nobody in particular (no session: no name, no cart in its header) is the same
for every such visitor, so it is kept as rendered, with the CSRF marker that `respond` puts
each visitor's token in. It is kept beside the catalog's JSON pages and evicted by the same
log follower, by the same token (a page read across an eviction is never kept): when a
product it shows changes (price, stock, images) or when what browse lists does. A visitor
with a session gets a page rendered for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from polyshop.api.rest.dependencies import presented_token
from polyshop.api.web.storefront.pages import ANONYMOUS, Visitor, storefront_of


@dataclass(frozen=True, slots=True)
class Rendered:
    """A page and what it shows: the product documents whose changes make it stale."""

    body: bytes
    shown: Sequence[dict[str, Any]] = ()
    #: Its order follows sales (evicted whenever units ordered move).
    popular: bool = False
    status: int = 200
    #: Not to be kept (a page for a product not on sale, an error).
    keep: bool = True
    headers: dict[str, str] = field(default_factory=dict)


async def page(
    request: Request,
    key: str,
    render: Callable[[Visitor], Rendered | Response],
    *,
    viewed: str | None = None,
) -> Response:
    """`serve`, answering a page kept in memory on the event loop (no I/O: the lookup, the
    view count and the token are in memory), and anything else in a worker thread."""
    if presented_token(request) is None:
        body = storefront_of(request).container.catalog.cached_view(key.encode())
        if body is not None:
            return _from_memory(request, body, viewed)
    return await run_in_threadpool(serve, request, key, render, viewed=viewed)


def serve(
    request: Request,
    key: str,
    render: Callable[[Visitor], Rendered | Response],
    *,
    viewed: str | None = None,
) -> Response:
    """The page under `key` (the host, path and normalized choices): from memory for a
    visitor without a session, else rendered by `render(visitor)`. `viewed` names the
    product whose view a page from memory counts (its render counted the first)."""
    storefront = storefront_of(request)
    catalog = storefront.container.catalog
    if presented_token(request) is not None:
        page = render(storefront.visitor(request))
        return page if isinstance(page, Response) else _respond(request, page)
    cache_key = key.encode()
    body = catalog.cached_view(cache_key)
    if body is not None:
        return _from_memory(request, body, viewed)
    token = catalog.page_token()
    page = render(ANONYMOUS)
    if isinstance(page, Response):
        return page
    if page.keep and page.status == 200:
        catalog.keep_view(cache_key, page.body, page.shown, popular=page.popular, token=token)
        # Also under the URL as asked, for `fast_pages` to answer ahead of routing; only
        # without a query string, so made-up parameters cannot multiply the entries.
        asked = str(request.url).encode()
        if asked != cache_key and not request.url.query:
            catalog.keep_view(asked, page.body, page.shown, popular=page.popular, token=token)
    return _respond(request, page, private=False)


def _from_memory(request: Request, body: bytes, viewed: str | None) -> Response:
    storefront = storefront_of(request)
    if viewed is not None:
        storefront.container.catalog.viewed(viewed, None)
    return storefront.respond(request, body, private=False)


def fresh(request: Request, render: Callable[[Visitor], Rendered]) -> HTMLResponse:
    """The page rendered for this visitor, never kept."""
    storefront = storefront_of(request)
    token = presented_token(request)
    return _respond(request, render(storefront.visitor(request) if token else ANONYMOUS))


def _respond(request: Request, page: Rendered, *, private: bool = True) -> HTMLResponse:
    response = storefront_of(request).respond(request, page.body, page.status, private=private)
    response.headers.update(page.headers)
    return response
