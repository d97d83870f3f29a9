"""Cart bodies. The cart itself is served as ready JSON (see `cart.service.document`);
these models document it in OpenAPI."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import JsonDict

from polyshop.api.rest.models.catalog import SKU_PATTERN
from polyshop.api.rest.models.integers import Integer
from polyshop.api.rest.models.printable import Printable

_QUANTITY: JsonDict = {"minimum": 1, "maximum": 99}


class AddItemIn(BaseModel):
    """Units to add: of a SKU, or of a product that has one variant only."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"sku": "TEE-RED-M", "quantity": 2}],
            # One of the two, as a string: what `_one_of` checks.
            "anyOf": [
                {"required": ["sku"], "properties": {"sku": {"type": "string"}}},
                {"required": ["product_id"], "properties": {"product_id": {"type": "string"}}},
            ],
        },
    )
    sku: Printable | None = Field(
        default=None,
        max_length=100,
        description="The SKU to add, in any letter case.",
        json_schema_extra={"pattern": SKU_PATTERN},
    )
    product_id: Printable | None = Field(
        default=None, max_length=100, description="Instead of `sku`: a one-variant product."
    )
    quantity: Integer = Field(
        default=1,
        description="Units to add (1..99); they add to what the line holds, up to 99.",
        json_schema_extra=_QUANTITY,
    )

    @model_validator(mode="after")
    def _one_of(self) -> AddItemIn:
        if self.sku is None and self.product_id is None:
            raise ValueError("give a sku or a product_id")
        return self


class QuantityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: Integer = Field(
        description="The line's new quantity (1..99).", json_schema_extra=_QUANTITY
    )


class CartItemOut(BaseModel):
    product_id: str
    sku: str
    name: str
    size: str | None
    color: str | None
    image: str | None
    quantity: int
    price: float = Field(description="Today's unit price (two decimals).")
    subtotal: float = Field(description="price times quantity.")
    available: int = Field(description="Units available now (a soft figure).")
    price_when_added: float = Field(description="The unit price when the line was added.")
    price_changed: bool = Field(description="Whether today's price differs from it.")
    purchasable: bool = Field(description="False if the product is no longer sold.")
    notice: str | None = Field(description="What the shopper should know about this line.")


class CartOut(BaseModel):
    """The cart, priced from the catalog now (not when lines were added)."""

    items: list[CartItemOut]
    total: float = Field(description="Sum of the subtotals, computed in decimal (two decimals).")
    currency: str
    item_count: int = Field(description="Units in the cart, all lines together.")
