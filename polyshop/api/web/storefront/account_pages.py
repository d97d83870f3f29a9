"""Sign up, sign in, sign out and the account page (name and address book).

Signing in or up goes through the same `Accounts` calls as the API, with the visitor's
guest session, so the guest cart merges into the account's; registering an email also
claims the guest orders placed with it. Throttling answers 429 with the wait; a broken
rule is shown next to its field; the page after signing in is `next` only if it is a path
on this site.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from polyshop.accounts.domain import AccountError, Address, EmailTaken, User
from polyshop.accounts.service import InvalidCredentials
from polyshop.accounts.throttle import Throttled
from polyshop.api.rest.dependencies import SESSION_COOKIE
from polyshop.api.web.storefront.forms import FormDep, text
from polyshop.api.web.storefront.pages import Visitor, storefront_of
from polyshop.api.web.storefront.visits import client_of, local_path, see_other, unavailable
from polyshop.ttlstore.errors import StoreUnavailable

router = APIRouter()

ADDRESS_FIELDS = (
    "label",
    "name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)


@router.get("/signin")
def signin_page(request: Request, next: str = "/") -> HTMLResponse:
    return _form(request, "signin.html", 200, next=local_path(next))


@router.get("/signup")
def signup_page(request: Request, next: str = "/") -> HTMLResponse:
    return _form(request, "signup.html", 200, next=local_path(next))


@router.post("/signin")
def sign_in(request: Request, form: FormDep) -> Response:
    storefront = storefront_of(request)
    visitor = storefront.visitor(request)
    target = local_path(text(form, "next", 500))
    email = text(form, "email", 1000)
    try:
        signed = storefront.container.accounts.login(
            email, _password(form), client_of(request), current=_current(visitor)
        )
    except InvalidCredentials:
        return _form(
            request,
            "signin.html",
            401,
            next=target,
            values={"email": email},
            error="The email or password is wrong.",
        )
    except Throttled as exc:
        return _throttled(request, "signin.html", exc, target, email)
    except AccountError as exc:
        return _form(
            request,
            "signin.html",
            422,
            next=target,
            values={"email": email},
            errors={exc.field: _sentence(exc)},
        )
    except StoreUnavailable:
        return unavailable(request, "sign-in service")
    return see_other(target, signed.issued, request)


@router.post("/signup")
def sign_up(request: Request, form: FormDep) -> Response:
    storefront = storefront_of(request)
    visitor = storefront.visitor(request)
    target = local_path(text(form, "next", 500))
    values = {"email": text(form, "email", 1000), "name": text(form, "name", 1000)}
    try:
        signed = storefront.container.accounts.register(
            values["email"],
            _password(form),
            values["name"],
            client_of(request),
            current=_current(visitor),
        )
    except AccountError as exc:
        return _form(
            request,
            "signup.html",
            422,
            next=target,
            values=values,
            errors={exc.field: _sentence(exc)},
        )
    except EmailTaken:
        return _form(
            request,
            "signup.html",
            409,
            next=target,
            values=values,
            errors={"email": "An account with this email exists: sign in instead."},
        )
    except Throttled as exc:
        return _throttled(request, "signup.html", exc, target, values["email"])
    except StoreUnavailable:
        return unavailable(request, "sign-up service")
    return see_other(target, signed.issued, request)


@router.post("/signout")
def sign_out(request: Request, form: FormDep) -> Response:
    visitor = storefront_of(request).visitor(request)
    if visitor.token:
        storefront_of(request).container.accounts.logout(visitor.token)
    response = see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/account")
def account_page(request: Request) -> Response:
    visitor = storefront_of(request).visitor(request)
    if visitor.user is None:
        return see_other("/signin?next=/account")
    return _account(request, visitor, visitor.user)


@router.post("/account/profile")
def save_profile(request: Request, form: FormDep) -> Response:
    visitor = storefront_of(request).visitor(request)
    if visitor.user is None:
        return see_other("/signin?next=/account")
    try:
        storefront_of(request).container.accounts.update_profile(
            visitor.user.id, name=text(form, "name", 1000)
        )
    except AccountError as exc:
        return _account(
            request, visitor, visitor.user, 422, profile_errors={"name": _sentence(exc)}
        )
    return see_other("/account")


@router.post("/account/addresses")
def add_address(request: Request, form: FormDep) -> Response:
    visitor = storefront_of(request).visitor(request)
    if visitor.user is None:
        return see_other("/signin?next=/account")
    values = address_values(form)
    try:
        address = Address(**values)
        storefront_of(request).container.accounts.update_profile(
            visitor.user.id, addresses=[*visitor.user.addresses, address]
        )
    except AccountError as exc:
        return _account(
            request, visitor, visitor.user, 422, values=values, errors={exc.field: _sentence(exc)}
        )
    return see_other("/account")


@router.post("/account/addresses/{index}/remove")
def remove_address(index: str, request: Request, form: FormDep) -> Response:
    visitor = storefront_of(request).visitor(request)
    if visitor.user is None:
        return see_other("/signin?next=/account")
    kept = [a for i, a in enumerate(visitor.user.addresses) if str(i) != index]
    storefront_of(request).container.accounts.update_profile(visitor.user.id, addresses=kept)
    return see_other("/account")


def address_values(form: FormData) -> dict[str, str]:
    """An address as entered (country upper-cased, as the address book keeps it)."""
    values = {field: text(form, field, 200) for field in ADDRESS_FIELDS}
    values["country"] = values["country"].upper()
    return values


def _account(
    request: Request, visitor: Visitor, user: User, status: int = 200, **context: Any
) -> HTMLResponse:
    fresh = storefront_of(request).container.accounts.get_user(user.id) or user
    context = {
        "values": {},
        "errors": {},
        "profile_errors": {},
        "error": None,
        "saved": None,
        **context,
    }
    return storefront_of(request).render(
        request, "account.html", status, visitor=visitor, user=fresh, **context
    )


def _form(request: Request, template: str, status: int, **context: Any) -> HTMLResponse:
    context = {"values": {}, "errors": {}, "error": None, **context}
    return storefront_of(request).render(request, template, status, **context)


def _throttled(
    request: Request, template: str, exc: Throttled, target: str, email: str
) -> HTMLResponse:
    minutes = max(1, round(exc.retry_after / 60))
    response = _form(
        request,
        template,
        429,
        next=target,
        values={"email": email},
        error=f"Too many attempts. Please wait about {minutes} minute"
        f"{'s' if minutes > 1 else ''} and try again.",
    )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _password(form: FormData) -> str:
    value = form.get("password")
    return value[:1000] if isinstance(value, str) else ""


def _current(visitor: Visitor) -> tuple[str, Any] | None:
    return (visitor.token, visitor.session) if visitor.token and visitor.session else None


def _sentence(exc: Exception) -> str:
    message = str(exc)
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
