"""PostgreSQL search's own tables, one set per generation, and the SQL that fills them.

- `search_documents` / `search_skus`: the products as the search projection folds them
  (the same documents the catalog keeps, so a result is answered from one read model)
  with their text's words as `analysis` makes them, and which product each SKU belongs
  to, for stock events.
- `search_rows`: a narrow row per product (the weighted text vector and the columns search
  filters, sorts and counts facets by). A broad word ("laptop" at 1,000,000 products)
  matches tens of thousands of rows, and ranking and counting them reads each one's heap
  page. The wide documents put those rows on a page each (about 1 GB to visit); here they
  are a few hundred bytes, and a bulk build writes them ordered by category and brand, so
  the products a word finds mostly share pages: 55,000 matches read 230 ms of pages among
  the documents, 12 ms here.
- `search_terms`: the catalog's vocabulary, trigram-indexed, for typo correction.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR

from polyshop.eventstore.projections.sql_tables import AFTER_BULK
from polyshop.eventstore.schema import Json
from polyshop.search import analysis

DOCUMENTS, SKUS, ROWS, TERMS = "search_documents", "search_skus", "search_rows", "search_terms"


def define_tables(metadata: MetaData, suffix: str) -> list[Table]:
    """The search read model's tables; the GIN indexes wait for the end of a bulk build.

    The rows fill nine in ten of a page's bytes, so a stock or price change rewrites a row
    in its own page (a heap-only update), and a bulk build's order survives live changes."""
    documents = Table(
        f"{DOCUMENTS}{suffix}",
        metadata,
        Column("product_id", String(36), primary_key=True),
        Column("document", Json, nullable=False),
        #: Each text field's words (`WORD_FIELDS`), separated by spaces: what the vector holds.
        Column("words", Json, nullable=False),
    )
    skus = Table(
        f"{SKUS}{suffix}",
        metadata,
        Column("sku", String(64), primary_key=True),
        Column("product_id", String(36), nullable=False),
    )
    rows = Table(
        f"{ROWS}{suffix}",
        metadata,
        Column("product_id", String(36), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("category", String(300), nullable=False),
        Column("brand", String(100), nullable=False),
        Column("status", String(20), nullable=False),
        Column("price_min_cents", BigInteger, nullable=False),
        Column("price_max_cents", BigInteger, nullable=False),
        Column("in_stock", Boolean, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("search", TSVECTOR, nullable=False),
        postgresql_with={"fillfactor": 90},
    )
    Index(f"{rows.name}_search_idx", rows.c.search, postgresql_using="gin", info={AFTER_BULK: True})
    terms = Table(f"{TERMS}{suffix}", metadata, Column("term", Text, primary_key=True))
    Index(
        f"{terms.name}_trgm_idx",
        terms.c.term,
        postgresql_using="gin",
        postgresql_ops={"term": "gin_trgm_ops"},
        info={AFTER_BULK: True},
    )
    return [documents, skus, rows, terms]


#: The text fields a product is found by, each with its weight: name first, then brand and
#: tags, then category and description.
WORD_FIELDS = (
    ("name", "A"),
    ("brand", "B"),
    ("tags", "B"),
    ("category", "C"),
    ("description", "D"),
)


def words_of(document: dict[str, Any]) -> dict[str, str]:
    """A document's text fields as `analysis` makes them, for `search_documents.words`."""
    text = {
        "name": document["name"],
        "brand": document["brand"],
        "tags": " ".join(document["tags"]),
        "category": document["category"],
        "description": document["description"],
    }
    return {field: analysis.indexed(text[field]) for field, _ in WORD_FIELDS}


def vector(words: str = "d.words", text: str = "coalesce({words}->>'{field}', '')") -> str:
    """The weighted full-text vector of a document's words, as SQL. They are split and
    folded already (`analysis`); PostgreSQL's english configuration only stems them.
    `text`: each field's text as SQL, from the JSON `words` (an older copy reads its
    document's own text)."""
    return " || ".join(
        f"setweight(to_tsvector('english', {text.format(words=words, field=field)}), '{weight}')"
        for field, weight in WORD_FIELDS
    )


COLUMNS = (
    "product_id, name, category, brand, status, price_min_cents, price_max_cents, in_stock,"
    " created_at, search"
)
_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS.split(", ")[1:])


def rows_from(documents: str, search: str | None = None) -> str:
    """Each product's row, as SQL, from a table of documents (`d`); `search`: the vector's
    SQL, by default computed from the documents' words (`vector`)."""
    cents = "CAST(CAST(d.document->>'{0}' AS numeric) * 100 AS bigint) AS {0}_cents"
    return (
        "SELECT d.product_id, d.document->>'name' AS name, d.document->>'category' AS category,"
        " d.document->>'brand' AS brand, d.document->>'status' AS status,"
        f" {cents.format('price_min')}, {cents.format('price_max')},"
        " CAST(d.document->>'in_stock' AS boolean) AS in_stock,"
        " CAST(d.document->>'created_at' AS timestamptz) AS created_at,"
        f" {search or vector()} AS search FROM {documents} d"
    )


def write_rows(connection: Connection, generation: int, product_ids: Collection[str]) -> None:
    """Bring these products' rows in line with their documents just written."""
    if product_ids:
        connection.execute(
            text(
                f"INSERT INTO {ROWS}__g{generation} ({COLUMNS})"
                f" {rows_from(f'{DOCUMENTS}__g{generation}')}"
                " WHERE d.product_id = ANY(CAST(:ids AS text[]))"
                f" ON CONFLICT (product_id) DO UPDATE SET {_UPDATES}"
            ),
            {"ids": sorted(product_ids)},
        )


def add_terms(connection: Connection, generation: int, terms: Collection[str]) -> None:
    if terms:
        connection.execute(
            text(
                f"INSERT INTO {TERMS}__g{generation} (term)"
                " SELECT unnest(CAST(:terms AS text[])) ON CONFLICT DO NOTHING"
            ),
            {"terms": sorted(terms)},
        )


def fill(connection: Connection, generation: int) -> None:
    """A bulk build's rows, all at once from the documents, in category and brand order."""
    connection.exec_driver_sql(
        f"INSERT INTO {ROWS}__g{generation} ({COLUMNS})"
        f" {rows_from(f'{DOCUMENTS}__g{generation}')}"
        " ORDER BY d.document->>'category', d.document->>'brand', d.product_id"
    )


def is_empty(connection: Connection, generation: int) -> bool:
    return not connection.exec_driver_sql(
        f"SELECT EXISTS (SELECT 1 FROM {DOCUMENTS}__g{generation})"
    ).scalar_one()


def is_serving(connection: Connection) -> bool:
    """Whether search reads this model's views (see `postgres_legacy` for before)."""
    return bool(connection.exec_driver_sql(f"SELECT to_regclass('{ROWS}') IS NOT NULL").scalar())
