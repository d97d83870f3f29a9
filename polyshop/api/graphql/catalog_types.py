"""The catalog's GraphQL types, read from product documents as the read model holds them.

A document already carries what a page shows: each image's URLs, sizes and `srcset` per
format (made once by the projection, the same values REST's `ImageOut` and the storefront's
`<picture>` serve), the thumbnail, each variant's price and availability. These types only
rename them for GraphQL; nothing here computes a URL or a price again.

Amounts are `Float`s in the product's `currency`, as REST sends them (two decimals).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from polyshop.api.graphql import loaders
from polyshop.api.graphql.context import GraphQLContext
from polyshop.api.rest.problems import unprocessable
from polyshop.catalog import domain
from polyshop.catalog.slugs import slug
from polyshop.recommendations.service import MAX_LIMIT


def amount(value: str | Decimal) -> float:
    """A document's amount (a decimal string) as GraphQL's Float, two decimals as REST."""
    return float(Decimal(value).quantize(Decimal("0.01")))


@strawberry.type(description="A free-form fact of a product (`material`: `cotton`).")
class Attribute:
    name: str
    value: str


@strawberry.type(description="From the cheapest variant's price to the dearest's.")
class PriceRange:
    min: float
    max: float


@strawberry.type(description="One sellable variant (a SKU) of a product.")
class Variant:
    sku: str = strawberry.field(description="The variant's SKU (upper-case).")
    size: str | None
    color: str | None
    price: float = strawberry.field(description="The base price plus this variant's adjustment.")
    available: int = strawberry.field(
        description="Units that can be ordered now (on hand less reserved); a soft figure, "
        "checked again at checkout."
    )
    in_stock: bool = strawberry.field(
        description="Whether it can be bought now: the product is on sale and units are left."
    )

    @classmethod
    def of(cls, variant: dict[str, Any], on_sale: bool) -> Variant:
        available = int(variant["available"])
        return cls(
            sku=variant["sku"],
            size=variant["size"],
            color=variant["color"],
            price=amount(variant["price"]),
            available=available,
            in_stock=on_sale and available > 0,
        )


@strawberry.type(description="One stored rendition of an image: a width in one format.")
class Rendition:
    url: str = strawberry.field(description="Immutable (the content's hash is in it).")
    width: int
    height: int
    format: str = strawberry.field(description="`jpeg`, `png`, `webp` or `avif`.")


@strawberry.type(description="A `srcset` attribute value for one format.")
class Srcset:
    format: str = strawberry.field(description="`avif`, `webp`, `jpeg` or `png`.")
    value: str = strawberry.field(description="`url 160w, url 320w, ...`.")


@strawberry.type(description="A product image, ready for `<picture>`.")
class Image:
    id: str = strawberry.field(description="The image's id (for the admin image mutations).")
    url: str = strawberry.field(description="The largest file in the image's own format.")
    width: int | None = strawberry.field(description="Of `url`; null for an external image.")
    height: int | None = strawberry.field(description="Of `url`; null for an external image.")
    alt: str = strawberry.field(description="Alternative text (may be empty).")
    format: str | None = strawberry.field(description="Null for an external image (a URL).")
    primary: bool = strawberry.field(description="The product's first image, its face.")
    srcset: list[Srcset] = strawberry.field(description="Per format, best first as stored.")
    renditions: list[Rendition]

    @classmethod
    def of(cls, entry: dict[str, Any], primary: bool) -> Image:
        return cls(
            id=entry["id"],
            url=entry["url"],
            width=entry["width"],
            height=entry["height"],
            alt=entry["alt"],
            format=entry["format"],
            primary=primary,
            srcset=[Srcset(format=f, value=v) for f, v in entry["srcset"].items()],
            renditions=[Rendition(**r) for r in entry["renditions"]],
        )


@strawberry.type(description="The primary image at a listing's size (about 320 pixels wide).")
class Thumbnail:
    url: str
    width: int | None
    height: int | None


@strawberry.type(description="A product as the catalog's read model holds it.")
class Product:
    id: strawberry.ID = strawberry.field(description="The product's id (a UUID).")
    name: str
    slug: str = strawberry.field(
        description="Its name in URL form, as the storefront's `/p/{id}/{slug}`; "
        "`product(slug:)` finds the oldest product on sale with it."
    )
    description: str
    brand: str
    category: str = strawberry.field(description="Its category path, lower-case.")
    tags: list[str]
    attributes: list[Attribute]
    status: str = strawberry.field(description="`active` (on sale) or `discontinued`.")
    currency: str = strawberry.field(description="ISO 4217 code of every amount here.")
    price: float = strawberry.field(description="The base price (before variant adjustments).")
    price_range: PriceRange
    in_stock: bool = strawberry.field(description="Whether any variant is available now.")
    created_at: datetime
    updated_at: datetime = strawberry.field(description="When the product last changed.")
    variants: list[Variant]
    images: list[Image] = strawberry.field(description="In order, the primary image first.")
    thumbnail: Thumbnail | None = strawberry.field(description="Null without images.")

    @strawberry.field(
        description="Products bought or viewed together with this one, else similar ones, "
        "ranked as REST's `/products/{id}/recommendations`: never this product, one that "
        "cannot be bought now, or one already in the caller's cart. `limit`: 1 to 20."
    )
    async def recommendations(
        self, info: Info[GraphQLContext, None], limit: int = 10
    ) -> list[Product]:
        if not 1 <= limit <= MAX_LIMIT:
            raise unprocessable("limit", f"must be between 1 and {MAX_LIMIT}")
        found = await loaders.recommendations(info.context).load((str(self.id), limit))
        return [Product.of(r.document) for r in found]

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Product:
        on_sale = doc["status"] == domain.ACTIVE
        prices = [Decimal(v["price"]) for v in doc["variants"]]
        thumbnail = doc.get("thumbnail")
        return cls(
            id=strawberry.ID(doc["id"]),
            name=doc["name"],
            slug=slug(doc["name"]),
            description=doc["description"],
            brand=doc["brand"],
            category=doc["category"],
            tags=list(doc["tags"]),
            attributes=[Attribute(name=k, value=v) for k, v in doc["attributes"].items()],
            status=doc["status"],
            currency=doc["currency"],
            price=amount(doc["price"]),
            price_range=PriceRange(min=amount(min(prices)), max=amount(max(prices))),
            in_stock=bool(doc.get("in_stock", False)),
            created_at=datetime.fromisoformat(doc["created_at"]),
            updated_at=datetime.fromisoformat(doc["updated_at"]),
            variants=[Variant.of(v, on_sale) for v in doc["variants"]],
            images=[Image.of(e, i == 0) for i, e in enumerate(doc["images"])],
            thumbnail=Thumbnail(**thumbnail) if thumbnail else None,
        )
