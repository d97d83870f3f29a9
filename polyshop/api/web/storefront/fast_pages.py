"""Storefront pages kept in memory, answered ahead of routing.

A visitor without a session (no bearer token, no session cookie) asking for a page that
`html_cache` kept under this very URL gets it straight from memory: no routing, no
dependency resolution, no worker thread. What differs per visitor is put in here as
`Storefront.respond` would: their CSRF token (and a CSRF cookie when they have none yet).
A product page served so counts a view, as its route does. Anything else goes on.
"""

from __future__ import annotations

import re

from starlette.datastructures import URL, Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from polyshop.api.rest.dependencies import token_in
from polyshop.api.web.storefront.pages import Storefront
from polyshop.api.web.storefront.security import CSRF_COOKIE, csrf_cookie_header, with_token

ROUTE = "storefront (from memory)"
_PRODUCT = re.compile(r"^/p/([0-9a-fA-F-]{36})/")
_NOT_PAGES = ("/api/", "/media/", "/static/", "/docs", "/redoc", "/admin")


class CachedStorefrontPages:
    def __init__(self, app: ASGIApp, *, storefront: Storefront) -> None:
        self.app = app
        self.storefront = storefront
        self._headers = [
            (name.lower().encode(), value.encode()) for name, value in storefront.headers.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"].startswith(_NOT_PAGES)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if token_in(headers) is not None:
            await self.app(scope, receive, send)
            return
        catalog = self.storefront.container.catalog
        body = catalog.cached_view(str(URL(scope=scope)).encode())
        if body is None:
            await self.app(scope, receive, send)
            return
        if product := _PRODUCT.match(scope["path"]):
            catalog.viewed(product[1].lower(), None)
        scope["polyshop.route"] = ROUTE
        await self._send(scope, send, headers, body)

    async def _send(self, scope: Scope, send: Send, headers: Headers, body: bytes) -> None:
        csrf = self.storefront.csrf
        value, new = csrf.cookie_of_value(cookie_parser(headers.get("cookie", "")).get(CSRF_COOKIE))
        extra: list[tuple[bytes, bytes]] = []
        if new:
            cookie = csrf_cookie_header(value, secure=scope.get("scheme") == "https")
            extra.append((b"set-cookie", cookie.encode()))
        page = with_token(body, csrf.token_for(value))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(page)).encode()),
                    (b"cache-control", b"private, no-cache"),
                    *self._headers,
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": page})
