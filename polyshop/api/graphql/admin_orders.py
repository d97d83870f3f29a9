"""Admin orders: anyone's orders with REST's filters, and the lifecycle (ship, deliver,
refund), through the orders service as `GET /api/v1/orders` and `POST …/{id}/ship` etc.

Orders are the shop's `Order` type (read with REST's `OrderOut`, so every amount, time and
status is the fact REST answers; an admin reads any order's `events`). The listing is the
connection `me { orders }` answers: `first` (1 to 100, REST's `limit`) and `after` (a cursor
from an edge or `pageInfo.endCursor`).
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from pydantic import BaseModel, ConfigDict, Field

from polyshop.accounts.domain import Viewer
from polyshop.api.graphql.accounts import OrderConnection, offset_of
from polyshop.api.graphql.admin_access import (
    AdminInfo,
    admin_or_refusal,
    parsed,
    refused_answer,
    require_admin,
)
from polyshop.api.graphql.catalog_paging import checked_first
from polyshop.api.graphql.context import blocking
from polyshop.api.graphql.errors import (
    Conflict,
    NotAllowed,
    NotFound,
    Refused,
    ValidationError,
    query_error,
)
from polyshop.api.graphql.shopping_types import Order, OrderChanged
from polyshop.api.rest.models.orders import ReasonIn, ShipIn
from polyshop.api.rest.models.timestamps import Timestamp
from polyshop.api.rest.routes.orders import READ_MODEL, as_utc
from polyshop.orders.domain import Status
from polyshop.orders.service import OrderFilter, Written

OrderLifecycleResult = Annotated[
    OrderChanged | ValidationError | NotFound | Conflict | NotAllowed | Refused,
    strawberry.union("OrderLifecycleResult"),
]


class _OrdersIn(BaseModel):
    """The listing's filters, held to the rules of `GET /api/v1/orders`'s query."""

    model_config = ConfigDict(extra="forbid")
    user_id: str | None = Field(default=None, max_length=36)
    status: Status | None = None
    placed_from: Timestamp | None = None
    placed_to: Timestamp | None = None


def _filter(**arguments: str | None) -> OrderFilter:
    """The listing's filters, refused (raised: this is a query) as REST refuses them."""
    where = parsed(_OrdersIn, arguments)
    if isinstance(where, ValidationError):
        raise query_error(where)
    return OrderFilter(
        user_id=where.user_id,
        status=where.status.value if where.status else None,
        placed_from=as_utc("placedFrom", where.placed_from),
        placed_to=as_utc("placedTo", where.placed_to),
    )


@strawberry.type
class AdminOrdersQuery:
    @strawberry.field(
        description="Admins: anyone's orders newest first, filtered by user, status and the "
        "time placed (RFC 3339 with a zone); `minPosition` reads after a write."
    )
    async def orders(
        self,
        info: AdminInfo,
        user_id: str | None = None,
        status: str | None = None,
        placed_from: str | None = None,
        placed_to: str | None = None,
        first: int = 20,
        after: str | None = None,
        min_position: int | None = None,
    ) -> OrderConnection:
        admin = await require_admin(info)
        checked_first(first)
        where = _filter(
            user_id=user_id, status=status, placed_from=placed_from, placed_to=placed_to
        )
        offset = offset_of(after)
        await info.context.read_at(READ_MODEL, min_position)
        documents, total = await blocking(
            info.context.container.orders.list_orders, admin, where, limit=first, offset=offset
        )
        return OrderConnection.page(documents, offset, total, admin)


@strawberry.type
class AdminOrdersMutation:
    @strawberry.mutation(description="Admins: a paid order leaves with a tracking number.")
    async def ship_order(
        self, info: AdminInfo, id: strawberry.ID, tracking_number: str
    ) -> OrderLifecycleResult:
        admin = await admin_or_refusal(info)
        if isinstance(admin, NotAllowed):
            return admin
        body = parsed(ShipIn, {"tracking_number": tracking_number})
        if isinstance(body, ValidationError):
            return body
        orders = info.context.container.orders
        return await _act(orders.ship, admin, str(id), body.tracking_number)

    @strawberry.mutation(description="Admins: a shipped order reached its customer.")
    async def deliver_order(self, info: AdminInfo, id: strawberry.ID) -> OrderLifecycleResult:
        admin = await admin_or_refusal(info)
        if isinstance(admin, NotAllowed):
            return admin
        return await _act(info.context.container.orders.deliver, admin, str(id))

    @strawberry.mutation(
        description="Admins: refund what was paid (restocking if the order never shipped); "
        "`reason` goes to the audit trail."
    )
    async def refund_order(
        self, info: AdminInfo, id: strawberry.ID, reason: str | None = strawberry.UNSET
    ) -> OrderLifecycleResult:
        admin = await admin_or_refusal(info)
        if isinstance(admin, NotAllowed):
            return admin
        sent = {} if reason is strawberry.UNSET else {"reason": reason}
        body = parsed(ReasonIn, sent)
        if isinstance(body, ValidationError):
            return body
        return await _act(info.context.container.orders.refund, admin, str(id), body.reason)


async def _act(command: Any, admin: Viewer, *arguments: Any) -> Any:
    """`command(admin, *arguments)` on a worker thread: the order written (its events
    readable by the admin), or the typed refusal."""
    try:
        written: Written = await blocking(command, admin, *arguments)
    except Exception as exc:  # a refusal REST knows becomes its typed result
        return refused_answer(exc)
    return OrderChanged(order=Order.of(written.document, admin), position=written.position)
