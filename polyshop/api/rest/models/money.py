"""Money in JSON: a number with (at most) two decimals, computed as Decimal underneath.

Answers carry a JSON number (`19.99`); requests may send a number or a plain decimal string
(`"19.99"`, how the event log writes amounts). The OpenAPI schema says exactly what is
accepted, and a string is held to the same pattern the schema shows (no exponents, no
underscores, no padding), so what the document calls valid and what the server takes agree.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

from polyshop.values.money import InvalidAmount, parse_amount

#: The largest amount the shop stores (cents in a signed 64-bit column, with room to add).
MAX_AMOUNT = 99_999_999.99
_DIGITS = r"[0-9]{1,8}(\.[0-9]{1,2})?"
_UNSIGNED = re.compile(rf"^{_DIGITS}$")
_SIGNED = re.compile(rf"^-?{_DIGITS}$")


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


def _plain(pattern: re.Pattern[str]) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.match(value):
            raise ValueError("must be a decimal like 19.99 (at most two decimals)")
        return value

    return BeforeValidator(check)


def _schema(minimum: float, pattern: re.Pattern[str]) -> dict[str, Any]:
    number = {"type": "number", "minimum": minimum, "maximum": MAX_AMOUNT, "multipleOf": 0.01}
    return {
        "anyOf": [number, {"type": "string", "pattern": pattern.pattern}],
        "description": "An amount: a JSON number or a decimal string, at most two decimals.",
        "examples": [19.99],
    }


_as_number = PlainSerializer(lambda d: float(d), return_type=float, when_used="json")
_OUT = WithJsonSchema(
    {"type": "number", "description": "An amount with two decimals.", "examples": [19.99]},
    mode="serialization",
)

Amount = Annotated[
    Decimal,
    _plain(_UNSIGNED),
    AfterValidator(_amount),
    _as_number,
    WithJsonSchema(_schema(0, _UNSIGNED), mode="validation"),
    _OUT,
]
SignedAmount = Annotated[
    Decimal,
    _plain(_SIGNED),
    AfterValidator(_signed),
    _as_number,
    WithJsonSchema(_schema(-MAX_AMOUNT, _SIGNED), mode="validation"),
    _OUT,
]


def _price_filter(schema: dict[str, Any]) -> None:
    """A price filter's documented schema: a number with at most two decimals (the query
    string carries it as text; the server parses it as a decimal)."""
    schema.pop("anyOf", None)
    schema.update({"type": "number", "minimum": 0, "maximum": MAX_AMOUNT, "multipleOf": 0.01})


PRICE_FILTER_SCHEMA = _price_filter
