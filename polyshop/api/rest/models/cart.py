"""Cart bodies. The cart itself is served as ready JSON (see `cart.service.document`);
these models document it in OpenAPI."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from polyshop.api.rest.models.printable import Printable


class AddItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Printable | None = Field(default=None, max_length=100)
    product_id: Printable | None = Field(default=None, max_length=100)
    quantity: int = Field(default=1, description="1..99")

    @model_validator(mode="after")
    def _one_of(self) -> AddItemIn:
        if self.sku is None and self.product_id is None:
            raise ValueError("give a sku or a product_id")
        return self


class QuantityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: int = Field(description="1..99")


class CartItemOut(BaseModel):
    product_id: str
    sku: str
    name: str
    size: str | None
    color: str | None
    image: str | None
    quantity: int
    price: float = Field(description="today's unit price")
    subtotal: float
    available: int = Field(description="units available now (a soft figure)")
    price_when_added: float
    price_changed: bool
    purchasable: bool = Field(description="false if the product is no longer sold")
    notice: str | None = Field(description="what the shopper should know about this line")


class CartOut(BaseModel):
    items: list[CartItemOut]
    total: float
    currency: str
    item_count: int
