"""Rendering an admin page: the admin's templates, the layout's data (the shop, the nav, who
is signed in), and the headers every admin response sends.

The storefront's machinery is reused, not copied: its CSRF key and cookie (one token per
visitor for both faces), its static files (`/static/admin.css` beside `shop.css`), its
security headers. What differs: a policy with no inline style at all (the admin links its
stylesheet), and `no-store` on every page (admin figures are never cached anywhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.routing import Match

from polyshop.api.web.admin import nav
from polyshop.api.web.storefront.pages import SHOP_NAME, Storefront, money, query_string
from polyshop.api.web.storefront.security import (
    TOKEN_MARKER,
    content_security_policy,
    page_headers,
    set_csrf_cookie,
    with_token,
)

if TYPE_CHECKING:
    from polyshop.api.web.admin.access import Admin

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


class AdminPages:
    def __init__(self, storefront: Storefront, routed: list[str], media_origin: str = "") -> None:
        """`routed`: the admin paths the app serves (which nav entries and links to show)."""
        self.storefront = storefront
        storefront.assets.add_directory(STATIC)
        self.nav = nav.served(nav.NAV, routed)
        self.routed = frozenset(routed)
        self.headers = {
            **page_headers(content_security_policy("", media_origin)),
            "Cache-Control": "no-store",
        }
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html", "xml"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            shop_name=SHOP_NAME,
            asset=storefront.assets.url,
            # Whether a page is served yet: link to pages other engineers add once they exist.
            page_exists=self.routed.__contains__,
            csrf_field=Markup(  # noqa: S704 (a constant)
                f'<input type="hidden" name="csrf" value="{TOKEN_MARKER}">'
            ),
        )
        self.env.filters.update(money=money, query=query_string)

    def render(
        self,
        request: Request,
        template: str,
        admin: Admin | None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        csrf: bool = True,
        **context: Any,
    ) -> HTMLResponse:
        """`template` in the layout, for `admin` (None: nobody signed in, no nav); with
        `csrf` False, no CSRF cookie is handed out (the sign-in page: no session yet)."""
        path = request.url.path
        body = self.env.get_template(template).render(
            admin=admin,
            nav=self.nav if admin is not None else (),
            nav_current=nav.current(self.nav, path),
            request_path=path,
            **context,
        )
        return self.respond(request, body.encode(), status, headers, csrf=csrf)

    def respond(
        self,
        request: Request,
        body: bytes,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        csrf: bool = True,
    ) -> HTMLResponse:
        """`body` with the visitor's CSRF token in its forms and the admin's headers."""
        signer = self.storefront.csrf
        cookie, new = signer.cookie_of(request)
        response = HTMLResponse(
            with_token(body, signer.token_for(cookie)),
            status_code=status,
            headers={**self.headers, **(headers or {})},
        )
        if new and csrf:
            set_csrf_cookie(request, response, cookie)
        return response

    def message(
        self,
        request: Request,
        status: int,
        title: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """A page that only says something (a refusal, an outage): no admin content."""
        return self.render(
            request, "message.html", None, status, headers, title=title, message=message
        )


def install(app: FastAPI, storefront: Storefront) -> AdminPages:
    """Make the admin's pages for `app` (after its routes are included)."""
    media = urlsplit(storefront.container.settings.media_base_url or "")
    media_origin = f"{media.scheme}://{media.netloc}" if media.netloc else ""
    candidates = [entry.path for entry in nav.NAV]
    pages = AdminPages(storefront, [p for p in candidates if _served(app, p)], media_origin)
    app.state.admin_pages = pages
    return pages


def _served(app: FastAPI, path: str) -> bool:
    """Whether a GET of `path` reaches a route (asked of the routes themselves: included
    routers are matched lazily, not listed)."""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    return any(route.matches(scope)[0] is Match.FULL for route in app.router.routes)


def admin_pages(request: Request) -> AdminPages:
    pages: AdminPages = request.app.state.admin_pages
    return pages
