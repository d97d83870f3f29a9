"""Unpaid orders give their stock back: a background job cancels orders whose payment
window (the reservation's expiry) has passed, releasing the reserved units.

One process does it at a time (a lease, as projections have); the others stand by. Each
order is cancelled through the aggregate with its expected version, so a payment that lands
at the same moment wins or loses cleanly, never both.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy import Engine

from polyshop.eventstore.events import NewEvent
from polyshop.eventstore.ports import EventStore
from polyshop.eventstore.projections.ports import Lease
from polyshop.inventory import stock
from polyshop.orders import lifecycle
from polyshop.orders.domain import InvalidTransition, Order, Status
from polyshop.orders.errors import OrderNotFound
from polyshop.runtime.periodic import Periodic, leased
from polyshop.values.clock import utc_now

log = structlog.get_logger(__name__)

ACTOR = "system:order-expiry"


def cancel_expired(store: EventStore, primary: Engine, limit: int = 100) -> int:
    """Cancel every order whose hold has expired; returns how many were cancelled. The
    holds are read on `primary`, the write database the cancellations are made in."""
    with primary.connect() as connection:
        holders = stock.expired_holders(connection, utc_now(), limit)
    cancelled = 0
    for holder in holders:
        try:
            _, position = lifecycle.act(store, holder, _cancel_if_unpaid, actor=ACTOR)
        except OrderNotFound:
            with store.unit_of_work() as uow:  # a hold without an order: give it back
                stock.release(uow, holder)
            continue
        except InvalidTransition:
            continue
        cancelled += position > 0
    return cancelled


def _cancel_if_unpaid(order: Order) -> list[NewEvent]:
    if order.status is not Status.PENDING_PAYMENT:
        return []
    return order.cancel("payment window expired")


def order_expiry(
    store: EventStore,
    primary: Engine,
    lease_factory: Callable[[], Lease],
    interval: float = 5.0,
) -> Periodic:
    """The sweep, run every `interval` seconds by whichever process holds the lease."""

    def sweep() -> None:
        if cancelled := cancel_expired(store, primary):
            log.info("expired orders cancelled", count=cancelled)

    return leased("order-expiry", interval, sweep, lease_factory)
