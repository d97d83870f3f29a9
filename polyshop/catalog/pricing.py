"""Current offers per SKU from the write model: one indexed join for a whole cart.

Carts and checkout price from here, not from the product read model, so a price change is
charged the moment it commits, never a projection's lag later.

The SKUs go in as one parameter (a JSON array on SQLite, an array on PostgreSQL), so the
statement is the same text for any number of them: `IN (?, ?, ...)` would be a statement
per count, each prepared and kept by every pooled connection that priced a cart of that
size (on SQLite, up to 128 per connection, hundreds of KiB each for big carts).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import ARRAY, Connection, String, any_, bindparam, func, literal_column, select

from polyshop.catalog.domain import ACTIVE, Offer
from polyshop.catalog.image_documents import gallery_entries, thumbnail
from polyshop.catalog.images import MediaUrl, gallery_from_row, media_path
from polyshop.catalog.schema import products, variants
from polyshop.inventory.schema import stock
from polyshop.values.money import from_cents

_OFFER_COLUMNS = (
    select(
        variants.c.sku,
        variants.c.product_id,
        variants.c.size,
        variants.c.color,
        variants.c.price_adjustment_cents,
        products.c.name,
        products.c.price_cents,
        products.c.currency,
        products.c.status,
        products.c.images,
        stock.c.on_hand,
        stock.c.reserved,
    )
    .join(products, products.c.id == variants.c.product_id)
    .outerjoin(stock, stock.c.sku == variants.c.sku)
)
_SQLITE_OFFERS = _OFFER_COLUMNS.where(
    variants.c.sku.in_(
        select(literal_column("value")).select_from(func.json_each(bindparam("skus")))
    )
)
_POSTGRES_OFFERS = _OFFER_COLUMNS.where(
    variants.c.sku == any_(bindparam("skus", type_=ARRAY(String)))
)


def offers(
    connection: Connection, skus: Iterable[str], media_url: MediaUrl = media_path
) -> dict[str, Offer]:
    """Each SKU's offer; its `image` is the product's primary image at a listing's size,
    its URL made by `media_url` as the product documents make theirs."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    if connection.dialect.name == "sqlite":
        rows = connection.execute(_SQLITE_OFFERS, {"skus": orjson.dumps(wanted).decode()})
    else:
        rows = connection.execute(_POSTGRES_OFFERS, {"skus": wanted})
    return {
        r.sku: Offer(
            sku=r.sku,
            product_id=r.product_id,
            name=r.name,
            unit_price=from_cents(r.price_cents + r.price_adjustment_cents),
            currency=r.currency,
            active=r.status == ACTIVE,
            available=max(0, (r.on_hand or 0) - (r.reserved or 0)),
            size=r.size,
            color=r.color,
            image=_primary_image(r.images, media_url),
        )
        for r in rows
    }


def _primary_image(values: list[Any], media_url: MediaUrl) -> str | None:
    gallery = gallery_from_row(values[:1])
    if not gallery:
        return None
    return str(thumbnail(gallery_entries(gallery, media_url)[0])["url"])


def skus_of(connection: Connection, product_id: str) -> list[str]:
    rows = connection.execute(
        select(variants.c.sku).where(variants.c.product_id == product_id).order_by(variants.c.sku)
    )
    return [r.sku for r in rows]
