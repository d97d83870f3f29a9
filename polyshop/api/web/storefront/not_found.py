"""Error pages for browsers: a path outside the API that serves nothing answers a page in
the shop's look (404, 405) to a GET that prefers HTML; the API and every other client keep
their problem+json.

The JSON handler installed by `polyshop.api.rest.problems` is kept and called for all else,
so this only adds a face to the refusals it already explains.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from polyshop.api.web.storefront.catalog_view import layout
from polyshop.api.web.storefront.pages import storefront_of

Handler = Callable[[Request, Any], Response | Awaitable[Response]]

_PAGES = {
    404: ("Page not found", "There is nothing at this address. Try searching the shop."),
    405: ("Not available", "This address cannot be opened this way. Go back and try again."),
}


def not_found(request: Request, title: str, message: str) -> Response:
    """A 404 page for a product or category that is not there."""
    return _page(request, 404, title, message)


def _page(request: Request, status: int, title: str, message: str) -> Response:
    """The message page in the shop's layout (the visitor and the category navigation are
    read from the stores: call it in a worker thread)."""
    storefront = storefront_of(request)
    return storefront.render(
        request,
        "message.html",
        status,
        title=title,
        message=message,
        **layout(storefront.container),
    )


def prefers_html(request: Request) -> bool:
    """Whether the client ranks HTML above JSON (a browser navigating), by Accept's q."""
    ranks: dict[str, float] = {}
    for part in request.headers.get("accept", "").split(","):
        kind, *options = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranks[kind.lower()] = max(q, ranks.get(kind.lower(), 0.0))
    html = ranks.get("text/html", 0.0)
    return html > 0 and html >= ranks.get("application/json", 0.0)


def install(app: FastAPI) -> None:
    problem: Handler = app.exception_handlers[StarletteHTTPException]

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        browsing = (
            exc.status_code in _PAGES
            and request.method in ("GET", "HEAD")
            and not request.url.path.startswith("/api/")
            and prefers_html(request)
        )
        if not browsing:
            return await _answer(problem, request, exc)
        title, message = _PAGES[exc.status_code]
        response = await run_in_threadpool(_page, request, exc.status_code, title, message)
        if exc.status_code == 405:  # the methods this path takes, as the API names them
            allowed = (await _answer(problem, request, exc)).headers.get("Allow")
            if allowed:
                response.headers["Allow"] = allowed
        return response

    app.add_exception_handler(StarletteHTTPException, on_http)


async def _answer(handler: Handler, request: Request, exc: Exception) -> Response:
    answer = handler(request, exc)
    return await answer if inspect.isawaitable(answer) else answer
