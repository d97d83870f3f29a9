"""Domain exceptions as problem documents, in one place rather than a try/except per route."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from polyshop.accounts.commands import EmailTaken
from polyshop.accounts.domain import AccountError
from polyshop.accounts.service import InvalidCredentials
from polyshop.accounts.throttle import Throttled
from polyshop.api.rest.problems import problem_response, render, unprocessable
from polyshop.cart.domain import CartError, CartFull, NotEnoughStock, NotForSale, QuantityLimit
from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.inventory.stock import InsufficientStock
from polyshop.orders.checkout import (
    CartAlreadyOrdered,
    EmptyCart,
    KeyReused,
    NotOrderable,
    TooLarge,
)
from polyshop.orders.domain import InvalidTransition
from polyshop.orders.lifecycle import OrderNotFound
from polyshop.ttlstore.errors import StoreUnavailable


def _invalid(field: str, message: str) -> JSONResponse:
    return render(unprocessable(field, message))


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
                f"Too many attempts; retry in {exc.retry_after} s.",
                slug="login-throttled",
                headers={"Retry-After": str(exc.retry_after)},
                retry_after=exc.retry_after,
            )
        case NotForSale():
            return _invalid("sku", str(exc))
        case QuantityLimit():
            return _invalid("quantity", str(exc))
        case CartFull():
            return problem_response(
                422,
                f"sku: {_sentence(str(exc))}",
                slug="cart-full",
                title="Cart full",
                errors=[{"field": "sku", "message": str(exc)}],
                max_lines=exc.max_lines,
            )
        case NotEnoughStock():
            return problem_response(
                409,
                _sentence(str(exc)),
                slug="insufficient-stock",
                title="Not enough stock",
                sku=exc.sku,
                available=exc.available,
            )
        case EmptyCart():
            return problem_response(
                422, "The cart is empty: add something first.", slug="empty-cart"
            )
        case NotOrderable():
            return problem_response(
                422,
                f"These are no longer sold; remove them from the cart: {', '.join(exc.skus)}.",
                slug="not-orderable",
                skus=exc.skus,
            )
        case TooLarge():
            return problem_response(
                422,
                f"An order may total at most 99,999,999.99; this cart comes to {exc.total}.",
                slug="order-too-large",
            )
        case CartAlreadyOrdered():
            return problem_response(
                409,
                f"This cart was already placed as order {exc.order_id}; nothing new was "
                "ordered. Change the cart to order again.",
                slug="cart-already-ordered",
                title="Cart already ordered",
                headers={"Location": f"/api/v1/orders/{exc.order_id}"},
                order_id=exc.order_id,
            )
        case KeyReused():
            return problem_response(
                422,
                "This Idempotency-Key was already used with a different request body.",
                slug="idempotency-key-reused",
            )
        case InsufficientStock():
            return problem_response(
                409,
                f"Not enough stock for: {', '.join(exc.skus)}. Nothing was reserved.",
                slug="insufficient-stock",
                title="Not enough stock",
                skus=exc.skus,
            )
        case InvalidTransition():
            return problem_response(
                409, _sentence(str(exc)), slug="invalid-transition", status_value=exc.status.value
            )
        case OrderNotFound():
            return problem_response(404, "No such order.", slug="order-not-found")
        case ConcurrencyConflict():
            return problem_response(
                409, "The order changed meanwhile; retry.", slug="concurrent-change"
            )
        case DataError():
            # The last line of defence: a value the database refuses (its transaction has
            # rolled back, so nothing was written). Inputs are validated before this.
            return problem_response(
                422,
                "The request holds a value the database cannot store.",
                slug="unstorable-value",
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
        CartFull,
        NotEnoughStock,
        EmptyCart,
        NotOrderable,
        CartAlreadyOrdered,
        KeyReused,
        TooLarge,
        InsufficientStock,
        InvalidTransition,
        OrderNotFound,
        ConcurrencyConflict,
        DataError,
        StoreUnavailable,
    ):
        app.add_exception_handler(exception, _on_domain_error)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + "."
