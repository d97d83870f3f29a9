"""The product read model's full-text side on PostgreSQL: what its search adapter reads.

Two tables per generation, kept by the product documents projection beside its own:

- `product_search`: a narrow row per product (the weighted text vector and the columns
  search filters, sorts and counts facets by). A broad word ("laptop" at 1,000,000
  products) matches tens of thousands of rows, and ranking and counting them reads each
  one's heap page. The wide documents put those rows on a page each (about 1 GB to visit);
  here they are a few hundred bytes, and a bulk build writes them ordered by category and
  brand, so the products a word finds mostly share pages: 55,000 matches read 230 ms of
  pages among the documents, 12 ms here.
- `product_terms`: the catalog's vocabulary, trigram-indexed, for typo correction.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, text

SEARCH, TERMS = "product_search", "product_terms"


def vector(document: str = "d.document") -> str:
    """The weighted full-text vector of a document, as SQL: name first, then brand and tags,
    then category and description. Hyphens become spaces, as the query's words are split:
    PostgreSQL's parser reads "2-in-1" as 2 and -1, so a shopper typing it would not find it."""
    return " || ".join(
        f"setweight(to_tsvector('english', translate(coalesce({document}->>'{field}', ''),"
        f" '-/', '  ')), '{weight}')"
        for field, weight in (
            ("name", "A"),
            ("brand", "B"),
            ("tags", "B"),
            ("category", "C"),
            ("description", "D"),
        )
    )


_COLUMNS = (
    "product_id, name, category, brand, status, price_min_cents, price_max_cents, in_stock,"
    " created_at, search"
)
_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.split(", ")[1:])


def _rows(documents: str, listing: str, vector: str = vector()) -> str:
    """Each product's row from its document and its whole-catalog listing row ('' prefix),
    which already holds the typed columns."""
    return (
        "SELECT d.product_id, l.name, l.category, l.brand, l.status, l.price_min_cents,"
        f" l.price_max_cents, l.in_stock, l.created_at, {vector}"
        f" FROM {documents} d JOIN {listing} l"
        " ON l.product_id = d.product_id AND l.category_prefix = ''"
    )


def _rows_of(generation: int) -> str:
    return _rows(f"product_documents__g{generation}", f"product_listing__g{generation}")


def create_tables(connection: Connection, generation: int, *, indexes: bool) -> None:
    """With `indexes`, their GIN indexes too (a bulk build adds them at its end).

    Nine in ten of a page's bytes filled, so a stock or price change rewrites the row in
    its own page (a heap-only update), and a bulk build's order survives live changes."""
    connection.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {SEARCH}__g{generation} ("
        " product_id varchar(36) PRIMARY KEY, name varchar(200) NOT NULL,"
        " category varchar(300) NOT NULL, brand varchar(100) NOT NULL,"
        " status varchar(20) NOT NULL, price_min_cents bigint NOT NULL,"
        " price_max_cents bigint NOT NULL, in_stock boolean NOT NULL,"
        " created_at timestamptz NOT NULL, search tsvector NOT NULL"
        ") WITH (fillfactor = 90)"
    )
    connection.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {TERMS}__g{generation} (term text PRIMARY KEY)"
    )
    if indexes:
        create_indexes(connection, generation)


def create_indexes(connection: Connection, generation: int) -> None:
    connection.exec_driver_sql(
        f"CREATE INDEX IF NOT EXISTS {SEARCH}__g{generation}_search_idx"
        f" ON {SEARCH}__g{generation} USING gin (search)"
    )
    connection.exec_driver_sql(
        f"CREATE INDEX IF NOT EXISTS {TERMS}__g{generation}_trgm_idx"
        f" ON {TERMS}__g{generation} USING gin (term gin_trgm_ops)"
    )


def write(
    connection: Connection, generation: int, product_ids: Collection[str], terms: Collection[str]
) -> None:
    """Bring these products' rows in line with their documents just written; add the terms."""
    if product_ids:
        connection.execute(
            text(
                f"INSERT INTO {SEARCH}__g{generation} ({_COLUMNS}) {_rows_of(generation)}"
                " WHERE d.product_id = ANY(CAST(:ids AS text[]))"
                f" ON CONFLICT (product_id) DO UPDATE SET {_UPDATES}"
            ),
            {"ids": sorted(product_ids)},
        )
    if terms:
        add_terms(connection, generation, terms)


def add_terms(connection: Connection, generation: int, terms: Collection[str]) -> None:
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
        f"INSERT INTO {SEARCH}__g{generation} ({_COLUMNS}) {_rows_of(generation)}"
        " ORDER BY l.category, l.brand, d.product_id"
    )


def bridge_older(connection: Connection, generation: int) -> None:
    """While a generation written before the search rows existed (product documents
    version 6 and older, whose documents carry the vector themselves) serves, a view over
    its tables gives the search adapter the same rows, until the rebuilt one swaps in.

    Over the generation's tables, not the documents' views: older code that still runs
    beside this (a rolling deploy, a rollback) replaces those views, and may."""
    older = connection.exec_driver_sql(
        "SELECT to_regclass('product_search') IS NULL AND EXISTS (SELECT 1 FROM"
        " information_schema.columns WHERE table_name = %(table)s AND column_name = 'search')",
        {"table": f"product_documents__g{generation}"},
    ).scalar_one()
    if older:
        rows = _rows(
            f"product_documents__g{generation}", f"product_listing__g{generation}", "d.search"
        )
        connection.exec_driver_sql(f"CREATE OR REPLACE VIEW {SEARCH} AS {rows}")


def activate(connection: Connection, generation: int) -> None:
    for name in (SEARCH, TERMS):
        connection.exec_driver_sql(f"DROP VIEW IF EXISTS {name}")
        connection.exec_driver_sql(f"CREATE VIEW {name} AS SELECT * FROM {name}__g{generation}")


def vacuum(connection: Connection, generation: int) -> None:
    """Statistics and a visibility map for tables just filled (see `refresh_statistics`)."""
    for name in (SEARCH, TERMS):
        connection.exec_driver_sql(f"VACUUM (ANALYZE) {name}__g{generation}")


def drop(connection: Connection, generation: int) -> None:
    for name in (SEARCH, TERMS):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}__g{generation} CASCADE")
