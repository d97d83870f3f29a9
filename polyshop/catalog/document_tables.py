"""The product read model's tables: wide documents, the narrow listing, SKU owners.

Apart from the projection that fills them, because the catalog's queries read these shapes
and should not depend on how events become documents; and so that what a listing row holds
(`listing_rows`) sits beside the columns and indexes that serve its filters and sorts.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, MetaData, String, Table

from polyshop.catalog import slugs
from polyshop.eventstore.projections.sql_tables import AFTER_BULK
from polyshop.eventstore.schema import Json
from polyshop.values.money import to_cents

DOCUMENTS, LISTING, SKUS = ("product_documents", "product_listing", "product_skus")


def define_document_tables(metadata: MetaData, suffix: str) -> list[Table]:
    """The wide documents (read by id), the narrow listing (filtered and sorted), SKU owners.

    Keeping the JSON out of the listing keeps its rows small, so a filtered, sorted page
    walks an index over ~100-byte rows and only then fetches the few documents it shows.
    """
    documents = Table(
        f"{DOCUMENTS}{suffix}",
        metadata,
        Column("product_id", String(36), primary_key=True),
        Column("document", Json, nullable=False),
        # Kept out of the public document: what the shop has sold is its own business.
        Column("units_ordered", BigInteger, nullable=False),
    )
    listing = Table(
        f"{LISTING}{suffix}",
        metadata,
        # One row per product and per category it is in (itself and every ancestor, and ''
        # for the whole catalog), so any category filter is an equality and each sort an
        # ordered index scan that stops after the page.
        Column("category_prefix", String(301), primary_key=True),
        Column("product_id", String(36), primary_key=True),
        Column("category", String(300), nullable=False),
        Column("name", String(200), nullable=False),
        Column("brand", String(100), nullable=False),
        # What the brand filter compares (`brand_key`); lower case may be longer.
        Column("brand_key", String(400), nullable=False),
        Column("status", String(20), nullable=False),
        Column("price_min_cents", BigInteger, nullable=False),
        Column("price_max_cents", BigInteger, nullable=False),
        Column("in_stock", Boolean, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("units_ordered", BigInteger, nullable=False),
        # The storefront slug of the name (`slugs.slug`, which SQL cannot compute: accents),
        # so `product(slug:)` is one indexed lookup rather than a scan of the names.
        Column("slug", String(slugs.MAX_SLUG), nullable=False),
    )
    _index_listing(listing)
    skus = Table(
        f"{SKUS}{suffix}",
        metadata,
        Column("sku", String(64), primary_key=True),
        Column("product_id", String(36), nullable=False),
    )
    return [documents, listing, skus]


def _index_listing(listing: Table) -> None:
    """One index per sort. Each also carries the columns the other filters test, so a page
    is an index-only walk that checks them on the way and stops once the page is full."""
    checked = ("price_min_cents", "price_max_cents", "in_stock")
    for label, columns in (
        ("price", ("category_prefix", "status", "price_min_cents", "product_id", *checked[1:])),
        ("newest", ("category_prefix", "status", "created_at", "product_id", *checked)),
        ("name", ("category_prefix", "status", "name", "product_id", *checked)),
        (
            "popular",
            ("category_prefix", "status", "units_ordered", "created_at", "product_id", *checked),
        ),
        ("brand", ("category_prefix", "status", "brand_key", *checked, "created_at")),
        # For counting: an in-stock filter, then a price cap, are ranges of this one.
        ("stock", ("category_prefix", "status", "in_stock", "price_min_cents", "price_max_cents")),
        ("product", ("product_id",)),  # what the projection's `apply` finds a product's rows by
        ("slug", ("category_prefix", "slug", "status", "created_at", "product_id")),
    ):
        Index(
            f"{listing.name}_by_{label}",
            *(listing.c[c] for c in columns),
            info={AFTER_BULK: label != "product"},
        )


def brand_key(brand: str) -> str:
    """What brand filters compare: brands match in any letter case, as categories do
    (those are stored lower-case; a brand keeps its display name for pages and facets)."""
    return brand.lower()


def category_prefixes(category: str) -> list[str]:
    """'' (everything), then 'a/', 'a/b/', ... down to the category itself."""
    segments = category.split("/")
    return ["", *("/".join(segments[: i + 1]) + "/" for i in range(len(segments)))]


def listing_rows(doc: dict[str, Any], units_ordered: int) -> list[dict[str, Any]]:
    """One row per category prefix, so filtering by any ancestor category is an equality."""
    common = {
        "product_id": doc["id"],
        "category": doc["category"],
        "name": doc["name"],
        "brand": doc["brand"],
        "brand_key": brand_key(doc["brand"]),
        "status": doc["status"],
        "price_min_cents": to_cents(Decimal(doc["price_min"])),
        "price_max_cents": to_cents(Decimal(doc["price_max"])),
        "in_stock": doc["in_stock"],
        "created_at": datetime.fromisoformat(doc["created_at"]),
        "units_ordered": units_ordered,
        "slug": slugs.slug(doc["name"]),
    }
    return [{"category_prefix": p, **common} for p in category_prefixes(doc["category"])]
