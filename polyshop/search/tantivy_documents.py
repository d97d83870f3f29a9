"""How a product document is written into the Tantivy index: the schema and the fields."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
import tantivy

from polyshop.search.analysis import indexed
from polyshop.values.money import to_cents

TEXT_FIELDS = ("name", "brand_text", "tags", "category_text", "description")


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("product_id", tokenizer_name="raw", fast=True)
    for name in TEXT_FIELDS:
        b.add_text_field(name, tokenizer_name="en_stem")
    b.add_text_field("brand", tokenizer_name="raw", fast=True)
    b.add_text_field("category", tokenizer_name="raw", fast=True)
    b.add_text_field("category_path", tokenizer_name="raw")
    b.add_text_field("sku", tokenizer_name="raw")
    b.add_text_field("status", tokenizer_name="raw")
    b.add_unsigned_field("price_min", indexed=True, fast=True)
    b.add_unsigned_field("price_max", indexed=True, fast=True)
    b.add_boolean_field("in_stock", indexed=True)
    b.add_integer_field("created_at", indexed=True, fast=True)
    b.add_bytes_field("doc", stored=True)
    return b.build()


SCHEMA = _schema()


def to_tantivy(doc: dict[str, Any]) -> tantivy.Document:
    segments = doc["category"].split("/")
    out = tantivy.Document()
    for field, value in (
        ("name", doc["name"]),
        ("brand_text", doc["brand"]),
        ("tags", " ".join(doc["tags"])),
        ("category_text", " ".join(segments)),
        ("description", doc["description"]),
    ):  # the words as `analysis` makes them; the field's tokenizer only stems them
        out.add_text(field, indexed(value))
    for field, value in (
        ("product_id", doc["id"]),
        ("brand", doc["brand"]),
        ("category", doc["category"]),
        ("status", doc["status"]),
    ):
        out.add_text(field, value)
    for i in range(len(segments)):
        out.add_text("category_path", "/".join(segments[: i + 1]))
    for variant in doc["variants"]:
        out.add_text("sku", variant["sku"])
    out.add_unsigned("price_min", to_cents(Decimal(doc["price_min"])))
    out.add_unsigned("price_max", to_cents(Decimal(doc["price_max"])))
    out.add_boolean("in_stock", doc["in_stock"])
    out.add_integer(
        "created_at", int(datetime.fromisoformat(doc["created_at"]).timestamp() * 1_000_000)
    )
    out.add_bytes("doc", orjson.dumps(doc))
    return out
