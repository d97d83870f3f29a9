"""The catalog write model's SQL: product and variant rows, as the commands read and change them.

Every function runs on the caller's connection, inside the command's unit of work: the rules
(what may change, which events say so) stay in `commands`, the statements live here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update
from sqlalchemy.exc import IntegrityError

from polyshop.catalog import domain, images
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.catalog.errors import DuplicateSku
from polyshop.catalog.schema import products, variants
from polyshop.runtime.bulk import insert_rows
from polyshop.values.money import from_cents, to_cents


def insert_products(
    connection: Connection,
    drafts: Iterable[tuple[str, ProductDraft]],
    created_at: datetime,
    pictures: Iterable[Sequence[images.ProductImage]],
) -> None:
    """The rows of new products (id, draft) and the images each is created with, active,
    at the version their events take them to, in one statement."""
    insert_rows(
        connection,
        products,
        [
            {
                "id": pid,
                "name": d.name,
                "description": d.description,
                "brand": d.brand,
                "category": d.category,
                "price_cents": to_cents(d.price),
                "currency": domain.CURRENCY,
                "tags": list(d.tags),
                "attributes": dict(d.attributes),
                "images": images.gallery_to_row([*images.external_images(d.images), *gallery]),
                "status": domain.ACTIVE,
                "version": 1 + len(gallery),
                "created_at": created_at,
            }
            for (pid, d), gallery in zip(drafts, pictures, strict=True)
        ],
    )


def gallery_of(connection: Connection, product_id: str) -> list[images.GalleryImage] | None:
    """The product's images as the write model holds them (None: no such product)."""
    found = connection.execute(
        select(products.c.images).where(products.c.id == product_id)
    ).scalar_one_or_none()
    return None if found is None else images.gallery_from_row(found)


def referenced_blob_keys(connection: Connection) -> set[str]:
    """Every blob key any product's images refer to, discontinued products' too (their pages
    still show): one query streamed over the galleries, never one per product."""
    keys: set[str] = set()
    rows = connection.execution_options(stream_results=True, yield_per=1000).execute(
        select(products.c.images)
    )
    for (values,) in rows:
        if values:
            keys |= images.blob_keys(values)
    return keys


def locked_product(connection: Connection, product_id: str) -> Row[Any] | None:
    """The product's row, locked until the transaction ends (None: no such product)."""
    return connection.execute(
        select(products).where(products.c.id == product_id).with_for_update()
    ).first()


def product_version(connection: Connection, product_id: str) -> int | None:
    """The product's version (None: no such product), read without a lock."""
    found = connection.execute(select(products.c.version).where(products.c.id == product_id))
    return found.scalar_one_or_none()


def update_product(connection: Connection, product_id: str, values: Mapping[str, Any]) -> None:
    """Write new column values (the version among them) to a product's row."""
    connection.execute(update(products).where(products.c.id == product_id).values(**values))


def variants_of(connection: Connection, product_id: str) -> list[Variant]:
    rows = connection.execute(select(variants).where(variants.c.product_id == product_id))
    return [Variant(r.sku, r.size, r.color, from_cents(r.price_adjustment_cents)) for r in rows]


def taken_skus(connection: Connection, skus: list[str]) -> list[str]:
    """Which of `skus` some variant already has, sorted."""
    taken = connection.execute(select(variants.c.sku).where(variants.c.sku.in_(skus)))
    return sorted(r.sku for r in taken)


def insert_variants(connection: Connection, new: list[tuple[str, Variant]]) -> None:
    """The rows of new variants (product id, variant); a SKU taken meanwhile by a concurrent
    command (after the caller's check) is refused as DuplicateSku."""
    try:
        insert_rows(
            connection,
            variants,
            [
                {
                    "sku": v.sku,
                    "product_id": pid,
                    "size": v.size,
                    "color": v.color,
                    "price_adjustment_cents": to_cents(v.price_adjustment),
                }
                for pid, v in new
            ],
        )
    except IntegrityError as exc:
        raise DuplicateSku([v.sku for _, v in new]) from exc
