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
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import tantivy

from polyshop.catalog import domain
from polyshop.catalog.documents import CATALOG_EVENTS, STOCK_EVENTS, fold
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.ports import Projection
from polyshop.money import to_cents
from polyshop.search.ports import (
    PRICE_BUCKETS,
    Facets,
    PriceBucket,
    SearchQuery,
    SearchResult,
    SearchSort,
)

_TEXT_FIELDS = ("name", "brand_text", "tags", "category_text", "description")
_BOOSTS = {"name": 3.0, "brand_text": 2.0, "tags": 1.5, "category_text": 1.2, "description": 1.0}
_FUZZY = (("name", 0.6), ("brand_text", 0.4), ("category_text", 0.3), ("tags", 0.3))
_WRITER_HEAP = 64_000_000
_BULK_COMMIT = 100_000


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("product_id", tokenizer_name="raw", fast=True)
    for name in _TEXT_FIELDS:
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
            writer.add_document(_to_tantivy(doc))
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
        q = self._query(index, searcher, query)
        order: dict[str, Any] = {}
        if query.sort is SearchSort.PRICE_ASC:
            order = {"order_by_field": "price_min", "order": tantivy.Order.Asc}
        elif query.sort is SearchSort.PRICE_DESC:
            order = {"order_by_field": "price_min", "order": tantivy.Order.Desc}
        elif query.sort is SearchSort.NEWEST:
            order = {"order_by_field": "created_at", "order": tantivy.Order.Desc}
        result = searcher.search(q, limit=query.limit, offset=query.offset, count=True, **order)
        documents = [orjson.loads(searcher.doc(address)["doc"][0]) for _, address in result.hits]
        return SearchResult(documents, result.count, _facets(searcher.aggregate(q, _AGGREGATIONS)))

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        terms = SearchQuery(prefix).terms
        searcher = self._searcher()
        if not terms or searcher is None:
            return []
        index = self.index(self.active() or 0)
        clauses = [(tantivy.Occur.Must, _active())]
        for i, term in enumerate(terms):
            last = i == len(terms) - 1
            clauses.append(
                (
                    tantivy.Occur.Must,
                    index.parse_query(
                        term, ["name"], fuzzy_fields={"name": (True, 0, True)} if last else None
                    ),
                )
            )
        hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=limit * 3).hits
        names: list[str] = []
        for _, address in hits:
            name = orjson.loads(searcher.doc(address)["doc"][0])["name"]
            if name not in names:
                names.append(name)
        return names[:limit]

    @staticmethod
    def _query(
        index: tantivy.Index, searcher: tantivy.Searcher, query: SearchQuery
    ) -> tantivy.Query:
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = [(tantivy.Occur.Must, _active())]
        terms = query.terms
        for i, term in enumerate(terms):
            exact = index.parse_query(term, list(_TEXT_FIELDS), field_boosts=_BOOSTS)
            options = [(tantivy.Occur.Should, exact)]
            variants: list[tuple[bool, int, float]] = []
            if i == len(terms) - 1:  # the shopper may still be typing the last word
                variants.append((True, 0, 0.8))
            # Tolerate one typo, two in long words, but only in a word the catalog does not
            # have: `shirt` should not find shorts and skirts, and a fuzzy match over every
            # field is most of a query's cost at a million products.
            if len(term) >= 5 and not _in_vocabulary(searcher, term):
                variants.append((False, 2 if len(term) >= 8 else 1, 0.5))
            for prefix, distance, weight in variants:
                for field, boost in _FUZZY:
                    fuzzy = index.parse_query(
                        term, [field], fuzzy_fields={field: (prefix, distance, True)}
                    )
                    options.append(
                        (tantivy.Occur.Should, tantivy.Query.boost_query(fuzzy, boost * weight))
                    )
            clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(options)))
        if query.category:
            clauses.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.term_query(SCHEMA, "category_path", query.category),
                )
            )
        if query.brand:  # in any letter case, as browse; the facets keep the display name
            clauses.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.regex_query(SCHEMA, "brand", any_case(query.brand)),
                )
            )
        if query.min_price is not None:
            clauses.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(
                        SCHEMA,
                        "price_max",
                        tantivy.FieldType.Unsigned,
                        lower_bound=to_cents(query.min_price),
                    ),
                )
            )
        if query.max_price is not None:
            clauses.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(
                        SCHEMA,
                        "price_min",
                        tantivy.FieldType.Unsigned,
                        upper_bound=to_cents(query.max_price),
                    ),
                )
            )
        if query.in_stock is not None:
            clauses.append(
                (tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, "in_stock", query.in_stock))
            )
        return tantivy.Query.boolean_query(clauses)


# What the `en_stem` tokenizer makes of a word (Tantivy's definition of it), to look the
# word up in the term dictionaries as the index holds it.
_EN_STEM = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)


def _in_vocabulary(searcher: tantivy.Searcher, word: str) -> bool:
    """Whether any text field holds the word: a term-dictionary lookup per field, where a
    search would score every matching document to count them."""
    tokens = _EN_STEM.analyze(word)
    return any(searcher.doc_freq(field, token) for token in tokens for field in _TEXT_FIELDS)


def any_case(text: str) -> str:
    """A regex (matched against whole terms) for `text` in any letter case: each character
    as a class of its one-character case forms, written as code points, so no character of
    a brand ("H&M", "Dr. Martens") is ever read as regex syntax."""
    parts = []
    for char in text:
        forms = sorted({f for f in (char, char.lower(), char.upper()) if len(f) == 1})
        parts.append("[" + "".join(f"\\x{{{ord(f):X}}}" for f in forms) + "]")
    return "".join(parts)


def _active() -> tantivy.Query:
    return tantivy.Query.term_query(SCHEMA, "status", domain.ACTIVE)


_AGGREGATIONS = {
    "brands": {"terms": {"field": "brand", "size": 50}},
    "categories": {"terms": {"field": "category", "size": 50}},
    "prices": {
        "range": {
            "field": "price_min",
            "ranges": [
                {
                    "key": str(i),
                    **({"from": low * 100} if low else {}),
                    **({"to": high * 100} if high else {}),
                }
                for i, (low, high) in enumerate(PRICE_BUCKETS)
            ],
        }
    },
}


def _facets(raw: dict[str, Any]) -> Facets:
    brands = {b["key"]: b["doc_count"] for b in raw["brands"]["buckets"]}
    categories = {c["key"]: c["doc_count"] for c in raw["categories"]["buckets"]}
    counts = {b["key"]: b["doc_count"] for b in raw["prices"]["buckets"]}
    return Facets(
        brands=dict(sorted(brands.items(), key=lambda kv: (-kv[1], kv[0]))),
        categories=dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        price_ranges=[
            PriceBucket(low, high, counts.get(str(i), 0))
            for i, (low, high) in enumerate(PRICE_BUCKETS)
            if counts.get(str(i))
        ],
    )


def _to_tantivy(doc: dict[str, Any]) -> tantivy.Document:
    segments = doc["category"].split("/")
    out = tantivy.Document()
    for field, value in (
        ("product_id", doc["id"]),
        ("name", doc["name"]),
        ("brand_text", doc["brand"]),
        ("tags", " ".join(doc["tags"])),
        ("category_text", " ".join(segments)),
        ("description", doc["description"]),
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


class TantivySearchProjection(Projection):
    """Keeps the Tantivy index, one generation per directory, from the log."""

    name = "search_index"
    version = 1
    transactional = False
    event_types = frozenset(CATALOG_EVENTS | STOCK_EVENTS)

    def __init__(self, index: TantivyCatalogIndex) -> None:
        self._index = index

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
        fold(events, docs, owners)
        self._index.write(generation, list(docs.values()), stored)

    def activate(self, generation: int, connection: Any) -> None:
        self._index.activate(generation)

    def teardown(self, generation: int, connection: Any) -> None:
        self._index.drop(generation)
