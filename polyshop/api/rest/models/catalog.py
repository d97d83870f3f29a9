"""Catalog and inventory shapes of the REST API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from polyshop.api.rest.models.money import Amount, SignedAmount
from polyshop.api.rest.pagination import Page

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Url = Annotated[str, StringConstraints(pattern=r"^(https?://|/)\S{1,500}$")]


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    size: Label | None = None
    color: Label | None = None
    price_adjustment: SignedAmount = Decimal("0.00")
    stock: int = Field(default=0, ge=0, le=10_000_000)


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text
    description: Annotated[str, StringConstraints(max_length=10_000)] = ""
    brand: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    category: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    price: Amount
    tags: list[Label] = Field(default_factory=list, max_length=30)
    attributes: dict[Label, Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=dict, max_length=50
    )
    images: list[Url] = Field(default_factory=list, max_length=20)
    variants: list[VariantIn] = Field(min_length=1, max_length=100)


class ProductPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text | None = None
    description: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    brand: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    category: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    price: Amount | None = None
    tags: list[Label] | None = Field(default=None, max_length=30)
    attributes: dict[Label, str] | None = Field(default=None, max_length=50)
    images: list[Url] | None = Field(default=None, max_length=20)
    variants: list[VariantIn] | None = Field(
        default=None, max_length=100, description="new variants to add (existing SKUs refused)"
    )


class VariantOut(BaseModel):
    sku: str
    size: str | None
    color: str | None
    price: Amount
    available: int


class PriceRange(BaseModel):
    min: Amount
    max: Amount


class ProductOut(BaseModel):
    id: str
    name: str
    description: str
    brand: str
    category: str
    tags: list[str]
    attributes: dict[str, str]
    images: list[str]
    status: str
    currency: str
    price: Amount
    price_range: PriceRange
    in_stock: bool
    variants: list[VariantOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, doc: dict[str, Any]) -> ProductOut:
        prices = [Decimal(v["price"]) for v in doc["variants"]]
        return cls.model_validate(
            {
                **doc,
                "price_range": {"min": min(prices), "max": max(prices)},
                "in_stock": doc.get("in_stock", False),
            }
        )


class ProductWritten(BaseModel):
    product_id: str
    position: int


class ProductsOut(Page):
    products: list[ProductOut]


class StockOut(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    available: int


class AdjustIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delta: int = Field(ge=-10_000_000, le=10_000_000)
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class StockWritten(StockOut):
    position: int
