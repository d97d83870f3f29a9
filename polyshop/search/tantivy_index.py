"""Search on Tantivy (embedded mode): an on-disk index per read-model generation.

The index is a projection like any other, but outside the SQL database: it folds the same
catalog and inventory events as the product documents (so it never waits on, or races
with, another read model), commits, and only then moves its checkpoint. A crash between
the two replays the batch, which the fold makes harmless (see `catalog.documents.fold`).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import orjson
import tantivy

from polyshop.catalog.documents import CATALOG_EVENTS, STOCK_EVENTS, fold
from polyshop.catalog.images import MediaUrl, media_path
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.ports import Projection
from polyshop.search import tantivy_queries
from polyshop.search.ports import Facets, SearchQuery, SearchResult
from polyshop.search.tantivy_documents import SCHEMA, to_tantivy

_WRITER_HEAP = 64_000_000
_BULK_COMMIT = 100_000


class _Uncommitted:
    """Documents a bulk build wrote since its last commit, by product and by SKU."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.owners: dict[str, str] = {}

    def add(self, docs: Sequence[dict[str, Any]]) -> None:
        for doc in docs:
            self.docs[doc["id"]] = doc
            self.owners.update((v["sku"], doc["id"]) for v in doc["variants"])

    def find(self, product_ids: set[str], skus: set[str]) -> dict[str, dict[str, Any]]:
        wanted = {p for p in product_ids if p in self.docs}
        wanted.update(self.owners[s] for s in skus if s in self.owners)
        return {p: self.docs[p] for p in wanted}

    def clear(self) -> None:
        self.docs.clear()
        self.owners.clear()


class TantivyCatalogIndex:
    """The generations of the index on disk, and which one answers queries."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = threading.Lock()
        self._indexes: dict[int, tantivy.Index] = {}
        self._writers: dict[int, tantivy.IndexWriter] = {}
        self._active: tuple[int, float] | None = None  # (generation, pointer mtime)
        # Generations built in bulk: what was written since their last commit.
        self._uncommitted: dict[int, _Uncommitted] = {}

    # -- generations -----------------------------------------------------------------------
    def _dir(self, generation: int) -> Path:
        return self._root / f"g{generation}"

    def index(self, generation: int) -> tantivy.Index:
        with self._lock:
            if generation not in self._indexes:
                path = self._dir(generation)
                path.mkdir(parents=True, exist_ok=True)
                self._indexes[generation] = tantivy.Index(SCHEMA, path=str(path), reuse=True)
            return self._indexes[generation]

    def writer(self, generation: int) -> tantivy.IndexWriter:
        index = self.index(generation)
        with self._lock:
            if generation not in self._writers:
                self._writers[generation] = index.writer(heap_size=_WRITER_HEAP, num_threads=1)
            return self._writers[generation]

    def create(self, generation: int) -> None:
        self.drop(generation)
        self.index(generation)

    def drop(self, generation: int) -> None:
        with self._lock:
            writer = self._writers.pop(generation, None)
            if writer is not None:
                writer.rollback()
                del writer
            self._indexes.pop(generation, None)
            self._uncommitted.pop(generation, None)
        shutil.rmtree(self._dir(generation), ignore_errors=True)

    def activate(self, generation: int) -> None:
        """Point readers at a generation: an atomic rename, seen by every process."""
        self._root.mkdir(parents=True, exist_ok=True)
        pointer = self._root / "active"
        temporary = self._root / f"active.{os.getpid()}"
        temporary.write_text(str(generation))
        temporary.replace(pointer)

    def active(self) -> int | None:
        pointer = self._root / "active"
        try:
            mtime = pointer.stat().st_mtime
        except FileNotFoundError:
            return None
        if self._active is None or self._active[1] != mtime:
            self._active = (int(pointer.read_text()), mtime)
        return self._active[0]

    def close(self) -> None:
        with self._lock:
            for writer in self._writers.values():
                writer.wait_merging_threads()
            self._writers.clear()
            self._indexes.clear()

    # -- writing ---------------------------------------------------------------------------
    def start_bulk(self, generation: int) -> None:
        """Build this generation without a commit per batch (see `write`)."""
        self._uncommitted[generation] = _Uncommitted()

    def finish_bulk(self, generation: int) -> None:
        if self._uncommitted.pop(generation, None) is not None:
            self.writer(generation).commit()

    def load(
        self, generation: int, product_ids: set[str], skus: set[str]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """The stored documents of these products, and of the products owning these SKUs."""
        docs: dict[str, dict[str, Any]] = {}
        uncommitted = self._uncommitted.get(generation)
        if uncommitted is not None:  # written in this bulk build, not yet searchable
            docs.update(uncommitted.find(product_ids, skus))
            product_ids = product_ids - docs.keys()
            skus = {s for s in skus if s not in uncommitted.owners}
        index = self.index(generation)
        index.reload()
        searcher = index.searcher()
        clauses = [
            (
                tantivy.Occur.Should,
                tantivy.Query.term_set_query(SCHEMA, "product_id", sorted(product_ids)),
            )
        ]
        if skus:
            clauses.append(
                (tantivy.Occur.Should, tantivy.Query.term_set_query(SCHEMA, "sku", sorted(skus)))
            )
        wanted = len(product_ids) + len(skus)
        if wanted:
            hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=wanted).hits
            for _score, address in hits:
                doc = orjson.loads(searcher.doc(address)["doc"][0])
                docs[doc["id"]] = doc
        owners = {v["sku"]: d["id"] for d in docs.values() for v in d["variants"]}
        return docs, owners

    def write(
        self, generation: int, docs: Sequence[dict[str, Any]], stored: Collection[str]
    ) -> None:
        """Write these documents, replacing those of the `stored` ids (what `load` found):
        a product the index has never held has nothing to delete.

        Committed at once, unless the generation is being built in bulk: nothing reads it
        before the build ends (and a build that stops is thrown away, never resumed), so
        it commits once per `_BULK_COMMIT` documents, its uncommitted documents kept in
        memory for `load`."""
        writer = self.writer(generation)
        for doc in docs:
            if doc["id"] in stored:
                writer.delete_documents_by_term("product_id", doc["id"])
            writer.add_document(to_tantivy(doc))
        uncommitted = self._uncommitted.get(generation)
        if uncommitted is None:
            writer.commit()
            return
        uncommitted.add(docs)
        if len(uncommitted.docs) >= _BULK_COMMIT:
            writer.commit()
            uncommitted.clear()

    # -- reading ---------------------------------------------------------------------------
    def _searcher(self) -> tantivy.Searcher | None:
        generation = self.active()
        if generation is None:
            return None
        index = self.index(generation)
        index.reload()
        return index.searcher()

    def search(self, query: SearchQuery) -> SearchResult:
        if not query.terms:  # nothing searchable was typed (only operators or punctuation)
            return SearchResult([], 0, Facets())
        searcher = self._searcher()
        if searcher is None:
            return SearchResult([], 0, Facets())
        index = self.index(self.active() or 0)
        q = tantivy_queries.search_query(index, searcher, query)
        order = tantivy_queries.order(query.sort)
        result = searcher.search(q, limit=query.limit, offset=query.offset, count=True, **order)
        documents = [orjson.loads(searcher.doc(address)["doc"][0]) for _, address in result.hits]
        facets = tantivy_queries.facets(searcher.aggregate(q, tantivy_queries.AGGREGATIONS))
        # tantivy's stub leaves out `SearchResult.count`, which `count=True` fills.
        total: int = result.count  # type: ignore[attr-defined]
        # A correction is news only when it found something (else: "no results for ...").
        corrected = tantivy_queries.correction(index, searcher, query) if total else None
        return SearchResult(documents, total, facets, corrected)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        terms = SearchQuery(prefix).terms
        searcher = self._searcher()
        if not terms or searcher is None:
            return []
        index = self.index(self.active() or 0)
        query = tantivy_queries.suggest_query(index, terms)
        hits = searcher.search(query, limit=limit * 3).hits
        names: list[str] = []
        for _, address in hits:
            name = orjson.loads(searcher.doc(address)["doc"][0])["name"]
            if name not in names:
                names.append(name)
        return names[:limit]


class TantivySearchProjection(Projection):
    """Keeps the Tantivy index, one generation per directory, from the log."""

    name = "search_index"
    # 2: documents' images as objects (`catalog.image_documents`); 3: the words of
    # `analysis` (Unicode, folded, CJK in pairs)
    version = 3
    transactional = False
    event_types = frozenset(CATALOG_EVENTS | STOCK_EVENTS)

    def __init__(self, index: TantivyCatalogIndex, media_url: MediaUrl = media_path) -> None:
        self._index = index
        self._media_url = media_url

    def setup(self, generation: int, connection: Any, *, bulk: bool = False) -> None:
        self._index.create(generation)
        if bulk:
            self._index.start_bulk(generation)

    def finish_bulk(self, generation: int, connection: Any) -> None:
        self._index.finish_bulk(generation)

    def apply(self, events: Sequence[RecordedEvent], generation: int, connection: Any) -> None:
        product_ids = {e.data["product_id"] for e in events if e.type in CATALOG_EVENTS}
        skus = {e.data["sku"] for e in events if e.type in STOCK_EVENTS}
        docs, owners = self._index.load(generation, product_ids, skus)
        stored = set(docs)
        fold(events, docs, owners, self._media_url)
        self._index.write(generation, list(docs.values()), stored)

    def activate(self, generation: int, connection: Any) -> None:
        self._index.activate(generation)

    def teardown(self, generation: int, connection: Any) -> None:
        self._index.drop(generation)
