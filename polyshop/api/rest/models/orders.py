"""Order bodies. Money is a JSON number with two decimals beside its currency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from polyshop.api.rest.models.accounts import AddressIn
from polyshop.api.rest.models.money import Amount
from polyshop.api.rest.models.printable import Printable


class PlaceOrderIn(BaseModel):
    # Extra fields (a price, a total) are ignored, not trusted: prices come from the catalog.
    model_config = ConfigDict(extra="ignore")
    shipping_address: AddressIn
    payment_method_id: Printable = Field(min_length=1, max_length=100)


class OrderItemOut(BaseModel):
    sku: str
    product_id: str
    name: str
    quantity: int
    unit_price: Amount
    subtotal: Amount
    image: str | None
    size: str | None
    color: str | None


class OrderPlacedOut(BaseModel):
    order_id: str
    status: str
    total: Amount
    currency: str
    items: list[OrderItemOut]
    hold_until: datetime
    position: int


class PaymentOut(BaseModel):
    payment_id: str
    status: str
    amount: Amount
    reason: str | None = None


class TimelineEntry(BaseModel):
    event: str
    status: str
    at: datetime


class OrderOut(BaseModel):
    order_id: str
    user_id: str
    status: str
    items: list[OrderItemOut]
    total: Amount
    currency: str
    shipping_address: dict[str, str]
    payment_method_id: str
    placed_at: datetime
    updated_at: datetime
    hold_until: datetime
    tracking_number: str | None
    payments: list[PaymentOut]
    timeline: list[TimelineEntry]
    version: int

    @classmethod
    def of(cls, document: dict[str, Any]) -> OrderOut:
        return cls.model_validate(document)


class OrdersOut(BaseModel):
    orders: list[OrderOut]
    total: int
    page: int
    pages: int


class OrderWritten(BaseModel):
    order: OrderOut
    position: int = Field(description="log position of the change (0: nothing changed)")


class ShipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracking_number: Printable = Field(min_length=1, max_length=100)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Printable = Field(default="", max_length=500)


class OrderEventOut(BaseModel):
    position: int
    version: int
    type: str
    data: dict[str, Any]
    recorded_at: datetime
    actor: str | None
    correlation_id: str | None


class OrderEventsOut(BaseModel):
    order_id: str
    events: list[OrderEventOut]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    order_id: Printable = Field(max_length=36)
    payment_id: Printable = Field(min_length=1, max_length=100)
    amount: Amount
    status: Printable = Field(pattern="^(succeeded|failed)$")
    reason: Printable = Field(default="", max_length=500)


class WebhookOut(BaseModel):
    order_id: str
    status: str
    duplicate: bool
    position: int
