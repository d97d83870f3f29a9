"""The shopper's types: the cart, orders and their audit trail, the account.

Each is built from the document REST answers with (parsed by REST's own response models), so
a field here and its REST counterpart are the same fact. Money is a `Float` with two
decimals beside its `currency`, as in REST.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON
from strawberry.types import Info

from polyshop.accounts.domain import Address as AddressValue
from polyshop.accounts.domain import User as UserValue
from polyshop.accounts.domain import Viewer
from polyshop.api.graphql.context import GraphQLContext, blocking
from polyshop.api.rest.models.orders import OrderItemOut, OrderOut, OrderPlacedOut, PaymentOut
from polyshop.eventstore.events import RecordedEvent


@strawberry.type(description="A line of the cart, priced from the catalog now.")
class CartItem:
    product_id: strawberry.ID
    sku: str
    name: str
    size: str | None
    color: str | None
    image: str | None
    quantity: int
    price: float = strawberry.field(description="Today's unit price (two decimals).")
    subtotal: float = strawberry.field(description="price times quantity.")
    available: int = strawberry.field(description="Units available now (a soft figure).")
    price_when_added: float = strawberry.field(description="The unit price when added.")
    price_changed: bool = strawberry.field(description="Whether today's price differs from it.")
    purchasable: bool = strawberry.field(description="False if the product is no longer sold.")
    notice: str | None = strawberry.field(description="What the shopper should know about it.")

    @classmethod
    def of(cls, doc: dict[str, Any]) -> CartItem:
        return cls(**{name: doc[name] for name in _CART_ITEM_FIELDS})


_CART_ITEM_FIELDS = (
    "product_id", "sku", "name", "size", "color", "image", "quantity", "price", "subtotal",
    "available", "price_when_added", "price_changed", "purchasable", "notice",
)  # fmt: skip


@strawberry.type(description="The caller's cart, priced now (not when lines were added).")
class Cart:
    items: list[CartItem]
    total: float = strawberry.field(description="Sum of the subtotals, computed in decimal.")
    currency: str
    item_count: int = strawberry.field(description="Units in the cart, all lines together.")

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Cart:
        return cls(
            items=[CartItem.of(item) for item in doc["items"]],
            total=doc["total"],
            currency=doc["currency"],
            item_count=doc["item_count"],
        )


@strawberry.type(description="A postal address, in the address book or an order.")
class Address:
    label: str
    name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, upper-case (`US`).")
    phone: str

    @classmethod
    def of(cls, fields: dict[str, str]) -> Address:
        return cls(**{name: fields.get(name, "") for name in _ADDRESS_FIELDS})


_ADDRESS_FIELDS = (
    "label", "name", "line1", "line2", "city", "region", "postal_code", "country", "phone",
)  # fmt: skip


@strawberry.input(description="A postal address; the same rules as REST's (and the book's).")
class AddressInput:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, upper-case (`US`).")
    label: str = ""
    line2: str = ""
    region: str = ""
    phone: str = ""

    def as_body(self) -> dict[str, str]:
        """The address as REST's body carries it (snake_case keys)."""
        return {name: getattr(self, name) for name in _ADDRESS_FIELDS}


@strawberry.type(description="A line of an order, priced when it was placed.")
class OrderItem:
    sku: str
    product_id: strawberry.ID
    name: str
    quantity: int
    unit_price: float
    subtotal: float
    image: str | None
    size: str | None
    color: str | None

    @classmethod
    def of(cls, item: OrderItemOut) -> OrderItem:
        return cls(
            sku=item.sku,
            product_id=strawberry.ID(item.product_id),
            name=item.name,
            quantity=item.quantity,
            unit_price=float(item.unit_price),
            subtotal=float(item.subtotal),
            image=item.image,
            size=item.size,
            color=item.color,
        )


@strawberry.type
class Payment:
    payment_id: str
    status: str = strawberry.field(description="`succeeded`, `failed` or `refund_due`.")
    amount: float
    reason: str | None

    @classmethod
    def of(cls, out: PaymentOut) -> Payment:
        return cls(
            payment_id=out.payment_id,
            status=out.status,
            amount=float(out.amount),
            reason=out.reason,
        )


@strawberry.type
class TimelineEntry:
    event: str
    status: str
    at: datetime


@strawberry.type(description="One event of the order's stream, as recorded.")
class OrderEvent:
    position: int = strawberry.field(description="Its position in the whole log.")
    version: int = strawberry.field(description="Its number in the order's stream, from 1.")
    type: str
    data: JSON = strawberry.field(description="As recorded; amounts are decimal strings.")
    occurred_at: datetime
    actor: str | None = strawberry.field(description="`user:<id>`, `operator`, `guest`...")
    correlation_id: str | None

    @classmethod
    def of(cls, event: RecordedEvent) -> OrderEvent:
        return cls(
            position=event.position,
            version=event.version,
            type=event.type,
            data=JSON(event.data),
            occurred_at=event.recorded_at,
            actor=event.metadata.actor,
            correlation_id=event.metadata.correlation_id,
        )


def _trails(
    info: Info[GraphQLContext, None], viewer: Viewer
) -> DataLoader[str, list[RecordedEvent]]:
    """The operation's loader of audit trails for `viewer`: the orders a list expands have
    their events read together, in one read of the log."""
    orders = info.context.container.orders

    async def load(order_ids: list[str]) -> list[list[RecordedEvent]]:
        trails = await blocking(orders.events_of, viewer, order_ids)
        return [trails.get(order_id, []) for order_id in order_ids]

    name = f"order-events:{viewer.user_id}:{viewer.is_admin}"
    return info.context.loader(name, lambda: DataLoader(load_fn=load))


@strawberry.type(description="An order as its events made it.")
class Order:
    id: strawberry.ID
    user_id: str = strawberry.field(description='Who placed it ("" for an unclaimed guest).')
    guest_email: str | None
    status: str
    items: list[OrderItem]
    total: float
    currency: str
    shipping_address: Address
    payment_method_id: str
    placed_at: datetime
    updated_at: datetime
    hold_until: datetime
    tracking_number: str | None
    payments: list[Payment]
    timeline: list[TimelineEntry]
    version: int = strawberry.field(description="The number of events in the order's stream.")
    #: Who may read its events: the viewer it was read for, or a guest order's access key.
    viewer: strawberry.Private[Viewer | None] = None
    access_key: strawberry.Private[str | None] = None

    @strawberry.field(description="The audit trail: every event of the order, oldest first.")
    async def events(self, info: Info[GraphQLContext, None]) -> list[OrderEvent]:
        if self.access_key is not None:
            orders = info.context.container.orders
            found = await blocking(orders.guest_events, str(self.id), access_key=self.access_key)
        elif self.viewer is not None:
            found = await _trails(info, self.viewer).load(str(self.id))
        else:
            found = None
        return [OrderEvent.of(event) for event in found or []]

    @classmethod
    def of(
        cls, doc: dict[str, Any], viewer: Viewer | None = None, access_key: str | None = None
    ) -> Order:
        out = OrderOut.of(doc)
        return cls(
            id=strawberry.ID(out.order_id),
            user_id=out.user_id,
            guest_email=out.guest_email,
            status=out.status,
            items=[OrderItem.of(item) for item in out.items],
            total=float(out.total),
            currency=out.currency,
            shipping_address=Address.of(out.shipping_address),
            payment_method_id=out.payment_method_id,
            placed_at=out.placed_at,
            updated_at=out.updated_at,
            hold_until=out.hold_until,
            tracking_number=out.tracking_number,
            payments=[
                Payment(
                    payment_id=p.payment_id,
                    status=p.status,
                    amount=float(p.amount),
                    reason=p.reason,
                )
                for p in out.payments
            ],
            timeline=[TimelineEntry(event=t.event, status=t.status, at=t.at) for t in out.timeline],
            version=out.version,
            viewer=viewer,
            access_key=access_key,
        )


@strawberry.type(description="The order just placed (or, for a retried key, the first one).")
class OrderPlaced:
    order_id: strawberry.ID
    status: str
    total: float
    currency: str
    items: list[OrderItem]
    hold_until: datetime
    position: int = strawberry.field(description="Log position: `minPosition` to read it.")
    access_key: str | None = strawberry.field(
        description="A guest's order: the key that opens it (`order(accessKey:)`); only in "
        "the first answer, never in a replay."
    )
    replayed: bool = strawberry.field(description="This answers a retry with the same key.")

    @classmethod
    def of(cls, response: dict[str, Any], replayed: bool) -> OrderPlaced:
        out = OrderPlacedOut.model_validate(response)
        return cls(
            order_id=strawberry.ID(out.order_id),
            status=out.status,
            total=float(out.total),
            currency=out.currency,
            items=[OrderItem.of(item) for item in out.items],
            hold_until=out.hold_until,
            position=out.position,
            access_key=out.access_key,
            replayed=replayed,
        )


@strawberry.type(description="An order after a change, and the log position written.")
class OrderChanged:
    order: Order
    position: int = strawberry.field(description="Log position of the change (0: none).")


@strawberry.type(description="A session token: send it as `Authorization: Bearer <token>`.")
class SessionToken:
    token: str
    expires_in: int = strawberry.field(description="Seconds of inactivity before it expires.")


@strawberry.type(description="Signed in: a new token (the presented one is revoked).")
class SignedIn:
    token: str
    expires_in: int
    user: UserProfile
    position: int = strawberry.field(description="Log position of a sign-up (0 for sign-in).")


@strawberry.type(description="The presented token no longer works (harmless without one).")
class SignedOut:
    signed_out: bool


@strawberry.type(description="A customer account, as its owner sees it.")
class UserProfile:
    id: strawberry.ID
    email: str
    name: str
    role: str = strawberry.field(description="`customer` or `admin`.")
    is_admin: bool
    addresses: list[Address]
    created_at: datetime

    @classmethod
    def of(cls, user: UserValue) -> UserProfile:
        return cls(
            id=strawberry.ID(user.id),
            email=user.email,
            name=user.name,
            role=user.role.value,
            is_admin=user.is_admin,
            addresses=[Address.of(_address(a)) for a in user.addresses],
            created_at=user.created_at,
        )


def _address(address: AddressValue) -> dict[str, str]:
    return address.as_dict()
