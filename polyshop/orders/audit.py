"""An order with its whole audit trail, and the order as it stood at any moment of it.

Both come from one read of the order's stream: the order now is the fold of every event
(exact right after a change, with no read model to wait for), and the order just after any
of its events is the fold of the events up to it: the order as it stood from that moment
to the next event, what `GET /orders/{id}?as_of=` replays for a moment in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from polyshop.eventstore.events import RecordedEvent
from polyshop.orders import domain
from polyshop.orders.domain import Action, Order


@dataclass(frozen=True, slots=True)
class Audit:
    """An order's document now, every event of it in version order, and the lifecycle
    actions its state allows now (`Order.possible_actions`: a page offers only those)."""

    document: dict[str, Any]
    events: list[RecordedEvent]
    actions: tuple[Action, ...] = ()

    @classmethod
    def of(cls, events: list[RecordedEvent]) -> Audit | None:
        order = Order.replay(events)
        if order is None:
            return None
        return cls(domain.document(order), events, tuple(order.possible_actions()))

    def at_event(self, number: int) -> dict[str, Any]:
        """The order just after its `number`th event (1: as placed), held to the trail."""
        number = max(1, min(number, len(self.events)))
        order = Order.replay(self.events[:number])
        assert order is not None  # the first event is always OrderPlaced
        return domain.document(order)
