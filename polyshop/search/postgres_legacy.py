"""What PostgreSQL search answered from before it kept its own read model, and how it still
does until that model's first build is swapped in.

Up to product documents version 8 the catalog's projection wrote the search rows
(`product_search`, `product_terms`: versions 7 and 8) or kept the vector in its documents
(version 6 and older). A shop upgraded from those keeps answering searches from them while
the search projection builds its own copy beside; its first swap-in drops them.
Nothing here writes that older copy: it only reads what is left, and goes once unused.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from polyshop.search import sql_postgres

_ROWS, _TERMS = "product_search", "product_terms"
# The catalog's views: read by name at query time, never from a view of ours, so the
# catalog may replace them (and drop the tables under them) whenever it swaps.
_DOCUMENTS = "product_documents"
# The vector of a catalog document as the catalog made it then: from the document's own
# text (it has no words beside it), hyphens and slashes read as spaces.
_VECTOR = sql_postgres.vector(
    "d.document", text="translate(coalesce({words}->>'{field}', ''), '-/', '  ')"
)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a search reads its rows (a relation with the `search_rows` columns), its
    vocabulary (None: no typo correction) and the documents it returns."""

    rows: str
    terms: str | None
    documents: str


OWN = Source(sql_postgres.ROWS, sql_postgres.TERMS, sql_postgres.DOCUMENTS)

_FOUND = f"""
    SELECT to_regclass('{sql_postgres.ROWS}') IS NOT NULL,
           to_regclass('{_ROWS}') IS NOT NULL,
           to_regclass('{_TERMS}') IS NOT NULL,
           EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = '{_DOCUMENTS}'
                     AND column_name = 'search')
"""


def source(connection: Connection) -> Source | None:
    """The search model's own views once they serve; else the older copy's; None if the
    shop has neither (a new shop whose first generation is being created)."""
    own, rows, terms, vectors = connection.exec_driver_sql(_FOUND).one()
    if own:
        return OWN
    if rows:  # versions 7 and 8: the catalog's narrow rows
        return Source(_ROWS, _TERMS if terms else None, _DOCUMENTS)
    # Version 6 and older: rows from the documents, with their vector while they hold it
    # (once the catalog's rebuild swaps in, computed: slower, and only until ours does).
    rows_sql = sql_postgres.rows_from(_DOCUMENTS, "d.search" if vectors else _VECTOR)
    return Source(f"({rows_sql}) AS older", _TERMS if terms else None, _DOCUMENTS)


def exists(connection: Connection) -> bool:
    """Whether an older copy is there to answer from."""
    _own, rows, _terms, vectors = connection.exec_driver_sql(_FOUND).one()
    return bool(rows or vectors)


def detach(connection: Connection) -> None:
    """Drop a `product_search` view over the catalog's own tables (how version 7 and 8 code
    bridged version 6): it would keep the catalog from dropping them after its rebuild.
    Searches then read those documents by the catalog's views (see `source`)."""
    over_documents = connection.exec_driver_sql(
        f"SELECT EXISTS (SELECT 1 FROM pg_views WHERE viewname = '{_ROWS}'"
        f" AND strpos(definition, '{_DOCUMENTS}__g') > 0)"
    ).scalar_one()
    if over_documents:
        connection.exec_driver_sql(f"DROP VIEW {_ROWS}")


def drop(connection: Connection) -> None:
    """The older copy, once the search model's own serves."""
    connection.exec_driver_sql(f"DROP VIEW IF EXISTS {_ROWS}, {_TERMS}")
    tables = connection.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        r" AND tablename ~ '^product_(search|terms)__g[0-9]+$'"
    ).scalars()
    for table in list(tables):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
