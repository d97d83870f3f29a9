"""The catalog's write-model tables (the current state the commands check rules against)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Integer, String, Table, Text

from polyshop.eventstore.schema import Json, metadata

products = Table(
    "catalog_products",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("brand", String(100), nullable=False),
    Column("category", String(300), nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("tags", Json, nullable=False),
    Column("attributes", Json, nullable=False),
    Column("images", Json, nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

variants = Table(
    "catalog_variants",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("product_id", String(36), ForeignKey("catalog_products.id"), nullable=False, index=True),
    Column("size", String(50)),
    Column("color", String(50)),
    Column("price_adjustment_cents", BigInteger, nullable=False),
)
