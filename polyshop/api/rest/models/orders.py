"""Order bodies. Money is a JSON number with two decimals beside its currency; in the audit
trail (`OrderEventOut.data`) amounts are decimal strings, as the event log records them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from polyshop.api.rest.models.accounts import AddressIn
from polyshop.api.rest.models.money import Amount
from polyshop.api.rest.models.printable import NOT_BLANK, Printable


class PlaceOrderIn(BaseModel):
    """Checkout: the session's cart becomes an order shipped here, paid with this method."""

    # Extra fields (a price, a total) are ignored, not trusted: prices come from the catalog.
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "shipping_address": {
                        "name": "Ann Lee",
                        "line1": "1 Main Street",
                        "city": "Springfield",
                        "postal_code": "12345",
                        "country": "US",
                    },
                    "payment_method_id": "pm_card_visa",
                }
            ]
        },
    )
    shipping_address: AddressIn
    payment_method_id: Printable = Field(
        min_length=1,
        max_length=100,
        description="The payment provider's id of the method to charge.",
        json_schema_extra={"pattern": NOT_BLANK},
    )
    email: Printable | None = Field(
        default=None,
        max_length=1000,
        description="A guest session's checkout: required, the address the order is kept "
        "under (registering it later moves the order to that account). Ignored for a "
        "signed-in customer.",
        json_schema_extra={"format": "email", "maxLength": 254},
    )


class OrderItemOut(BaseModel):
    """A line of an order, priced when it was placed."""

    sku: str
    product_id: str
    name: str = Field(description="The product's name when the order was placed.")
    quantity: int
    unit_price: Amount = Field(description="The variant's price when the order was placed.")
    subtotal: Amount = Field(description="unit_price times quantity.")
    image: str | None
    size: str | None
    color: str | None


class OrderPlacedOut(BaseModel):
    """The order just placed (or, for a retried key, the one placed the first time)."""

    order_id: str = Field(description="The new order's id (a UUID).")
    status: str = Field(description="`placed`: waiting for payment, its stock reserved.")
    total: Amount = Field(description="What to pay: the sum of the lines' subtotals.")
    currency: str
    items: list[OrderItemOut]
    hold_until: datetime = Field(
        description="Unpaid by then, the order is cancelled and its stock released."
    )
    position: int = Field(description="Log position of the order: `min_position` to read it.")
    access_key: str | None = Field(
        default=None,
        description="A guest's order: the key that opens it without an account "
        "(`GET /api/v1/orders/{id}?key=` or the `X-Order-Key` header). Given once, in the "
        "first answer: a retried key does not repeat it (only its hash is kept).",
    )


class PaymentOut(BaseModel):
    payment_id: str = Field(description="The payment provider's id.")
    status: str = Field(
        description="`succeeded`, `failed`, or `refund_due` (money the order could not take)."
    )
    amount: Amount
    reason: str | None = None


class TimelineEntry(BaseModel):
    event: str = Field(description="The event's type (`OrderPaid`).")
    status: str = Field(description="The order's status after it.")
    at: datetime


class OrderOut(BaseModel):
    """An order as its events made it."""

    order_id: str = Field(description="The order's id (a UUID).")
    user_id: str = Field(description='Who placed it ("" for a guest\'s order not yet claimed).')
    guest_email: str | None = Field(
        default=None, description="A guest's order: the email it was placed with."
    )
    status: str = Field(
        description="`placed`, `paid`, `shipped`, `delivered`, `cancelled` or `refunded`."
    )
    items: list[OrderItemOut]
    total: Amount
    currency: str
    shipping_address: dict[str, str] = Field(description="The address as given at checkout.")
    payment_method_id: str
    placed_at: datetime
    updated_at: datetime
    hold_until: datetime = Field(description="Unpaid by then, the order is cancelled.")
    tracking_number: str | None = Field(description="Set when shipped.")
    payments: list[PaymentOut]
    timeline: list[TimelineEntry] = Field(description="Each status change, oldest first.")
    version: int = Field(description="The number of events in the order's stream.")

    @classmethod
    def of(cls, document: dict[str, Any]) -> OrderOut:
        return cls.model_validate(document)


class OrdersOut(BaseModel):
    """A page of orders, newest first."""

    orders: list[OrderOut]
    total: int = Field(description="Orders matching, on every page.")
    page: int
    pages: int


class OrderWritten(BaseModel):
    order: OrderOut = Field(description="The order after the change.")
    position: int = Field(description="Log position of the change (0: nothing changed).")


class ShipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracking_number: Printable = Field(
        min_length=1,
        max_length=100,
        description="The carrier's tracking number.",
        examples=["1Z999AA10123456784"],
        json_schema_extra={"pattern": NOT_BLANK},
    )


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Printable = Field(
        default="", max_length=500, description="Why, for the audit trail (optional)."
    )


class OrderEventOut(BaseModel):
    """One event of the order's stream, as recorded."""

    position: int = Field(description="Its position in the whole log.")
    version: int = Field(description="Its number in the order's stream, from 1.")
    type: str = Field(description="`OrderPlaced`, `OrderPaid`, `PaymentFailed`...")
    data: dict[str, Any] = Field(
        description='The event\'s data as recorded; amounts are decimal strings (`"19.99"`).'
    )
    recorded_at: datetime
    actor: str | None = Field(description="`user:<id>`, `operator` or `payment-provider`.")
    correlation_id: str | None = Field(description="The request that caused it.")


class OrderEventsOut(BaseModel):
    order_id: str
    events: list[OrderEventOut] = Field(description="Oldest first.")


class WebhookIn(BaseModel):
    """A payment event from the provider."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "order_id": "0190f5a8-7b7e-7cc2-9d1e-1a2b3c4d5e6f",
                    "payment_id": "pay_123",
                    "amount": 19.99,
                    "status": "succeeded",
                }
            ]
        },
    )
    order_id: Printable = Field(max_length=36, description="The order paid for.")
    payment_id: Printable = Field(
        min_length=1, max_length=100, description="The provider's id; a repeat changes nothing."
    )
    amount: Amount = Field(description="The amount charged; another than the total fails.")
    status: Printable = Field(pattern="^(succeeded|failed)$")
    reason: Printable = Field(default="", max_length=500, description="Why a payment failed.")


class WebhookOut(BaseModel):
    order_id: str
    status: str = Field(description="The order's status after the event.")
    duplicate: bool = Field(description="This payment was already recorded; nothing changed.")
    position: int = Field(description="Log position of the change (0: nothing changed).")
