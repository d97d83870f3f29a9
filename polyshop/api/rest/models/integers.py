"""Whole numbers in JSON bodies as JSON Schema counts them: `3` and `3.0` are the same
integer there, while `true` and `"3"` are not integers at all.

Pydantic's lax mode takes `true` and `"3"` (and strict mode refuses `3.0`), so neither
agrees with the document; this type does.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def _json_integer(value: Any) -> Any:
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Integer = Annotated[int, BeforeValidator(_json_integer)]
