"""What the buying pages share: a session started on demand, redirects that stay on this
site, the client address throttling counts by, and the pages for a store that is down."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from polyshop.accounts.sessions import Issued
from polyshop.api.rest.routes.accounts import set_session_cookie
from polyshop.api.web.storefront.pages import Visitor, storefront_of


def local_path(target: str, default: str = "/") -> str:
    """`target` if it is a path on this site (not `//host`, not `/\\host`, no scheme),
    else `default`: a redirect never leaves the shop."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\t"):
        return default
    return target


def see_other(
    url: str, issued: Issued | None = None, request: Request | None = None
) -> RedirectResponse:
    """A 303 to `url` (a form post answered with a page to GET), setting a new session."""
    response = RedirectResponse(url, status_code=303)
    if issued is not None and request is not None:
        set_session_cookie(request, response, issued)
    return response


def with_session(request: Request, visitor: Visitor) -> tuple[Visitor, Issued | None]:
    """The visitor with a session: a new guest session when they have none yet."""
    if visitor.session is not None:
        return visitor, None
    issued = storefront_of(request).container.accounts.start_guest_session()
    return Visitor(issued.token, issued.session, None, 0), issued


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def unavailable(request: Request, what: str) -> HTMLResponse:
    """The page for a store that is down (Redis for carts and sessions): a clear 503."""
    response = storefront_of(request).render(
        request,
        "message.html",
        503,
        title=f"The {what} is unavailable",
        message=f"We cannot reach the {what} right now. Nothing was changed; please try "
        "again in a minute.",
    )
    response.headers["Retry-After"] = "30"
    return response


def not_found(request: Request) -> HTMLResponse:
    """No such page, or not one this visitor may see: the same answer, so ids cannot be
    probed."""
    return storefront_of(request).render(
        request,
        "message.html",
        404,
        title="Page not found",
        message="There is nothing here, or it is not yours to see.",
    )
