"""Loading orders by replay and changing them with the expected version.

Every change decides on the replayed state, appends with that state's version (so two
admins shipping at once cannot both succeed on a stale view), and makes its inventory side
effect in the same transaction: paying takes the reserved units off the shelf, cancelling an
unpaid order releases them, cancelling or refunding a paid one puts them back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from polyshop.eventstore.errors import ConcurrencyConflict
from polyshop.eventstore.events import EventMetadata, NewEvent, RecordedEvent
from polyshop.eventstore.ports import EventStore, UnitOfWork
from polyshop.inventory import stock
from polyshop.orders import domain
from polyshop.orders.domain import Order
from polyshop.orders.errors import OrderNotFound
from polyshop.runtime import correlation

ATTEMPTS = 5


def history(store: EventStore, order_id: str, as_of: datetime | None = None) -> list[RecordedEvent]:
    return store.read_stream(domain.stream_id(order_id), as_of=as_of)


def load(store: EventStore, order_id: str, as_of: datetime | None = None) -> Order | None:
    return Order.replay(history(store, order_id, as_of))


def act(
    store: EventStore,
    order_id: str,
    decide: Callable[[Order], list[NewEvent]],
    *,
    actor: str,
) -> tuple[Order, int]:
    """Apply `decide` to the current order; retried on a concurrent change. Returns the order
    after the change and the log position written (0 if `decide` had nothing to say)."""
    for attempt in range(ATTEMPTS):
        order = load(store, order_id)
        if order is None:
            raise OrderNotFound(order_id)
        new_events = decide(order)
        if not new_events:
            return order, 0
        metadata = EventMetadata(correlation_id=correlation.correlation_id.get(), actor=actor)
        try:
            # The stock an order moves says who moved it, as the order's own events do.
            with correlation.acting_as(actor), store.unit_of_work() as uow:
                uow.append(
                    domain.stream_id(order_id),
                    domain.ORDER_STREAM,
                    new_events,
                    expected_version=order.version,
                    metadata=metadata,
                )
                for event in new_events:
                    _inventory_effect(uow, order, event)
        except ConcurrencyConflict:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        return load(store, order_id) or order, uow.position
    raise AssertionError("unreachable")


def _inventory_effect(uow: UnitOfWork, order: Order, event: NewEvent) -> None:
    if event.type == domain.ORDER_PAID:
        stock.commit(uow, order.id)
    elif event.type == domain.ORDER_CANCELLED and event.data["stock"] == "release":
        stock.release(uow, order.id)
    elif (event.type == domain.ORDER_CANCELLED and event.data["stock"] == "restock") or (
        event.type == domain.ORDER_REFUNDED and event.data["restock"]
    ):
        for item in order.items:
            stock.adjust(
                uow, item.sku, item.quantity, f"order {order.id} {event.type}", returned=True
            )
