"""Amounts: two decimals, in range, never a float, never an exception other than ours."""

from __future__ import annotations

from decimal import Decimal

import pytest

from polyshop.values.money import InvalidAmount, from_cents, parse_amount, to_cents


@pytest.mark.parametrize(
    "value", ["9.999", "-1", "NaN", "Infinity", "1e100000", "1e-100000", "abc", "100000000"]
)
def test_bad_amounts_raise_invalid_amount(value: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(value)


def test_good_amounts_round_trip_through_cents() -> None:
    assert parse_amount("19.9") == Decimal("19.90")
    assert from_cents(to_cents(parse_amount("0.07"))) == Decimal("0.07")
    assert parse_amount("-5.25", allow_negative=True) == Decimal("-5.25")
