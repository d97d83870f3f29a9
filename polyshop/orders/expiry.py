"""Unpaid orders give their stock back: a background job cancels orders whose payment
window (the reservation's expiry) has passed, releasing the reserved units.

One process does it at a time (a lease, as projections have); the others stand by. Each
order is cancelled through the aggregate with its expected version, so a payment that lands
at the same moment wins or loses cleanly, never both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from polyshop.eventstore.projections.ports import Lease
from polyshop.eventstore.sql_store import SqlEventStore, utc_now
from polyshop.inventory import stock
from polyshop.orders import lifecycle
from polyshop.orders.domain import InvalidTransition, Order, Status

log = structlog.get_logger(__name__)

ACTOR = "system:order-expiry"


def cancel_expired(store: SqlEventStore, limit: int = 100) -> int:
    """Cancel every order whose hold has expired; returns how many were cancelled."""
    with store.read_engine.connect() as connection:
        holders = stock.expired_holders(connection, utc_now(), limit)
    cancelled = 0
    for holder in holders:
        try:
            _, position = lifecycle.act(store, holder, _cancel_if_unpaid, actor=ACTOR)
        except lifecycle.OrderNotFound:
            with store.unit_of_work() as uow:  # a hold without an order: give it back
                stock.release(uow, holder)
            continue
        except InvalidTransition:
            continue
        cancelled += position > 0
    return cancelled


def _cancel_if_unpaid(order: Order) -> list:  # type: ignore[type-arg]
    if order.status is not Status.PENDING_PAYMENT:
        return []
    return order.cancel("payment window expired")


class OrderExpiry:
    def __init__(
        self, store: SqlEventStore, lease: Callable[[], Lease], interval: float = 5.0
    ) -> None:
        self._store = store
        self._lease_factory = lease
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="order-expiry", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        lease = self._lease_factory()
        try:
            while not self._stopping.wait(self._interval):
                if not (lease.is_held() or lease.acquire()):
                    continue
                try:
                    if cancelled := cancel_expired(self._store):
                        log.info("expired orders cancelled", count=cancelled)
                except Exception as exc:
                    log.warning("order expiry failed", error=str(exc).splitlines()[0])
        finally:
            lease.release()
