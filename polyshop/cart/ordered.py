"""Carts emptied of what was ordered, from the log: the guarantee behind checkout's own try.

Checkout consumes the carts of the orders it placed right after its commit. If the process
dies first, or the cart store is down at that moment, the order stands and its cart would
still hold what was ordered. This projection follows `OrderPlaced` from a checkpoint, so it
resumes after a crash and retries while the cart store is away, and consumes each order's
cart once more: a no-op for a cart consumed already (see `CartStore.consume`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from polyshop.cart.ports import CartStore, OrderedCart
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.ports import Projection, ReadModelUnavailable
from polyshop.ttlstore.errors import StoreUnavailable

#: The event it follows (`orders.domain.ORDER_PLACED`; contexts meet through events).
ORDER_PLACED = "OrderPlaced"


class OrderedCartsProjection(Projection):
    name = "ordered_carts"
    transactional = False
    event_types = frozenset({ORDER_PLACED})

    def __init__(self, carts: CartStore) -> None:
        self._carts = carts

    def setup(self, generation: int, connection: Any, *, bulk: bool = False) -> None:
        """Nothing to create: the carts are the read model, and they need no generation."""

    def apply(self, events: Sequence[RecordedEvent], generation: int, connection: Any) -> None:
        ordered = [ordered_cart(event) for event in events if "cart_id" in event.data]
        try:
            self._carts.consume(ordered)
        except StoreUnavailable as exc:
            raise ReadModelUnavailable(str(exc)) from exc

    def activate(self, generation: int, connection: Any) -> None:
        """Nothing to switch: every generation consumes the same carts, idempotently."""

    def teardown(self, generation: int, connection: Any) -> None:
        """Nothing to drop."""


def ordered_cart(event: RecordedEvent) -> OrderedCart:
    """The cart an `OrderPlaced` event consumed, and what it took from it."""
    quantities: dict[str, int] = {}
    for item in event.data["items"]:
        quantities[item["sku"]] = quantities.get(item["sku"], 0) + int(item["quantity"])
    return OrderedCart(event.data["cart_owner"], event.data["cart_id"], quantities)
