"""Orders: place the cart, read your orders (admins: anyone's), the audit trail, time
travel, and the lifecycle. Another user's order is a 404, never a 403, so ids cannot be
probed."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from polyshop.accounts.domain import Viewer
from polyshop.api.rest.dependencies import (
    AdminDep,
    Caller,
    ContainerDep,
    TokenDep,
    ViewerDep,
    current_user,
    current_viewer,
    read_model_at,
    resolve_session,
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
from polyshop.api.rest.models.timestamps import Timestamp
from polyshop.api.rest.openapi import JSON_BODY, READ_WAIT, problems
from polyshop.api.rest.pagination import PageParams
from polyshop.api.rest.problems import Problem, unprocessable
from polyshop.api.rest.route_errors import translating
from polyshop.api.rest.routes import orders_errors
from polyshop.orders.domain import Status
from polyshop.orders.service import OrderFilter, Written
from polyshop.values.clock import in_utc

#: Where orders are placed (POST), queued at the door under a rush (`CheckoutQueue`).
PLACE_PATH = "/api/v1/orders"

router = APIRouter(
    prefix=PLACE_PATH, tags=["orders"], route_class=translating(orders_errors.problem_of)
)

READ_MODEL = "order_history"
#: `min_position`, awaited on the event loop before the route runs (see `read_model_at`).
MinPosition = Annotated[int | None, Depends(read_model_at(READ_MODEL))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Required: a key of the client's choosing (printable ASCII, such as a "
        "UUID), the same for every "
        "retry of one checkout. A retry with it answers what the first attempt did "
        "(`Idempotent-Replayed: true`) and orders nothing twice; with another body it is 422.",
        json_schema_extra={"pattern": "^[ -~]*[!-~][ -~]*$"},
        examples=["5f0c7a1e-3c2b-4d8e-9a6f-0b1c2d3e4f50"],
    ),
]
OrderId = Annotated[
    str,
    Path(description="The order's id (a UUID), as `order_id` in its document."),
]
_NO_ORDER = (404, "No such order, or not one the caller may see (never 403: ids cannot be probed).")
_TRANSITION = (409, "The order's status does not allow this (`status_value` says which it has), "
               "or it changed meanwhile: retry.")  # fmt: skip
_TIME_ZONE = "RFC 3339 with a zone (`2026-11-25T12:00:00Z`)."
_KEY = "A guest order's access key (from its checkout): opens that order without signing in."
AccessKey = Annotated[str | None, Query(max_length=200, description=_KEY)]
AccessKeyHeader = Annotated[
    str | None, Header(alias="X-Order-Key", max_length=200, description=_KEY)
]


def _not_found(order_id: str) -> Problem:
    return Problem(404, f"No order {order_id!r}.", slug="order-not-found")


@router.post(
    "",
    status_code=201,
    responses={
        201: {
            "model": OrderPlacedOut,
            "headers": {
                "Idempotent-Replayed": {
                    "description": "`true` when this answers a retry with the same key",
                    "schema": {"type": "string"},
                }
            },
        },
        **problems(
            (400, "No Idempotency-Key header, or a body that is not JSON."),
            (401, "No session (a guest session may order, with `email`)."),
            (409, "Not enough stock for some lines (`skus` names them; nothing was reserved), "
             "or this cart was already ordered (`order_id` names the order)."),
            413,
            415,
            (422, "An input breaks a rule (`errors` names it); or the cart is empty, holds "
             "products no longer sold, or totals more than 99,999,999.99; or the "
             "Idempotency-Key was used with another body."),
            503,
        ),
    },
)  # fmt: skip
def place_order(
    body: PlaceOrderIn,
    token: TokenDep,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Place the cart as an order: prices from the catalog, stock reserved for every line or
    none (409 naming the SKUs short), the cart cleared after. The same key replays the same
    answer; the same key with another body is 422. A guest session orders too, giving
    `email`: the answer's `access_key` opens the order without an account."""
    # The session is resolved here, in the route's own worker thread: one hop per checkout,
    # so under a rush each buyer's work runs in one piece, in the order they came.
    caller = Caller(token, resolve_session(container, token))
    user = current_user(caller, container) if caller.session.user_id else None
    placed = container.orders.place(
        user_id=user.id if user else None,
        cart_owner=caller.session.cart_owner,
        key=idempotency_key,
        body=body.model_dump(mode="json"),
    )
    content = OrderPlacedOut.model_validate(placed.response).model_dump(mode="json")
    headers = {"Idempotent-Replayed": "true"} if placed.replayed else {}
    return JSONResponse(content, status_code=placed.status_code, headers=headers)


@router.get(
    "",
    responses=problems(
        401, (403, "A customer asked for another user's orders (`user_id`)."), 422, *READ_WAIT
    ),
)
def list_orders(
    viewer: ViewerDep,
    container: ContainerDep,
    page: Annotated[PageParams, Query()],
    user_id: Annotated[
        str | None,
        Query(max_length=36, description="Admins only: this user's orders (default: everyone's)."),
    ] = None,
    status: Annotated[Status | None, Query(description="Only orders in this status.")] = None,
    placed_from: Annotated[
        Timestamp | None,
        Query(description="Only orders placed at or after this time, " + _TIME_ZONE),
    ] = None,
    placed_to: Annotated[
        Timestamp | None, Query(description="Only orders placed before this time, " + _TIME_ZONE)
    ] = None,
    min_position: MinPosition = None,
) -> OrdersOut:
    """Your orders, newest first. Admins see everyone's and may filter by user."""
    placed_from, placed_to = as_utc("placed_from", placed_from), as_utc("placed_to", placed_to)
    documents, total = container.orders.list_orders(
        viewer,
        OrderFilter(
            user_id=user_id,
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


@router.get(
    "/{order_id}",
    responses=problems(401, _NO_ORDER, 422, *READ_WAIT),
    # A signed-in owner, an admin, or anyone holding a guest order's key.
    openapi_extra={"security": [{"session": []}, {"admin": []}, {}]},
)
def get_order(
    order_id: OrderId,
    request: Request,
    container: ContainerDep,
    key: AccessKey = None,
    x_order_key: AccessKeyHeader = None,
    as_of: Annotated[
        Timestamp | None,
        Query(
            description="The order as it stood at this time, replayed from its events "
            "(then `min_position` does not apply), " + _TIME_ZONE
        ),
    ] = None,
    min_position: MinPosition = None,
) -> OrderOut:
    """The order from the history read model, or with `as_of` by replaying its events. A
    guest order opens with its access key (`key` or `X-Order-Key`), without signing in."""
    if access_key := key or x_order_key:
        document = container.orders.guest_order(order_id, access_key=access_key)
        if document is None:
            raise _not_found(order_id)
        return OrderOut.of(document)
    viewer = _viewer(request, container)
    document = container.orders.get_order(viewer, order_id, as_of=as_utc("as_of", as_of))
    if document is None:
        raise _not_found(order_id)
    return OrderOut.of(document)


@router.get("/{order_id}/events", responses=problems(401, _NO_ORDER, 503))
def order_events(order_id: OrderId, viewer: ViewerDep, container: ContainerDep) -> OrderEventsOut:
    """The audit trail: every event of the order with its version, time and actor."""
    events = container.orders.get_events(viewer, order_id)
    if events is None:
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


@router.post("/{order_id}/cancel", responses=problems(*JSON_BODY, 401, _NO_ORDER, _TRANSITION, 503))
def cancel_order(
    order_id: OrderId, viewer: ViewerDep, container: ContainerDep, body: ReasonIn | None = None
) -> OrderWritten:
    """Cancel while not shipped: an unpaid order's stock is released, a paid one's restocked."""
    return _written(container.orders.cancel(viewer, order_id, body.reason if body else ""))


@router.post(
    "/{order_id}/ship", responses=problems(*JSON_BODY, 401, 403, _NO_ORDER, _TRANSITION, 503)
)
def ship_order(
    order_id: OrderId, body: ShipIn, admin: AdminDep, container: ContainerDep
) -> OrderWritten:
    """Admins: a paid order leaves with a tracking number."""
    return _written(container.orders.ship(admin, order_id, body.tracking_number))


@router.post("/{order_id}/deliver", responses=problems(401, 403, _NO_ORDER, _TRANSITION, 503))
def deliver_order(order_id: OrderId, admin: AdminDep, container: ContainerDep) -> OrderWritten:
    """Admins: a shipped order reached its customer."""
    return _written(container.orders.deliver(admin, order_id))


@router.post(
    "/{order_id}/refund",
    responses=problems(*JSON_BODY, 401, 403, _NO_ORDER, _TRANSITION, 503),
)
def refund_order(
    order_id: OrderId, admin: AdminDep, container: ContainerDep, body: ReasonIn | None = None
) -> OrderWritten:
    """Admins: refund what was paid (restocking if the order never shipped)."""
    return _written(container.orders.refund(admin, order_id, body.reason if body else ""))


def _viewer(request: Request, container: ContainerDep) -> Viewer:
    return current_viewer(request, container)


def _written(written: Written) -> OrderWritten:
    return OrderWritten(order=OrderOut.of(written.document), position=written.position)


def as_utc(name: str, value: datetime | None) -> datetime | None:
    """Times are compared in UTC, the zone the log records (SQLite keeps no offset)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise unprocessable(name, "needs a time zone (e.g. 2026-11-25T12:00:00Z)")
    moment = in_utc(value)
    if moment is None:
        raise unprocessable(name, "lies outside the calendar in UTC (years 1 to 9999)")
    return moment
