"""The Order aggregate: its state is the fold of its events; decisions return new events.

No I/O here. Loading (replay), writing with the expected version and the inventory side
effects live in `lifecycle` and `checkout`. The same fold builds the order-history read
model, so a rebuilt read model and a replay can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from polyshop.eventstore.events import NewEvent, RecordedEvent

ORDER_STREAM = "order"
ORDER_PLACED = "OrderPlaced"
ORDER_PAID = "OrderPaid"
PAYMENT_FAILED = "PaymentFailed"
ORDER_SHIPPED = "OrderShipped"
ORDER_DELIVERED = "OrderDelivered"
ORDER_CANCELLED = "OrderCancelled"
ORDER_REFUNDED = "OrderRefunded"
PAYMENT_REFUND_DUE = "PaymentRefundDue"
#: A guest's order joins the account registered with its email (`user_id` says whose).
ORDER_CLAIMED = "OrderClaimed"
EVENT_TYPES = frozenset(
    {
        ORDER_CLAIMED,
        PAYMENT_REFUND_DUE,
        ORDER_PLACED,
        ORDER_PAID,
        PAYMENT_FAILED,
        ORDER_SHIPPED,
        ORDER_DELIVERED,
        ORDER_CANCELLED,
        ORDER_REFUNDED,
    }
)


class Status(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class InvalidTransition(Exception):
    def __init__(self, status: Status, action: str) -> None:
        self.status = status
        self.action = action
        super().__init__(f"cannot {action} an order that is {status.value.replace('_', ' ')}")


Action = Literal["ship", "deliver", "cancel", "refund"]
#: What each lifecycle action needs the order to be: the one copy of the rule, which the
#: decisions enforce and pages offer by (`Order.allows`; a refund also: paid, then cancelled).
ACTIONS: dict[Action, frozenset[Status]] = {
    "ship": frozenset({Status.PAID}),
    "deliver": frozenset({Status.SHIPPED}),
    "cancel": frozenset({Status.PENDING_PAYMENT, Status.PAID}),
    "refund": frozenset({Status.PAID, Status.SHIPPED, Status.DELIVERED}),
}


def stream_id(order_id: str) -> str:
    return f"order-{order_id}"


@dataclass(frozen=True, slots=True)
class OrderItem:
    sku: str
    product_id: str
    name: str
    quantity: int
    unit_price: Decimal
    image: str | None = None
    size: str | None = None
    color: str | None = None

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity

    def to_event(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "product_id": self.product_id,
            "name": self.name,
            "quantity": self.quantity,
            "unit_price": str(self.unit_price),
            "image": self.image,
            "size": self.size,
            "color": self.color,
        }

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> OrderItem:
        return cls(**{**data, "unit_price": Decimal(data["unit_price"])})


def placed_event(
    order_id: str,
    user_id: str,
    items: list[OrderItem],
    currency: str,
    shipping_address: dict[str, str],
    payment_method_id: str,
    hold_until: datetime,
    cart: tuple[str, str] | None = None,
    guest: tuple[str, str] | None = None,
) -> NewEvent:
    """`cart`: the owner and id of the cart the order was placed from, so the cart can be
    emptied of what was ordered from the log (see `cart.ordered`). `guest`: a guest's email
    and the hash of the order's access key (the key itself is never stored); a guest order
    has no `user_id` ("") until it is claimed."""
    total = sum((item.subtotal for item in items), Decimal("0.00"))
    data: dict[str, Any] = {
        "order_id": order_id,
        "user_id": user_id,
        "items": [item.to_event() for item in items],
        "total": str(total),
        "currency": currency,
        "shipping_address": shipping_address,
        "payment_method_id": payment_method_id,
        "hold_until": hold_until.isoformat(),
    }
    if cart is not None:
        data["cart_owner"], data["cart_id"] = cart
    if guest is not None:
        data["guest_email"], data["access_key_hash"] = guest
    return NewEvent(ORDER_PLACED, data)


def claimed_event(user_id: str) -> NewEvent:
    return NewEvent(ORDER_CLAIMED, {"user_id": user_id})


def payment_event(type_: str, payment_id: str | None, amount: object, reason: str) -> NewEvent:
    """A payment failed or due for refund: which one, how much, and why (one shape for all)."""
    return NewEvent(type_, {"payment_id": payment_id, "amount": str(amount), "reason": reason})


@dataclass
class Order:
    id: str
    user_id: str
    status: Status
    items: list[OrderItem]
    total: Decimal
    currency: str
    shipping_address: dict[str, str]
    payment_method_id: str
    placed_at: datetime
    hold_until: str
    version: int = 0
    paid_amount: Decimal | None = None
    paid_payment_id: str | None = None
    tracking_number: str | None = None
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    updated_at: datetime | None = None
    guest_email: str | None = None
    #: Only on an order replayed from its events (the read model's documents leave it out).
    access_key_hash: str | None = None

    # Folding --------------------------------------------------------------------------

    @classmethod
    def replay(cls, events: list[RecordedEvent]) -> Order | None:
        order: Order | None = None
        for event in events:
            order = fold(order, event.type, event.data, event.version, event.recorded_at)
        return order

    def refund_due(self, payment_id: str) -> bool:
        return self.payments.get(payment_id, {}).get("status") == "refund_due"

    # Decisions ------------------------------------------------------------------------

    def allows(self, action: Action) -> bool:
        """Whether the state allows `action` (a key of `ACTIONS`) now: what its decision
        checks before refusing, and what a page asks before offering it."""
        if action == "refund" and self.status is Status.CANCELLED:
            return self.paid_amount is not None  # paid, then cancelled: the money is owed
        return self.status in ACTIONS[action]

    def possible_actions(self) -> list[Action]:
        """The lifecycle actions the state allows now, in `ACTIONS` order (none: final)."""
        return [action for action in ACTIONS if self.allows(action)]

    def claim(self, user_id: str) -> list[NewEvent]:
        """A guest order joins `user_id`'s account once; a claimed or customer's order
        stays whose it is (claiming again changes nothing)."""
        if self.guest_email is None or self.user_id:
            return []
        return [claimed_event(user_id)]

    def pay(self, payment_id: str, amount: Decimal) -> list[NewEvent]:
        """Record a successful payment. A repeated delivery changes nothing; a wrong amount
        is recorded as a failed payment and leaves the order unpaid; a payment the order
        can no longer take is recorded as due for refund (see `refund_due`)."""
        if payment_id in self.payments:
            return []
        if self.status is not Status.PENDING_PAYMENT:
            # Money arrived that the order cannot take (paid twice, or paid after the hold
            # expired): never lost, recorded so that it is refunded.
            why = f"received while the order was {self.status.value}"
            return [payment_event(PAYMENT_REFUND_DUE, payment_id, amount, why)]
        if amount != self.total:
            why = f"amount {amount} does not match the order total {self.total}"
            return [payment_event(PAYMENT_FAILED, payment_id, amount, why)]
        return [NewEvent(ORDER_PAID, {"payment_id": payment_id, "amount": str(amount)})]

    def fail_payment(self, payment_id: str, amount: Decimal, reason: str) -> list[NewEvent]:
        if payment_id in self.payments:
            return []
        if self.status is not Status.PENDING_PAYMENT:
            raise InvalidTransition(self.status, "fail the payment of")
        return [payment_event(PAYMENT_FAILED, payment_id, amount, reason[:500])]

    def ship(self, tracking_number: str) -> list[NewEvent]:
        if not self.allows("ship"):
            raise InvalidTransition(self.status, "ship")
        return [NewEvent(ORDER_SHIPPED, {"tracking_number": tracking_number})]

    def deliver(self) -> list[NewEvent]:
        if not self.allows("deliver"):
            raise InvalidTransition(self.status, "deliver")
        return [NewEvent(ORDER_DELIVERED, {})]

    def cancel(self, reason: str) -> list[NewEvent]:
        """Unpaid: the reservation is released. Paid: the units were taken, so they go back
        on the shelf, and the payment is recorded as due for refund in the same append, so
        the money kept for an order that will never ship cannot be forgotten."""
        if not self.allows("cancel"):
            raise InvalidTransition(self.status, "cancel")
        if self.status is Status.PENDING_PAYMENT:
            return [NewEvent(ORDER_CANCELLED, {"reason": reason[:500], "stock": "release"})]
        return [
            NewEvent(ORDER_CANCELLED, {"reason": reason[:500], "stock": "restock"}),
            payment_event(
                PAYMENT_REFUND_DUE,
                self.paid_payment_id,
                self.paid_amount,
                "the order was cancelled after it was paid",
            ),
        ]

    def refund(self, reason: str) -> list[NewEvent]:
        if not self.allows("refund"):
            raise InvalidTransition(self.status, "refund")
        return [
            NewEvent(
                ORDER_REFUNDED,
                {
                    "amount": str(self.paid_amount),
                    "reason": reason[:500],
                    # Refunded before it left: it never will, so its units go back on the shelf.
                    "restock": self.status is Status.PAID,
                },
            )
        ]


def fold(
    order: Order | None, type_: str, data: dict[str, Any], version: int, at: datetime
) -> Order:
    """One event applied to the order (None before OrderPlaced)."""
    if type_ == ORDER_PLACED:
        order = Order(
            id=data["order_id"],
            user_id=data["user_id"],
            status=Status.PENDING_PAYMENT,
            items=[OrderItem.from_event(item) for item in data["items"]],
            total=Decimal(data["total"]),
            currency=data["currency"],
            shipping_address=dict(data["shipping_address"]),
            payment_method_id=data["payment_method_id"],
            placed_at=at,
            hold_until=data["hold_until"],
            guest_email=data.get("guest_email"),
            access_key_hash=data.get("access_key_hash"),
        )
    assert order is not None, f"{type_} before OrderPlaced"
    if type_ == ORDER_PAID:
        order.status = Status.PAID
        order.paid_amount = Decimal(data["amount"])
        order.paid_payment_id = data["payment_id"]
        order.payments[data["payment_id"]] = {"status": "succeeded", "amount": data["amount"]}
    elif type_ == PAYMENT_FAILED:
        order.payments[data["payment_id"]] = {
            "status": "failed",
            "amount": data["amount"],
            "reason": data["reason"],
        }
    elif type_ == PAYMENT_REFUND_DUE:
        order.payments[data["payment_id"]] = {
            "status": "refund_due",
            "amount": data["amount"],
            "reason": data["reason"],
        }
    elif type_ == ORDER_SHIPPED:
        order.status = Status.SHIPPED
        order.tracking_number = data["tracking_number"]
    elif type_ == ORDER_DELIVERED:
        order.status = Status.DELIVERED
    elif type_ == ORDER_CANCELLED:
        order.status = Status.CANCELLED
    elif type_ == ORDER_REFUNDED:
        order.status = Status.REFUNDED
        _settle_paid_payment(order)
    elif type_ == ORDER_CLAIMED:
        order.user_id = data["user_id"]
    order.version = version
    order.updated_at = at
    order.timeline.append({"event": type_, "status": order.status.value, "at": at.isoformat()})
    return order


def _settle_paid_payment(order: Order) -> None:
    """A refund returns the payment that paid the order (due for refund or not): it no
    longer shows as owed. Other money due for refund (a second payment) is still owed."""
    entry = order.payments.get(order.paid_payment_id or "")
    if entry is not None:
        entry["status"] = "refunded"


def item_document(item: OrderItem) -> dict[str, Any]:
    return {**item.to_event(), "subtotal": str(item.subtotal)}


def document(order: Order) -> dict[str, Any]:
    """The order as readers see it (money as strings here; the API renders numbers)."""
    return {
        "order_id": order.id,
        "user_id": order.user_id,
        "status": order.status.value,
        "items": [item_document(item) for item in order.items],
        "total": str(order.total),
        "currency": order.currency,
        "shipping_address": order.shipping_address,
        "payment_method_id": order.payment_method_id,
        "placed_at": order.placed_at.isoformat(),
        "updated_at": (order.updated_at or order.placed_at).isoformat(),
        "hold_until": order.hold_until,
        "tracking_number": order.tracking_number,
        "payments": [{"payment_id": k, **v} for k, v in order.payments.items()],
        "paid_payment_id": order.paid_payment_id,
        "timeline": order.timeline,
        "version": order.version,
        "guest_email": order.guest_email,
    }


def from_document(doc: dict[str, Any]) -> Order:
    paid_by = doc.get("paid_payment_id") or next(
        (p["payment_id"] for p in doc["payments"] if p["status"] == "succeeded"), None
    )
    return Order(
        id=doc["order_id"],
        user_id=doc["user_id"],
        status=Status(doc["status"]),
        items=[
            OrderItem.from_event({k: v for k, v in item.items() if k != "subtotal"})
            for item in doc["items"]
        ],
        total=Decimal(doc["total"]),
        currency=doc["currency"],
        shipping_address=doc["shipping_address"],
        payment_method_id=doc["payment_method_id"],
        placed_at=datetime.fromisoformat(doc["placed_at"]),
        hold_until=doc["hold_until"],
        version=doc["version"],
        paid_amount=next(
            (Decimal(p["amount"]) for p in doc["payments"] if p["payment_id"] == paid_by), None
        ),
        paid_payment_id=paid_by,
        tracking_number=doc["tracking_number"],
        payments={
            p["payment_id"]: {k: v for k, v in p.items() if k != "payment_id"}
            for p in doc["payments"]
        },
        timeline=list(doc["timeline"]),
        updated_at=datetime.fromisoformat(doc["updated_at"]),
        guest_email=doc.get("guest_email"),
    )
