"""Stock keeping units: the code every context names a variant by (catalog, inventory, cart,
orders), one rule for what a SKU looks like, kept in upper case."""

from __future__ import annotations

import re

_SKU = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,63}$")


class InvalidSku(ValueError):
    """The text cannot be a SKU."""


def normalize_sku(sku: str) -> str:
    """The SKU as stored: trimmed and upper case. Raises InvalidSku."""
    value = sku.strip().upper()
    if not _SKU.match(value):
        raise InvalidSku(f"{sku!r} is not a SKU (letters, digits, . _ -; up to 64)")
    return value
