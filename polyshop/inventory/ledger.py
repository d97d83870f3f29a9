"""A SKU's stock ledger: its inventory events read as the lines of a stock book.

Every change to a stock row appends one event to the SKU's stream carrying the figures it
left (on hand, reserved, available), so each line is exact without replaying anything:
what moved (on hand and reserved, signed), what was left, why, who did it, and the order
behind it when there was one (the reservation's holder is the order; a return names its
order in its reason). Pure: the events come from the door (`service.Inventory`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from polyshop.eventstore.events import RecordedEvent
from polyshop.inventory.stock import (
    RESERVATION_COMMITTED,
    RESERVATION_RELEASED,
    STOCK_ADJUSTED,
    STOCK_RESERVED,
)

#: How the order lifecycle names the order whose units came back (see `orders.lifecycle`).
_RETURNED_FROM = re.compile(r"order (\S+) (?:OrderCancelled|OrderRefunded)")

#: What each kind of line says in plain words.
DESCRIPTIONS = {
    STOCK_ADJUSTED: "Adjusted",
    STOCK_RESERVED: "Reserved for an order",
    RESERVATION_COMMITTED: "Left with a paid order",
    RESERVATION_RELEASED: "Reservation released",
}


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One change of a SKU's stock, with the figures it left."""

    version: int
    at: datetime
    event_type: str
    on_hand_delta: int
    reserved_delta: int
    on_hand: int
    reserved: int
    reason: str
    actor: str | None
    order_id: str | None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get(self.event_type, self.event_type)


def line(event: RecordedEvent) -> LedgerLine:
    """The ledger line of one inventory event (any schema: events arrive upcast)."""
    data = event.data
    quantity = int(data.get("quantity", 0))
    on_hand_delta, reserved_delta, reason, order_id = 0, 0, "", data.get("holder")
    if event.type == STOCK_ADJUSTED:
        on_hand_delta = int(data["delta"])
        reason = str(data.get("reason", ""))
        returned = _RETURNED_FROM.fullmatch(reason)
        order_id = returned.group(1) if returned else None
    elif event.type == STOCK_RESERVED:
        reserved_delta = quantity
    elif event.type == RESERVATION_COMMITTED:
        on_hand_delta, reserved_delta = -quantity, -quantity
    elif event.type == RESERVATION_RELEASED:
        reserved_delta = -quantity
    return LedgerLine(
        version=event.version,
        at=event.recorded_at,
        event_type=event.type,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        on_hand=int(data["on_hand"]),
        reserved=int(data["reserved"]),
        reason=reason,
        actor=event.metadata.actor,
        order_id=str(order_id) if order_id else None,
    )
