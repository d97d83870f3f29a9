"""Rendering a storefront page: the templates, the layout's data (who is visiting, their
cart), the headers every page sends, and the CSRF cookie its forms need.

`Storefront` is built once per app (`install`); routes call `render(request, "page.html",
...)`. Blocking work (session lookup, cart, rendering) happens in the route's worker thread:
routes are plain `def`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from polyshop.accounts.domain import User
from polyshop.accounts.ports import Session
from polyshop.api.rest.dependencies import presented_token
from polyshop.api.web.storefront.assets import Assets
from polyshop.api.web.storefront.security import (
    TOKEN_MARKER,
    Csrf,
    content_security_policy,
    page_headers,
    set_csrf_cookie,
    with_token,
)
from polyshop.container import Container
from polyshop.ttlstore.errors import StoreUnavailable

TEMPLATES = Path(__file__).parent / "templates"
SHOP_NAME = "polyshop"


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who is looking: nobody known (no session), a guest with a session, or a customer."""

    token: str | None
    session: Session | None
    user: User | None
    cart_count: int

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    @property
    def cart_owner(self) -> str | None:
        return self.session.cart_owner if self.session else None


ANONYMOUS = Visitor(None, None, None, 0)


#: What every page's layout shows of the shop (the category navigation), by the container.
Layout = Callable[[Container], dict[str, Any]]


class Storefront:
    def __init__(self, container: Container, layout: Layout = lambda _: {}) -> None:
        self.container = container
        self.layout = layout
        self.assets = Assets()
        self.critical_css = self.assets.text("shop.css")
        self.csrf = Csrf(("csrf:" + (container.web_secret or _process_key())).encode())
        base = container.settings.media_base_url
        self.policy = content_security_policy(self.critical_css, _origin(base))
        self.headers = page_headers(self.policy)
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html", "xml"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            shop_name=SHOP_NAME,
            asset=self.assets.url,
            critical_css=Markup(self.critical_css),  # noqa: S704 (our own file)
            csrf_field=Markup(  # noqa: S704 (a constant)
                f'<input type="hidden" name="csrf" value="{TOKEN_MARKER}">'
            ),
        )
        self.env.filters.update(money=money, query=query_string, json_ld=json_ld)

    def visitor(self, request: Request) -> Visitor:
        """The visitor behind the request's session cookie (or bearer token)."""
        token = presented_token(request)
        if token is None:
            return ANONYMOUS
        accounts = self.container.accounts
        try:
            session = accounts.session_of(token)
        except StoreUnavailable:
            return ANONYMOUS
        if session is None:
            return ANONYMOUS
        user = accounts.get_user(session.user_id) if session.user_id else None
        return Visitor(token, session, user, self._cart_count(session))

    def _cart_count(self, session: Session) -> int:
        try:
            cart = orjson.loads(self.container.carts.view(session.cart_owner))
        except StoreUnavailable:
            return 0
        return sum(int(item["quantity"]) for item in cart["items"])

    def html(self, template: str, **context: Any) -> bytes:
        """A page's HTML with the CSRF marker in its forms (cacheable as it is)."""
        return self.env.get_template(template).render(**context).encode()

    def respond(
        self, request: Request, body: bytes, status: int = 200, *, private: bool = True
    ) -> HTMLResponse:
        """`body` with this visitor's CSRF token put in, and the headers of every page."""
        cookie, new = self.csrf.cookie_of(request)
        response = HTMLResponse(
            with_token(body, self.csrf.token_for(cookie)), status_code=status, headers=self.headers
        )
        # Even a page from the shared cache carries this visitor's token: never for a proxy.
        response.headers["Cache-Control"] = "private, no-store" if private else "private, no-cache"
        if new:
            set_csrf_cookie(request, response, cookie)
        return response

    def render(
        self,
        request: Request,
        template: str,
        status: int = 200,
        *,
        visitor: Visitor | None = None,
        **context: Any,
    ) -> HTMLResponse:
        who = visitor if visitor is not None else self.visitor(request)
        shown = {**self.layout(self.container), **context}
        body = self.html(template, visitor=who, request_path=request.url.path, **shown)
        return self.respond(request, body, status)


def install(app: FastAPI, container: Container, layout: Layout) -> Storefront:
    storefront = Storefront(container, layout)
    app.state.storefront = storefront
    return storefront


def storefront_of(request: Request) -> Storefront:
    storefront: Storefront = request.app.state.storefront
    return storefront


def money(amount: Any, currency: str = "USD") -> str:
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    return f"{symbol}{value:,}" if symbol else f"{value:,} {currency}"


def query_string(params: dict[str, Any], **changes: Any) -> str:
    """`params` with `changes` applied (None removes), as `?a=1&b=2` ("" when empty)."""
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v is not None and v != ""}
    return "?" + urlencode(kept, doseq=True) if kept else ""


def json_ld(data: Any) -> Markup:
    """JSON for a `<script type="application/ld+json">`: `<`, `>` and `&` escaped, so no
    text from the catalog can close the script element."""
    text = orjson.dumps(data).decode()
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 (escaped above)


def _origin(url: str | None) -> str:
    if not url:
        return ""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _process_key() -> str:
    """A server with no secret to share at all signs with a key of this process: forms then
    work only against the process that served them (one worker), which is said once."""
    structlog.get_logger(__name__).warning(
        "no POLYSHOP_SECRET_KEY (nor an operator token or webhook secret) to sign the pages' "
        "CSRF tokens with: each process makes its own, so forms fail across workers"
    )
    return secrets.token_hex(32)
