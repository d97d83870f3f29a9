"""Catalog and inventory shapes of the REST API.

A product's bounds (lengths, counts, stock) are the catalog's `product_rules`, which the
admin's forms and CSV imports read text by: one set of numbers for every way in.

Where the server checks a rule after parsing (a SKU's letters, a category path), the field's
documented schema carries the same rule as a pattern, so the document says what is accepted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import JsonDict

from polyshop.api.rest.models.integers import Integer
from polyshop.api.rest.models.money import Amount, SignedAmount
from polyshop.api.rest.pagination import Page
from polyshop.catalog import product_rules as rules

_SEGMENT = "[A-Za-z0-9][A-Za-z0-9-]{0,47}"
#: A category path as `normalize_category` takes it: up to 6 segments, any letter case.
CATEGORY_PATTERN = rf"^/?{_SEGMENT}(/{_SEGMENT}){{0,5}}/?$"
#: The category filter: a path, or empty for every category.
CATEGORY_FILTER_PATTERN = rf"^(/?{_SEGMENT}(/{_SEGMENT}){{0,5}}/?)?$"
#: A SKU as `normalize_sku` takes it (stored upper-cased).
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#: Not blank: what a stripped text field needs to keep a character.
NOT_BLANK = r"\S"

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=rules.MAX_NAME)
]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=rules.MAX_LABEL)
]
# U+0085 spelled out: white space to the server's regex engine, not to ECMA-262's `\s`, and
# the document must refuse what the server refuses.
Url = Annotated[str, StringConstraints(pattern=r"^(https?://|/)[^\s\u0085]{1,500}$")]
_NOT_BLANK: JsonDict = {"pattern": NOT_BLANK}


def no_null(schema: dict[str, Any]) -> None:
    """A patch field: absent means unchanged, and null is refused, so none is offered."""
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if branches:
        schema.update(branches[0])
    schema.pop("default", None)


def _patch(**extra: Any) -> Any:
    """A patch field's `Field`: optional, never null, with `extra` documented."""

    def document(schema: dict[str, Any]) -> None:
        no_null(schema)
        schema.update(extra)

    return Field(default=None, json_schema_extra=document)


class VariantIn(BaseModel):
    """One sellable variant (a SKU) of a product."""

    model_config = ConfigDict(extra="forbid")
    sku: Annotated[str, StringConstraints(min_length=1, max_length=rules.MAX_SKU)] = Field(
        description="Stock-keeping unit, unique in the shop: letters, digits, `.`, `_`, `-`; "
        "stored upper-cased.",
        json_schema_extra={"pattern": SKU_PATTERN},
        examples=["TEE-RED-M"],
    )
    size: Label | None = Field(default=None, examples=["M"], json_schema_extra=_NOT_BLANK)
    color: Label | None = Field(default=None, examples=["red"], json_schema_extra=_NOT_BLANK)
    price_adjustment: SignedAmount = Field(
        default=Decimal("0.00"),
        description="Added to the product's price for this variant (may be negative; the "
        "variant's price may not fall below 0).",
    )
    stock: Integer = Field(
        default=0, ge=0, le=rules.MAX_STOCK, description="Units on hand to start with."
    )


class ProductIn(BaseModel):
    """A new product: what an admin sends to create it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Cotton tee",
                    "description": "A soft tee.",
                    "brand": "Acme",
                    "category": "clothing/tops",
                    "price": 19.99,
                    "tags": ["cotton"],
                    "attributes": {"material": "cotton"},
                    "variants": [{"sku": "TEE-RED-M", "size": "M", "color": "red", "stock": 10}],
                }
            ]
        },
    )
    name: Text = Field(description="What shoppers see.", json_schema_extra=_NOT_BLANK)
    description: Annotated[str, StringConstraints(max_length=rules.MAX_DESCRIPTION)] = Field(
        default="", description="Plain text."
    )
    brand: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=rules.MAX_BRAND)
    ] = Field(json_schema_extra=_NOT_BLANK)
    category: Annotated[str, StringConstraints(min_length=1, max_length=rules.MAX_CATEGORY)] = (
        Field(
            description="A path of up to 6 segments (`clothing/tops`), stored lower-cased.",
            json_schema_extra={"pattern": CATEGORY_PATTERN},
        )
    )
    price: Amount = Field(description="The base price; each variant may adjust it.")
    tags: list[Label] = Field(default_factory=list, max_length=rules.MAX_TAGS)
    attributes: dict[
        Label, Annotated[str, StringConstraints(max_length=rules.MAX_ATTRIBUTE_VALUE)]
    ] = Field(
        default_factory=dict,
        max_length=rules.MAX_ATTRIBUTES,
        description="Free-form facts (`material`).",
    )
    images: list[Url] = Field(
        default_factory=list,
        max_length=rules.MAX_IMAGES,
        description="Image URLs (absolute, or paths).",
    )
    variants: list[VariantIn] = Field(
        min_length=1,
        max_length=rules.MAX_VARIANTS,
        description="The SKUs, each with its starting stock.",
    )


class ProductPatch(BaseModel):
    """The fields to change; absent ones stay as they are (null is refused)."""

    model_config = ConfigDict(extra="forbid")
    name: Text | None = _patch(pattern=NOT_BLANK)
    description: Annotated[str, StringConstraints(max_length=10_000)] | None = _patch()
    brand: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = _patch()
    category: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = _patch(
        pattern=CATEGORY_PATTERN
    )
    price: Amount | None = _patch(description="A new base price (recorded as its own event).")
    tags: Annotated[list[Label], Field(max_length=30)] | None = _patch()
    attributes: Annotated[dict[Label, str], Field(max_length=50)] | None = _patch()
    images: Annotated[list[Url], Field(max_length=20)] | None = _patch()
    variants: Annotated[list[VariantIn], Field(max_length=100)] | None = _patch(
        description="New variants to add (a SKU that exists is refused)."
    )


class VariantOut(BaseModel):
    sku: str = Field(description="The variant's SKU (upper-case).")
    size: str | None
    color: str | None
    price: Amount = Field(description="This variant's price: the base price plus its adjustment.")
    available: int = Field(
        description="Units that can be ordered now (on hand less reserved); a soft figure, "
        "checked again at checkout."
    )


class PriceRange(BaseModel):
    """From the cheapest variant's price to the dearest's: what the price filters match."""

    min: Amount
    max: Amount


class RenditionOut(BaseModel):
    """One stored rendition of an image: a width in one format."""

    url: str = Field(description="Immutable (the content's hash is in it): cache it for good.")
    width: int
    height: int
    format: str = Field(description="`jpeg`, `png`, `webp` or `avif`.")


class ImageOut(BaseModel):
    """A product image, ready for `<picture>`: sizes reserve its space before it loads."""

    id: str = Field(description="The image's id (for PATCH and DELETE).")
    alt: str = Field(description="Alternative text (may be empty).")
    format: str | None = Field(
        description="The uploaded image's format; null for an external image (a URL)."
    )
    width: int | None = Field(description="Pixel width of `url`; null for an external image.")
    height: int | None = Field(description="Pixel height of `url`; null for an external image.")
    url: str = Field(description="The largest file in the image's own format.")
    renditions: list[RenditionOut] = Field(description="Every rendition, by format and width.")
    srcset: dict[str, str] = Field(
        description="Per format (`avif`, `webp`, `jpeg`/`png`), a `srcset` value: "
        "`url 160w, url 320w, ...`."
    )


class ThumbnailOut(BaseModel):
    """The primary image at a listing's size (about 320 pixels wide)."""

    url: str
    width: int | None
    height: int | None


class ProductOut(BaseModel):
    """A product document (also each entry of a listing, and each search result)."""

    id: str = Field(description="The product's id (a UUID).")
    name: str
    description: str
    brand: str
    category: str = Field(description="Its category path, lower-case (`clothing/tops`).")
    tags: list[str]
    attributes: dict[str, str]
    images: list[ImageOut] = Field(description="In order, the primary image first.")
    thumbnail: ThumbnailOut | None = Field(
        default=None, description="The primary image for listings; null without images."
    )
    status: str = Field(description="`active` (on sale) or `discontinued`.")
    currency: str = Field(description="ISO 4217 code of every amount in the document.")
    price: Amount = Field(description="The base price (before variant adjustments).")
    price_range: PriceRange
    in_stock: bool = Field(description="Whether any variant is available now.")
    variants: list[VariantOut]
    created_at: datetime
    updated_at: datetime = Field(description="When the product last changed (RFC 3339).")

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
    """What a catalog write answers."""

    product_id: str = Field(description="The product written.")
    position: int = Field(
        description="The log position of the write: pass it as `min_position` to read it."
    )


class ProductsOut(Page):
    """A page of the browse listing, in the order asked for."""

    products: list[ProductOut]


class StockOut(BaseModel):
    sku: str
    on_hand: int = Field(description="Units in the warehouse.")
    reserved: int = Field(description="Units held by unpaid orders.")
    available: int = Field(description="Units that can be ordered: on hand less reserved.")


class AdjustIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delta: Integer = Field(
        ge=-10_000_000,
        le=10_000_000,
        description="Units to add (positive) or remove (negative); never below what is reserved.",
        examples=[25],
    )
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ] = Field(
        description="Why, for the stock ledger.",
        examples=["delivery received"],
        json_schema_extra=_NOT_BLANK,
    )


class StockWritten(StockOut):
    position: int = Field(description="The log position of the adjustment.")
