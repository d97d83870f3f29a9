"""The cart store port (Redis or embedded). Every method may raise `StoreUnavailable`.

A cart is the lines of one owner (`user:{id}` or `guest:{session}`); every write refreshes
the cart's time to live and bumps its revision. The store also keeps a priced view of a cart
for a short time, so a cart shown twice in a row costs no catalog query. A view is stored
with the revision it was priced from and served only while that is still the cart's
revision; a catalog change to a product in the cart bumps the revision too
(`drop_views_for`). So a view priced before a change can never be served after it, even
if it is written after the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from polyshop.cart.domain import CartLine


@dataclass(frozen=True, slots=True)
class CartSnapshot:
    lines: list[CartLine]
    revision: int


class CartStore(Protocol):
    def snapshot(self, owner: str) -> CartSnapshot: ...

    def add(self, owner: str, line: CartLine, limit: int, max_lines: int) -> int:
        """Add `line.quantity` to the line (created with `line`'s price and time if new).

        Returns the new quantity; raises `QuantityLimit` (nothing changed) beyond `limit`,
        and `CartFull` (nothing changed) when the line is new and the cart already holds
        `max_lines` lines. Both checks are atomic with the write.
        """

    def set_quantity(self, owner: str, sku: str, quantity: int) -> bool:
        """False if the SKU is not in the cart."""

    def put(self, owner: str, lines: Iterable[CartLine]) -> None:
        """Write whole lines (replacing any with the same SKU)."""

    def remove(self, owner: str, sku: str) -> bool: ...

    def clear(self, *owners: str) -> None:
        """Empty these carts (one round trip or transaction for all of them)."""

    def cached_view(self, owner: str) -> bytes | None: ...

    def cache_view(self, owner: str, view: bytes, revision: int, ttl: float) -> None: ...

    def drop_views_for(self, product_ids: Iterable[str]) -> None: ...
