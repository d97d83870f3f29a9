"""The cart store port (Redis or embedded). Every method may raise `StoreUnavailable`.

A cart is the lines of one owner (`user:{id}` or `guest:{session}`); every write refreshes
the cart's time to live and bumps its revision. The store also keeps a priced view of a cart
for a short time, so a cart shown twice in a row costs no catalog query. A view is stored
with the revision it was priced from and served only while that is still the cart's
revision; a catalog change to a product in the cart bumps the revision too
(`drop_views_for`). So a view priced before a change can never be served after it, even
if it is written after the change.

A cart also has an id, which checkout records with the order it places (at most one order
per id, see `orders.checkout`). The id stays while the cart changes and is replaced when an
order consumes the cart (`consume`), so what a cart holds can become at most one order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from polyshop.cart.domain import CartLine


@dataclass(frozen=True, slots=True)
class CartSnapshot:
    lines: list[CartLine]
    revision: int
    #: Set whenever the cart has lines; "" for an empty cart.
    cart_id: str = ""


@dataclass(frozen=True, slots=True)
class OrderedCart:
    """A cart an order was placed from: its owner, its id then, and the quantities ordered."""

    owner: str
    cart_id: str
    quantities: Mapping[str, int]


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

    def consume(self, ordered: Sequence[OrderedCart]) -> None:
        """Take each order's quantities out of its cart, and give what is left a new id, if
        the cart still has the id the order was placed from; else change nothing (consumed
        already, or expired). Idempotent, so the log can replay it; one round trip or
        transaction for all of them. Lines added after the order was placed stay."""

    def cached_view(self, owner: str) -> bytes | None: ...

    def cache_view(self, owner: str, view: bytes, revision: int, ttl: float) -> None: ...

    def drop_views_for(self, product_ids: Iterable[str]) -> None: ...
