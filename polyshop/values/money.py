"""Money as the shop handles it: `Decimal` with two places, stored as integer cents.

Floats never touch a price. Amounts with more than two decimals are refused, not rounded:
a client that sends 9.999 has a bug worth hearing about.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
#: Every amount is below this (eight digits before the point): what every store and every
#: API schema holds.
LIMIT = Decimal("100000000")


class InvalidAmount(ValueError):
    pass


def parse_amount(value: Decimal | str | int, *, allow_negative: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidAmount(f"{value!r} is not an amount") from exc
    if not amount.is_finite():
        raise InvalidAmount(f"{value!r} is not an amount")
    if abs(amount) >= LIMIT:  # first: quantizing 1e100000 would overflow
        raise InvalidAmount(f"{value} is out of range")
    if amount != amount.quantize(CENT):
        raise InvalidAmount(f"{value} has more than two decimals")
    if amount < 0 and not allow_negative:
        raise InvalidAmount(f"{value} is negative")
    return amount.quantize(CENT)


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_exact())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)
