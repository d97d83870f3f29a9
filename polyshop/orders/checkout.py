"""Placing an order: the cart becomes an order in one transaction, or nothing happens.

Inside one unit of work on the write database: prices and names come from the catalog's
write model (whatever the client sent is ignored); `OrderPlaced` is appended and the
idempotency key recorded with the answer; last, every line is reserved with conditional
updates in SKU order (all or nothing: no oversell, no deadlock) and the inventory events
appended, so stock rows are locked only for those final statements. The
cart is cleared only after the commit. A retry with the same key and body gets the stored
answer (found when the key's row stops the retry's transaction, or when its cart is already
empty); a crash before the cart is cleared leaves a placed order that the retry returns.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import orjson
import structlog
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from polyshop import correlation
from polyshop.cart.ports import CartStore
from polyshop.catalog import pricing
from polyshop.eventstore.events import EventMetadata
from polyshop.eventstore.ports import NO_STREAM
from polyshop.eventstore.sql_store import SqlEventStore, utc_now
from polyshop.inventory import stock
from polyshop.orders import domain
from polyshop.orders.domain import OrderItem
from polyshop.orders.schema import idempotency

log = structlog.get_logger(__name__)

#: Money amounts are kept under 10^8 everywhere (see `money`); an order is no exception.
MAX_TOTAL = Decimal("100000000")


class EmptyCart(Exception):
    def __init__(self) -> None:
        super().__init__("the cart is empty")


class NotOrderable(Exception):
    """Some cart lines are no longer sold (or no longer exist); nothing was written."""

    def __init__(self, skus: list[str]) -> None:
        self.skus = skus
        super().__init__(f"no longer sold: {', '.join(skus)}")


class TooLarge(Exception):
    def __init__(self, total: Decimal) -> None:
        self.total = total
        super().__init__(f"an order of {total} is more than one order may be")


class KeyReused(Exception):
    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used with a different request body")


# Built once: constructing a statement per order costs more than running it.
_REMEMBER = insert(idempotency)


@dataclass(frozen=True, slots=True)
class Placed:
    status_code: int
    response: dict[str, Any]
    replayed: bool


def request_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def place_order(
    store: SqlEventStore,
    carts: CartStore,
    *,
    user_id: str,
    cart_owner: str,
    key: str,
    body: Mapping[str, Any],
    hold: timedelta,
) -> Placed:
    fingerprint = request_hash(body)
    try:
        return _place(store, carts, user_id, cart_owner, key, fingerprint, body, hold)
    except (EmptyCart, NotOrderable, TooLarge, stock.InsufficientStock, IntegrityError):
        # Only now look for an earlier request with this key (the common path, a first
        # request, saves the round trips): it may have committed, emptied the cart or taken
        # the stock, and its key row stops ours (IntegrityError). Its answer is ours too.
        earlier = _earlier_answer(store, user_id, key, fingerprint)
        if earlier is None:
            raise
        return earlier


def _place(
    store: SqlEventStore,
    carts: CartStore,
    user_id: str,
    cart_owner: str,
    key: str,
    fingerprint: str,
    body: Mapping[str, Any],
    hold: timedelta,
) -> Placed:
    lines = {line.sku: line.quantity for line in carts.snapshot(cart_owner).lines}
    if not lines:
        raise EmptyCart
    order_id = str(uuid.uuid4())
    now = utc_now()
    metadata = EventMetadata(
        correlation_id=correlation.correlation_id.get(),
        actor=f"user:{user_id}",
        idempotency_key=key,
    )
    with store.unit_of_work() as uow:
        offers = pricing.offers(uow.connection, lines)
        refused = sorted(s for s in lines if s not in offers or not offers[s].active)
        if refused:
            raise NotOrderable(refused)
        items = [
            OrderItem(
                sku=sku,
                product_id=offers[sku].product_id,
                name=offers[sku].name,
                quantity=quantity,
                unit_price=offers[sku].unit_price,
                image=offers[sku].image,
                size=offers[sku].size,
                color=offers[sku].color,
            )
            for sku, quantity in sorted(lines.items())
        ]
        placed = domain.placed_event(
            order_id,
            user_id,
            items,
            offers[items[0].sku].currency,
            dict(body["shipping_address"]),
            str(body["payment_method_id"]),
            now + hold,
        )
        if (total := Decimal(placed.data["total"])) >= MAX_TOTAL:
            raise TooLarge(total)
        uow.append(
            domain.stream_id(order_id),
            domain.ORDER_STREAM,
            [placed],
            expected_version=NO_STREAM,
            metadata=metadata,
        )
        response = {
            "order_id": order_id,
            "status": domain.Status.PENDING_PAYMENT.value,
            "total": placed.data["total"],
            "currency": placed.data["currency"],
            "items": [domain.item_document(item) for item in items],
            "hold_until": placed.data["hold_until"],
            "position": uow.position,
        }
        uow.connection.execute(
            _REMEMBER,
            {
                "user_id": user_id,
                "key": key,
                "request_hash": fingerprint,
                "order_id": order_id,
                "status_code": 201,
                "response": response,
                "created_at": now,
            },
        )
        # Last: the stock rows stay locked from here to the commit, so nothing else waits
        # on a hot SKU's lock but the inventory events that record it.
        stock.reserve(uow, order_id, lines, now + hold)
    try:
        carts.clear(cart_owner)
    except Exception as exc:  # the order stands; the shopper can empty the cart by hand
        log.warning("cart not cleared after order", order_id=order_id, error=str(exc))
    return Placed(201, response, replayed=False)


def _earlier_answer(
    store: SqlEventStore, user_id: str, key: str, fingerprint: str
) -> Placed | None:
    with store.read_engine.connect() as connection:  # the primary, never a replica
        row = connection.execute(
            select(
                idempotency.c.request_hash, idempotency.c.status_code, idempotency.c.response
            ).where(idempotency.c.user_id == user_id, idempotency.c.key == key)
        ).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise KeyReused
    return Placed(row.status_code, dict(row.response), replayed=True)
