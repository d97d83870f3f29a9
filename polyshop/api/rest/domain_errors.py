"""Domain exceptions as problem documents, in one place rather than a try/except per route."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from polyshop.accounts.commands import EmailTaken
from polyshop.accounts.domain import AccountError
from polyshop.accounts.service import InvalidCredentials
from polyshop.accounts.throttle import Throttled
from polyshop.api.rest.problems import problem_response
from polyshop.cart.domain import CartError, NotEnoughStock, NotForSale, QuantityLimit
from polyshop.ttlstore.errors import StoreUnavailable


def _invalid(field: str, message: str) -> JSONResponse:
    return problem_response(
        422,
        f"{field}: {message}",
        slug="validation-error",
        title="Invalid request",
        errors=[{"field": field, "message": message}],
    )


def _handle(exc: Exception) -> JSONResponse:
    match exc:
        case AccountError() | CartError():
            return _invalid(exc.field, str(exc))
        case EmailTaken():
            return problem_response(409, str(exc), slug="email-taken", title="Email taken")
        case InvalidCredentials():
            return problem_response(
                401, "The email or password is wrong.", slug="invalid-credentials"
            )
        case Throttled():
            return problem_response(
                429,
                f"Too many failed logins; retry in {exc.retry_after} s.",
                slug="login-throttled",
                headers={"Retry-After": str(exc.retry_after)},
                retry_after=exc.retry_after,
            )
        case NotForSale():
            return _invalid("sku", str(exc))
        case QuantityLimit():
            return _invalid("quantity", str(exc))
        case NotEnoughStock():
            return problem_response(
                409,
                _sentence(str(exc)),
                slug="insufficient-stock",
                title="Not enough stock",
                sku=exc.sku,
                available=exc.available,
            )
        case StoreUnavailable():
            return problem_response(
                503,
                "Sessions and carts are unavailable for a moment; browsing still works. "
                "Retry shortly.",
                slug="session-store-unavailable",
                headers={"Retry-After": str(StoreUnavailable.retry_after_seconds)},
            )
    raise exc


async def _on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    return _handle(exc)


def install(app: FastAPI) -> None:
    for exception in (
        AccountError,
        CartError,
        EmailTaken,
        InvalidCredentials,
        Throttled,
        NotForSale,
        QuantityLimit,
        NotEnoughStock,
        StoreUnavailable,
    ):
        app.add_exception_handler(exception, _on_domain_error)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + "."
