"""Money in JSON: a number with (at most) two decimals, computed as Decimal underneath."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer

from polyshop.money import InvalidAmount, parse_amount


def _amount(value: Decimal) -> Decimal:
    try:
        return parse_amount(value)
    except InvalidAmount as exc:
        raise ValueError(str(exc)) from exc


def _signed(value: Decimal) -> Decimal:
    try:
        return parse_amount(value, allow_negative=True)
    except InvalidAmount as exc:
        raise ValueError(str(exc)) from exc


_as_number = PlainSerializer(lambda d: float(d), return_type=float, when_used="json")

Amount = Annotated[Decimal, AfterValidator(_amount), _as_number]
SignedAmount = Annotated[Decimal, AfterValidator(_signed), _as_number]
