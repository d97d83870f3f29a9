"""Search's own read model on PostgreSQL (server mode), kept from the log.

Like the Tantivy index in embedded mode, it folds the catalog and inventory events itself
(`catalog.documents.fold`), so it never waits on, or races with, the catalog's read model,
and a search's rows and the documents it returns come from one copy. Unlike it, it lives in
the event store's database: its checkpoint moves in the same transaction as its tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, MetaData, Table, select

from polyshop.catalog.documents import CATALOG_EVENTS, STOCK_EVENTS, fold
from polyshop.catalog.images import MediaUrl, media_path
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.sql_tables import SqlTableProjection, bulk_upsert
from polyshop.search import analysis, postgres_legacy, sql_postgres
from polyshop.search.sql_postgres import DOCUMENTS, SKUS

#: How close to the head a first generation must come before it replaces an older copy
#: (see `_serve_when_caught_up`): what is missing then is a moment's changes.
CAUGHT_UP = 100


class PostgresSearchProjection(SqlTableProjection):
    """The products as search folds them, their narrow rows, and the catalog's vocabulary.

    A bulk build writes the rows at its end, all at once in category and brand order (see
    `sql_postgres`); a live change rewrites its products' rows in the same transaction."""

    name = "search_index"  # as the Tantivy index: one read model name for search
    # 2: documents' images as objects (`catalog.image_documents`); 3: the documents' words
    # as `analysis` makes them (Unicode, folded, CJK in pairs), which the vectors hold
    version = 3
    event_types = frozenset(CATALOG_EVENTS | STOCK_EVENTS)

    def __init__(self, head: Callable[[], int], media_url: MediaUrl = media_path) -> None:
        """`head`: the log's head, to tell when a first generation has caught up;
        `media_url`: image URLs, as the catalog's documents make them."""
        super().__init__()
        self._head = head
        self._media_url = media_url
        self._bulk: set[int] = set()  # generations being built in bulk in this process
        self._serving = False  # its own views serve (once true, for good)

    def define_tables(self, metadata: MetaData, suffix: str) -> list[Table]:
        return sql_postgres.define_tables(metadata, suffix)

    def setup(self, generation: int, connection: Any, *, bulk: bool = False) -> None:
        super().setup(generation, connection, bulk=bulk)
        if bulk:
            self._bulk.add(generation)

    def apply(self, events: Sequence[RecordedEvent], generation: int, connection: Any) -> None:
        tables = self.tables(generation)
        docs, owners = _preload(connection, tables, events)
        fold(events, docs, owners, self._media_url)
        bulk_upsert(
            connection,
            tables[DOCUMENTS],
            [
                {"product_id": d["id"], "document": d, "words": sql_postgres.words_of(d)}
                for d in docs.values()
            ],
            key=["product_id"],
            assignments={"document": "excluded.document", "words": "excluded.words"},
        )
        bulk_upsert(
            connection,
            tables[SKUS],
            [{"sku": s, "product_id": p} for s, p in owners.items()],
            key=["sku"],
            assignments={"product_id": "excluded.product_id"},
        )
        sql_postgres.add_terms(
            connection, generation, {t for d in docs.values() for t in vocabulary(d)}
        )
        if generation not in self._bulk:  # a bulk build writes its rows at the end, in order
            sql_postgres.write_rows(connection, generation, docs.keys())
            self._serve_when_caught_up(generation, events, connection)

    def finish_bulk(self, generation: int, connection: Any) -> None:
        sql_postgres.fill(connection, generation)
        super().finish_bulk(generation, connection)  # the GIN indexes, over the rows in order
        self._bulk.discard(generation)

    def activate(self, generation: int, connection: Any) -> None:
        """Point search at this generation, unless it is a first one still empty beside an
        older copy (a shop upgraded from when the catalog kept search's rows): that one
        answers until this one is rebuilt and swapped in, or has caught up."""
        if (
            not self._serving
            and not sql_postgres.is_serving(connection)
            and postgres_legacy.exists(connection)
            and sql_postgres.is_empty(connection, generation)
        ):
            postgres_legacy.detach(connection)
            return
        self._serve(generation, connection)

    def teardown(self, generation: int, connection: Any) -> None:
        super().teardown(generation, connection)
        self._bulk.discard(generation)

    def _serve(self, generation: int, connection: Connection) -> None:
        super().activate(generation, connection)
        postgres_legacy.drop(connection)
        self._serving = True

    def _serve_when_caught_up(
        self, generation: int, events: Sequence[RecordedEvent], connection: Connection
    ) -> None:
        """A first generation followed event by event (too little log for a bulk build)
        replaces the older copy once it is about as far as the log."""
        if self._serving:
            return
        if sql_postgres.is_serving(connection):
            self._serving = True
        elif events and events[-1].position >= self._head() - CAUGHT_UP:
            self._serve(generation, connection)


def _preload(
    connection: Connection, tables: dict[str, Table], events: Sequence[RecordedEvent]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """In two queries, every stored document the batch touches, and their SKUs' owners."""
    owners: dict[str, str] = {}
    skus = {e.data["sku"] for e in events if e.type in STOCK_EVENTS}
    if skus:
        found = tables[SKUS]
        rows = connection.execute(select(found).where(found.c.sku.in_(sorted(skus)))).all()
        owners.update({r.sku: r.product_id for r in rows})
    product_ids = {e.data["product_id"] for e in events if e.type in CATALOG_EVENTS}
    product_ids |= set(owners.values())
    if not product_ids:
        return {}, owners
    documents = tables[DOCUMENTS]
    rows = connection.execute(
        select(documents.c.product_id, documents.c.document).where(
            documents.c.product_id.in_(sorted(product_ids))
        )
    ).all()
    return {r.product_id: r.document for r in rows}, owners


def vocabulary(doc: dict[str, Any]) -> set[str]:
    """Words a shopper may type for this product: the basis of typo correction."""
    text_ = " ".join(
        [doc["name"], doc["brand"], doc["category"].replace("/", " "), " ".join(doc["tags"])]
    )
    return {w for w in analysis.words(text_) if len(w) >= 3}
