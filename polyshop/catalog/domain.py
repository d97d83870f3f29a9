"""Catalog rules and events, free of storage and HTTP.

A product has a base price; each variant (a SKU: a size and/or colour) adjusts it. The
category is a path (`electronics/laptops`) so filters can take a whole subtree.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from polyshop.values import sku as sku_rule
from polyshop.values.money import LIMIT, parse_amount
from polyshop.values.sku import InvalidSku

PRODUCT_STREAM = "product"
CURRENCY = "USD"

PRODUCT_CREATED = "ProductCreated"
PRODUCT_UPDATED = "ProductUpdated"
PRICE_CHANGED = "PriceChanged"
VARIANT_ADDED = "VariantAdded"
PRODUCT_DISCONTINUED = "ProductDiscontinued"

ACTIVE, DISCONTINUED = "active", "discontinued"

_SEGMENT = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")


class CatalogError(ValueError):
    """A catalog rule was broken; `field` names the offending input."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def stream_id(product_id: str) -> str:
    return f"product-{product_id}"


def is_product_id(value: str) -> bool:
    """Whether `value` can name a product: ids are UUIDs in their 36-character form, so
    anything else (a crawler's guess, a 5,000-character path) is unknown without a lookup."""
    if len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def normalize_sku(sku: str) -> str:
    try:
        return sku_rule.normalize_sku(sku)
    except InvalidSku as exc:
        raise CatalogError("sku", str(exc)) from exc


def normalize_category(path: str) -> str:
    segments = [s.strip().lower() for s in path.strip().strip("/").split("/")]
    if not segments or not all(_SEGMENT.match(s) for s in segments) or len(segments) > 6:
        raise CatalogError(
            "category", f"{path!r} is not a category path like 'electronics/laptops'"
        )
    return "/".join(segments)


@dataclass(frozen=True, slots=True)
class Variant:
    sku: str
    size: str | None = None
    color: str | None = None
    price_adjustment: Decimal = Decimal("0.00")

    def to_event(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "size": self.size,
            "color": self.color,
            "price_adjustment": str(self.price_adjustment),
        }

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> Variant:
        return cls(
            data["sku"], data.get("size"), data.get("color"), Decimal(data["price_adjustment"])
        )


@dataclass(frozen=True, slots=True)
class ProductDraft:
    """What an admin submits for a new product, validated on construction."""

    name: str
    description: str
    brand: str
    category: str
    price: Decimal
    variants: tuple[Variant, ...]
    tags: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)
    images: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", normalize_category(self.category))
        object.__setattr__(self, "price", parse_amount(self.price))
        if not self.variants:
            raise CatalogError("variants", "a product needs at least one variant (SKU)")
        skus = [v.sku for v in self.variants]
        if len(set(skus)) != len(skus):
            raise CatalogError("variants", "the same SKU appears twice")
        for variant in self.variants:
            check_variant_price(self.price, variant)


def check_variant_price(base: Decimal, variant: Variant) -> None:
    """A variant's price (the base plus its adjustment) is an amount like any other: not
    negative and below `LIMIT`, though each part alone may be within it."""
    price = base + variant.price_adjustment
    if price < 0 or price >= LIMIT:
        raise CatalogError("price_adjustment", f"{variant.sku} would cost {price}")


def created_event(product_id: str, draft: ProductDraft) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "name": draft.name,
        "description": draft.description,
        "brand": draft.brand,
        "category": draft.category,
        "price": str(draft.price),
        "currency": CURRENCY,
        "tags": list(draft.tags),
        "attributes": dict(draft.attributes),
        "images": list(draft.images),
        "variants": [v.to_event() for v in draft.variants],
    }


@dataclass(frozen=True, slots=True)
class Offer:
    """A SKU as a buyer sees it right now: what it costs and whether it can be bought.

    Read from the write model (strongly consistent), for carts and checkout.
    """

    sku: str
    product_id: str
    name: str
    unit_price: Decimal
    currency: str
    active: bool
    available: int
    size: str | None = None
    color: str | None = None
    image: str | None = None


@dataclass(frozen=True, slots=True)
class NewVariant:
    """A variant as submitted: its SKU in any letter case, and the units it starts with."""

    sku: str
    size: str | None = None
    color: str | None = None
    price_adjustment: Decimal = Decimal("0.00")
    stock: int = 0


def new_variants(items: Sequence[NewVariant]) -> tuple[tuple[Variant, ...], dict[str, int]]:
    """The variants with their SKUs normalized, and the stock each starts with; a bad SKU
    is named by its place (`variants.2.sku`)."""
    variants, stock = [], {}
    for i, item in enumerate(items):
        try:
            sku = normalize_sku(item.sku)
        except CatalogError as exc:
            raise CatalogError(f"variants.{i}.{exc.field}", str(exc)) from exc
        variants.append(Variant(sku, item.size, item.color, item.price_adjustment))
        stock[sku] = item.stock
    return tuple(variants), stock
