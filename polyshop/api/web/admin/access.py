"""Who may use the admin, decided once for every route: `AdminPage` for pages, `AdminForm`
for posts (the admin check first, then the CSRF token).

The rule is the JSON API's own (`current_viewer` then `require_admin`): a signed-in user
with the admin role, or the operator token (bearer). Nobody signed in is sent to the
sign-in page with `next`; a signed-in customer gets a 403 "admins only" page and never the
content; a post whose CSRF token does not match the visitor's cookie changes nothing (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from polyshop.accounts.domain import Viewer
from polyshop.api.rest.dependencies import ContainerDep, current_viewer
from polyshop.api.rest.problems import Problem
from polyshop.api.web.admin.pages import admin_pages
from polyshop.api.web.storefront.forms import checked_form
from polyshop.api.web.storefront.security import CsrfRefused
from polyshop.ttlstore.errors import StoreUnavailable

LOGIN_PATH = "/admin/login"
OPERATOR = "operator token"


@dataclass(frozen=True, slots=True)
class Admin:
    """The admin behind a request: `viewer` for the services, `name` for the header (the
    account's email, or "operator token"), `session` False for a bearer token (no sign-out)."""

    viewer: Viewer
    name: str
    session: bool


@dataclass(frozen=True, slots=True)
class AdminPost:
    admin: Admin
    form: FormData


class SignInFirst(Exception):
    """Nobody (valid) is signed in: go to the sign-in page, then back to `next`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class AdminRefused(Exception):
    """An answer instead of the page: `status` with a title and a sentence saying why."""

    def __init__(
        self, status: int, title: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message
        self.headers = headers or {}


ADMINS_ONLY = AdminRefused(
    403,
    "Admins only",
    "This part of the shop is for admins only. Sign in with an admin account.",
)


def require_admin_page(request: Request, container: ContainerDep) -> Admin:
    """The admin making this request, or SignInFirst / AdminRefused (403, 503)."""
    try:
        viewer = current_viewer(request, container)
    except Problem as exc:
        if exc.status == 401:
            raise SignInFirst(here(request)) from None
        raise
    except StoreUnavailable:
        raise AdminRefused(
            503,
            "Sign-in is unavailable",
            "Sessions cannot be checked for a moment; retry shortly.",
            {"Retry-After": str(StoreUnavailable.retry_after_seconds)},
        ) from None
    if not viewer.is_admin:
        raise ADMINS_ONLY
    if viewer.user_id is None:
        return Admin(viewer, OPERATOR, session=False)
    user = container.accounts.get_user(viewer.user_id)
    return Admin(viewer, user.email if user else viewer.user_id, session=True)


AdminPage = Annotated[Admin, Depends(require_admin_page)]


async def admin_form(request: Request, admin: AdminPage) -> AdminPost:
    """A post's form, once the poster is an admin and its CSRF token matches their cookie."""
    try:
        form = await checked_form(request)
    except CsrfRefused:
        raise AdminRefused(
            403,
            "This form has expired",
            "The page you sent this from is too old, or came from another site. Nothing was "
            "changed: go back, reload the page and try again.",
        ) from None
    return AdminPost(admin, form)


AdminForm = Annotated[AdminPost, Depends(admin_form)]


def here(request: Request) -> str:
    """Where to come back to after signing in: this page for a GET. A post's path answers
    only posts (a 405 after sign-in), so for one it is the admin page the post was sent
    from, when the Referer names one of this host's, and the dashboard otherwise."""
    if request.method in ("GET", "HEAD"):
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", "")[:2000])
    if referer.scheme not in ("http", "https") or referer.netloc != request.url.netloc:
        return "/admin"
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))


def safe_next(value: str, default: str = "/admin") -> str:
    """Where to go after signing in: a path of the admin, nowhere else (an open redirect
    would hand a phishing link our domain)."""
    if not value.startswith("/admin") or value.startswith(LOGIN_PATH):
        return default
    if "\\" in value or "//" in value or any(ord(c) < 33 for c in value):
        return default
    path = value.split("?", 1)[0]
    return value if path == "/admin" or path.startswith("/admin/") else default


def install(app: FastAPI) -> None:
    """Answer the admin's refusals: a redirect to sign in, or a page saying why."""

    @app.exception_handler(SignInFirst)
    async def sign_in_first(_request: Request, exc: SignInFirst) -> RedirectResponse:
        target = f"{LOGIN_PATH}?next={quote(exc.next_path, safe='/')}"
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})

    @app.exception_handler(AdminRefused)
    async def refused(request: Request, exc: AdminRefused) -> HTMLResponse:
        pages = admin_pages(request)
        return await run_in_threadpool(
            pages.message, request, exc.status, exc.title, exc.message, exc.headers
        )
