"""Orders: read one (its owner, an admin, or a guest holding its key), place the cart, cancel.

The rules are REST's, by the same service calls: another user's order does not exist for
the caller (not found, never forbidden, so ids cannot be probed); a checkout needs an
idempotency key, and a retry with it answers what the first attempt did; a guest orders
with an email and gets the order's access key once.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import strawberry

from polyshop.api.graphql.context import blocking
from polyshop.api.graphql.errors import (
    invalid,
)
from polyshop.api.graphql.shopping_checks import (
    Invalid,
    Refusal,
    ShopInfo,
    answer,
    checked,
    session_of,
    user_of,
    utc,
    viewer_of,
)
from polyshop.api.graphql.shopping_types import AddressInput, Order, OrderChanged, OrderPlaced
from polyshop.api.rest.models.orders import PlaceOrderIn, ReasonIn
from polyshop.api.rest.problems import Problem, unprocessable

READ_MODEL = "order_history"
#: An idempotency key as REST's header documents it: printable ASCII, not blank, 200 at most.
_KEY = re.compile(r"^[ -~]*[!-~][ -~]*$")
_KEY_LENGTH = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOO_LONG = f"String should have at most {_KEY_LENGTH} characters"

PlaceOrderResult = Annotated[
    OrderPlaced | Refusal,
    strawberry.union("PlaceOrderResult", description="The order placed, or why none was."),
]
CancelOrderResult = Annotated[
    OrderChanged | Refusal,
    strawberry.union("CancelOrderResult", description="The order cancelled, or why not."),
]


def _not_found(order_id: str) -> Problem:
    return Problem(404, f"No order {order_id!r}.", slug="order-not-found")


def _order_id(order_id: strawberry.ID) -> str:
    """The id as the services take it; one with control characters names no order (and
    PostgreSQL could not even compare it)."""
    if _CONTROL.search(order_id):
        raise _not_found(order_id)
    return str(order_id)


def _idempotency_key(key: str) -> str:
    if len(key) > _KEY_LENGTH:
        raise Invalid(invalid("idempotencyKey", _TOO_LONG))
    if not _KEY.match(key):
        raise Invalid(
            invalid("idempotencyKey", "must be printable ASCII and not blank, such as a UUID")
        )
    return key


@strawberry.type
class OrderQuery:
    @strawberry.field(
        description="One order: the caller's own (admins: anyone's), or a guest order opened "
        "with its `accessKey`. Another user's order is not found, never forbidden. `asOf`: "
        "as it stood then, replayed from its events (then `minPosition` does not apply)."
    )
    async def order(
        self,
        info: ShopInfo,
        id: strawberry.ID,
        as_of: datetime | None = None,
        min_position: int | None = None,
        access_key: str | None = None,
    ) -> Order | None:
        await info.context.read_at(READ_MODEL, min_position)
        orders = info.context.container.orders
        order_id = _order_id(id)
        if access_key:
            if len(access_key) > _KEY_LENGTH:
                raise unprocessable("accessKey", _TOO_LONG)
            doc = await blocking(orders.guest_order, order_id, access_key=access_key)
            if doc is None:
                raise _not_found(order_id)
            return Order.of(doc, access_key=access_key)
        viewer = await viewer_of(info)
        doc = await blocking(orders.get_order, viewer, order_id, as_of=utc("asOf", as_of))
        if doc is None:
            raise _not_found(order_id)
        return Order.of(doc, viewer)


@strawberry.type
class OrderMutation:
    @strawberry.mutation(
        description="Place the cart as an order: prices from the catalog, stock reserved for "
        "every line or none (OutOfStock naming the SKUs), the cart emptied after. The same "
        "key replays the first answer; with other arguments it is refused. A guest session "
        "orders too, giving `email`: the answer's `accessKey` opens the order."
    )
    async def place_order(
        self,
        info: ShopInfo,
        idempotency_key: str,
        shipping_address: AddressInput,
        payment_method_id: str,
        email: str | None = None,
    ) -> PlaceOrderResult:
        async def place() -> OrderPlaced:
            session = await session_of(info)
            user = await user_of(info) if session.user_id else None
            key = _idempotency_key(idempotency_key)
            body = checked(
                PlaceOrderIn,
                {
                    "shipping_address": shipping_address.as_body(),
                    "payment_method_id": payment_method_id,
                    "email": email,
                },
            )
            placed = await blocking(
                info.context.container.orders.place,
                user_id=user.id if user else None,
                cart_owner=session.cart_owner,
                key=key,
                body=body.model_dump(mode="json"),
            )
            return OrderPlaced.of(placed.response, placed.replayed)

        return await answer(place())

    @strawberry.mutation(
        description="Cancel while not shipped: an unpaid order's stock is released, a paid "
        "one's restocked. The owner or an admin."
    )
    async def cancel_order(
        self, info: ShopInfo, id: strawberry.ID, reason: str = ""
    ) -> CancelOrderResult:
        async def cancel() -> OrderChanged:
            viewer = await viewer_of(info)
            why = checked(ReasonIn, {"reason": reason}).reason
            order_id = _order_id(id)
            written = await blocking(info.context.container.orders.cancel, viewer, order_id, why)
            return OrderChanged(order=Order.of(written.document, viewer), position=written.position)

        return await answer(cancel())
