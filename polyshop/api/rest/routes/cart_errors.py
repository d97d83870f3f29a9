"""The cart service's refusals as problem documents."""

from __future__ import annotations

from polyshop.api.rest.problems import Problem, unprocessable
from polyshop.cart.domain import CartError, CartFull, NotEnoughStock, NotForSale, QuantityLimit


def problem_of(exc: Exception) -> Problem | None:
    """The problem for a cart refusal; None for what other handlers answer."""
    match exc:
        case CartError():
            return unprocessable(exc.field, str(exc))
        case NotForSale():
            return unprocessable("sku", str(exc))
        case QuantityLimit():
            return unprocessable("quantity", str(exc))
        case CartFull():
            return Problem(
                422,
                f"sku: {_sentence(str(exc))}",
                slug="cart-full",
                title="Cart full",
                errors=[{"field": "sku", "message": str(exc)}],
                max_lines=exc.max_lines,
            )
        case NotEnoughStock():
            return Problem(
                409,
                _sentence(str(exc)),
                slug="insufficient-stock",
                title="Not enough stock",
                sku=exc.sku,
                available=exc.available,
            )
    return None


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + "."
