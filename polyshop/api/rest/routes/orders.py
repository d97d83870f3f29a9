"""Orders: place the cart, read your orders (admins: anyone's), the audit trail, time
travel, and the lifecycle. Another user's order is a 404, never a 403, so ids cannot be
probed."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse

from polyshop.accounts.domain import Address
from polyshop.api.rest.dependencies import (
    AdminDep,
    CallerDep,
    ContainerDep,
    UserDep,
    ViewerDep,
    read_model_at,
)
from polyshop.api.rest.models.orders import (
    OrderEventOut,
    OrderEventsOut,
    OrderOut,
    OrderPlacedOut,
    OrdersOut,
    OrderWritten,
    PlaceOrderIn,
    ReasonIn,
    ShipIn,
)
from polyshop.api.rest.pagination import PageParams
from polyshop.api.rest.problems import Problem, unprocessable
from polyshop.container import Container
from polyshop.eventstore.events import NewEvent
from polyshop.orders import domain, history, lifecycle
from polyshop.orders.domain import Order, Status

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

READ_MODEL = "order_history"
#: `min_position`, awaited on the event loop before the route runs (see `read_model_at`).
MinPosition = Annotated[int | None, Depends(read_model_at(READ_MODEL))]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="retries with it are safe"),
]


def _not_found(order_id: str) -> Problem:
    return Problem(404, f"No order {order_id!r}.", slug="order-not-found")


@router.post("", status_code=201, responses={201: {"model": OrderPlacedOut}})
def place_order(
    body: PlaceOrderIn,
    caller: CallerDep,
    user: UserDep,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Place the cart as an order: prices from the catalog, stock reserved for every line or
    none (409 naming the SKUs short), the cart cleared after. The same key replays the same
    answer; the same key with another body is 422."""
    if not idempotency_key or not idempotency_key.strip():
        raise Problem(
            400,
            "Send an Idempotency-Key header (e.g. a UUID) so a retry cannot order twice.",
            slug="idempotency-key-required",
        )
    Address(**body.shipping_address.model_dump())  # the same rules as the address book
    placed = container.checkout.place(
        user_id=user.id,
        cart_owner=caller.session.cart_owner,
        key=idempotency_key.strip(),
        body=body.model_dump(mode="json"),
    )
    content = OrderPlacedOut.model_validate(placed.response).model_dump(mode="json")
    headers = {"Idempotent-Replayed": "true"} if placed.replayed else {}
    return JSONResponse(content, status_code=placed.status_code, headers=headers)


@router.get("")
def list_orders(
    viewer: ViewerDep,
    container: ContainerDep,
    page: Annotated[PageParams, Query()],
    user_id: Annotated[str | None, Query(max_length=36, description="admins only")] = None,
    status: Status | None = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
    min_position: MinPosition = None,
) -> OrdersOut:
    """Your orders, newest first. Admins see everyone's and may filter by user."""
    placed_from, placed_to = _utc("placed_from", placed_from), _utc("placed_to", placed_to)
    if user_id is not None and not viewer.is_admin:
        raise Problem(403, "Only admins may list another user's orders.", slug="forbidden")
    owner = user_id if viewer.is_admin else viewer.user_id
    documents, total = history.list_orders(
        container.read_engine,
        history.OrderFilter(
            user_id=owner,
            status=status.value if status else None,
            placed_from=placed_from,
            placed_to=placed_to,
        ),
        limit=page.limit,
        offset=page.offset,
    )
    return OrdersOut(
        orders=[OrderOut.of(doc) for doc in documents],
        total=total,
        page=page.page,
        pages=max(1, math.ceil(total / page.limit)),
    )


@router.get("/{order_id}")
def get_order(
    order_id: str,
    viewer: ViewerDep,
    container: ContainerDep,
    as_of: Annotated[datetime | None, Query(description="the order as it stood then")] = None,
    min_position: MinPosition = None,
) -> OrderOut:
    """The order from the history read model, or with `as_of` by replaying its events."""
    if as_of is not None:
        order = lifecycle.load(container.store, order_id, as_of=_utc("as_of", as_of))
        if order is None or not viewer.may_see(order.user_id):
            raise _not_found(order_id)
        return OrderOut.of(domain.document(order))
    document = history.get_order(container.read_engine, order_id)
    if document is None or not viewer.may_see(document["user_id"]):
        raise _not_found(order_id)
    return OrderOut.of(document)


@router.get("/{order_id}/events")
def order_events(order_id: str, viewer: ViewerDep, container: ContainerDep) -> OrderEventsOut:
    """The audit trail: every event of the order with its version, time and actor."""
    events = lifecycle.history(container.store, order_id)
    order = Order.replay(events)
    if order is None or not viewer.may_see(order.user_id):
        raise _not_found(order_id)
    return OrderEventsOut(
        order_id=order_id,
        events=[
            OrderEventOut(
                position=e.position,
                version=e.version,
                type=e.type,
                data=e.data,
                recorded_at=e.recorded_at,
                actor=e.metadata.actor,
                correlation_id=e.metadata.correlation_id,
            )
            for e in events
        ],
    )


@router.post("/{order_id}/cancel")
def cancel_order(
    order_id: str, viewer: ViewerDep, container: ContainerDep, body: ReasonIn | None = None
) -> OrderWritten:
    """Cancel while not shipped: an unpaid order's stock is released, a paid one's restocked."""
    reason = (body.reason if body else "") or f"cancelled by {viewer.actor}"

    def decide(order: Order) -> list[NewEvent]:
        if not viewer.may_see(order.user_id):
            raise lifecycle.OrderNotFound(order_id)
        return order.cancel(reason)

    return _act(container, order_id, decide, viewer.actor)


@router.post("/{order_id}/ship")
def ship_order(
    order_id: str, body: ShipIn, admin: AdminDep, container: ContainerDep
) -> OrderWritten:
    """Admins: a paid order leaves with a tracking number."""
    return _act(container, order_id, lambda o: o.ship(body.tracking_number), admin.actor)


@router.post("/{order_id}/deliver")
def deliver_order(order_id: str, admin: AdminDep, container: ContainerDep) -> OrderWritten:
    return _act(container, order_id, lambda o: o.deliver(), admin.actor)


@router.post("/{order_id}/refund")
def refund_order(
    order_id: str, admin: AdminDep, container: ContainerDep, body: ReasonIn | None = None
) -> OrderWritten:
    """Admins: refund what was paid (restocking if the order never shipped)."""
    reason = (body.reason if body else "") or "refunded by an admin"
    return _act(container, order_id, lambda o: o.refund(reason), admin.actor)


def _act(
    container: Container,
    order_id: str,
    decide: Callable[[Order], list[NewEvent]],
    actor: str,
) -> OrderWritten:
    order, position = lifecycle.act(container.store, order_id, decide, actor=actor)
    return OrderWritten(order=OrderOut.of(domain.document(order)), position=position)


def _utc(name: str, value: datetime | None) -> datetime | None:
    """Times are compared in UTC, the zone the log records (SQLite keeps no offset)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise unprocessable(name, "needs a time zone (e.g. 2026-11-25T12:00:00Z)")
    return value.astimezone(UTC)
