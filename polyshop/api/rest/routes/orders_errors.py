"""The orders service's refusals as problem documents (orders and payments routers)."""

from __future__ import annotations

from polyshop.api.rest.problems import Problem, unprocessable
from polyshop.orders.domain import InvalidTransition
from polyshop.orders.errors import (
    CartAlreadyOrdered,
    EmptyCart,
    InvalidAddress,
    InvalidEmail,
    KeyRequired,
    KeyReused,
    NotOrderable,
    OrderChanged,
    OrderNotFound,
    OthersOrders,
    OutOfStock,
    RefundDue,
    TooLarge,
)


def problem_of(exc: Exception) -> Problem | None:
    """The problem for an orders refusal; None for what other handlers answer."""
    match exc:
        case InvalidAddress():
            return unprocessable(exc.field, exc.message)
        case InvalidEmail():
            return unprocessable("email", exc.message)
        case EmptyCart():
            return Problem(422, "The cart is empty: add something first.", slug="empty-cart")
        case NotOrderable():
            return Problem(
                422,
                f"These are no longer sold; remove them from the cart: {', '.join(exc.skus)}.",
                slug="not-orderable",
                skus=exc.skus,
            )
        case TooLarge():
            return Problem(
                422,
                f"An order may total at most 99,999,999.99; this cart comes to {exc.total}.",
                slug="order-too-large",
            )
        case CartAlreadyOrdered():
            return Problem(
                409,
                f"This cart was already placed as order {exc.order_id}; nothing new was "
                "ordered. Change the cart to order again.",
                slug="cart-already-ordered",
                title="Cart already ordered",
                headers={"Location": f"/api/v1/orders/{exc.order_id}"},
                order_id=exc.order_id,
            )
        case KeyRequired():
            return Problem(
                400,
                "Send an Idempotency-Key header (e.g. a UUID) so a retry cannot order twice.",
                slug="idempotency-key-required",
            )
        case KeyReused():
            return Problem(
                422,
                "This Idempotency-Key was already used with a different request body.",
                slug="idempotency-key-reused",
            )
        case OutOfStock():
            return Problem(
                409,
                f"Not enough stock for: {', '.join(exc.skus)}. Nothing was reserved.",
                slug="insufficient-stock",
                title="Not enough stock",
                skus=exc.skus,
            )
    return _lifecycle_problem(exc)


def _lifecycle_problem(exc: Exception) -> Problem | None:
    match exc:
        case InvalidTransition():
            message = str(exc)
            return Problem(
                409,
                message[:1].upper() + message[1:] + ".",
                slug="invalid-transition",
                status_value=exc.status.value,
            )
        case OrderNotFound():
            return Problem(404, "No such order.", slug="order-not-found")
        case OrderChanged():
            return Problem(409, "The order changed meanwhile; retry.", slug="concurrent-change")
        case OthersOrders():
            return Problem(403, "Only admins may list another user's orders.", slug="forbidden")
        case RefundDue():
            return Problem(
                409,
                f"The order is {exc.status} and cannot take this payment; it is recorded "
                "as due for refund.",
                slug="payment-refund-due",
                status_value=exc.status,
            )
    return None
