"""Signing in to the admin and out of it.

Sign-in goes through `Accounts.login`, like `POST /api/v1/auth/login` and the storefront,
and sets the same session cookie. The sign-in form carries no CSRF token (a visitor has no
session to protect yet); login CSRF (signing a victim into an attacker's account) is refused
by the Origin check: browsers send Origin on every cross-site POST. Sign-out is an admin
form like any other (`AdminForm`: CSRF-checked).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from polyshop.accounts.domain import AccountError
from polyshop.accounts.service import InvalidCredentials
from polyshop.accounts.throttle import Throttled
from polyshop.api.rest.dependencies import SESSION_COOKIE, presented_token
from polyshop.api.rest.routes.accounts import set_session_cookie
from polyshop.api.web.admin.access import LOGIN_PATH, AdminForm, safe_next
from polyshop.api.web.admin.pages import admin_pages
from polyshop.api.web.admin_analytics_forms import same_origin
from polyshop.api.web.storefront.forms import text
from polyshop.ttlstore.errors import StoreUnavailable

router = APIRouter(include_in_schema=False)


def _form(
    request: Request,
    status: int,
    message: str,
    email: str = "",
    target: str = "/admin",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return admin_pages(request).render(
        request,
        "login.html",
        None,
        status,
        headers,
        csrf=False,
        message=message,
        email=email,
        next=target,
    )


@router.get(LOGIN_PATH)
def login_page(request: Request, next: str = "") -> Response:
    """The sign-in form; `next` is where to go after it (an admin path)."""
    return _form(request, 200, "", target=safe_next(next))


@router.post(LOGIN_PATH)
async def login(request: Request) -> Response:
    """Sign in (email, password, next); 303 to `next` with the session cookie."""
    if not same_origin(request):
        return _form(request, 403, "Sign in from this shop's own page.")
    form = await request.form(max_files=0, max_fields=10, max_part_size=8000)
    email, password = text(form, "email", 320), form.get("password")
    target = safe_next(text(form, "next", 500))
    if not email or not isinstance(password, str) or not password:
        return _form(request, 422, "Enter the email and password of an admin account.", email)
    return await run_in_threadpool(_login, request, email, password, target)


def _login(request: Request, email: str, password: str, target: str) -> Response:
    accounts = admin_pages(request).storefront.container.accounts
    client = request.client.host if request.client else "unknown"
    token = presented_token(request)
    try:
        session = accounts.session_of(token) if token else None
        current = (token, session) if token and session else None
        signed = accounts.login(email, password, client, current=current)
    except (InvalidCredentials, AccountError):
        return _form(request, 401, "The email or password is wrong.", email, target)
    except Throttled as exc:
        message = f"Too many attempts; retry in {exc.retry_after} s."
        headers = {"Retry-After": str(exc.retry_after)}
        return _form(request, 429, message, email, target, headers)
    except StoreUnavailable:
        message = "Sessions are unavailable for a moment; retry shortly."
        headers = {"Retry-After": str(StoreUnavailable.retry_after_seconds)}
        return _form(request, 503, message, email, target, headers)
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    set_session_cookie(request, response, signed.issued)
    return response


@router.post("/admin/logout")
def logout(request: Request, post: AdminForm) -> Response:
    """End the admin's session (an operator token has none to end) and go to sign-in."""
    token = presented_token(request)
    if post.admin.session and token:
        admin_pages(request).storefront.container.accounts.logout(token)
    response = RedirectResponse(LOGIN_PATH, status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
