"""Search on PostgreSQL full text: the product documents' weighted tsvector (GIN-indexed),
typo correction against a trigram-indexed vocabulary, facets in one GROUPING SETS pass."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, case, func, literal_column, select, text

from polyshop.catalog.queries import Browse, documents_by_id, documents_view, filters, listing_view
from polyshop.search.ports import (
    PRICE_BUCKETS,
    Facets,
    PriceBucket,
    SearchQuery,
    SearchResult,
    SearchSort,
)

_search = literal_column("product_documents.search")

_CORRECT = text(
    """
    SELECT t.q, coalesce(
        (SELECT term FROM product_terms WHERE term = t.q),
        (SELECT term FROM product_terms WHERE term % t.q
         ORDER BY similarity(term, t.q) DESC, term LIMIT 1)) AS best
    FROM unnest(CAST(:terms AS text[])) WITH ORDINALITY AS t(q, n)
    ORDER BY t.n
    """
)


def _bucket() -> Any:
    cents = listing_view.c.price_min_cents
    return case(
        *((cents < (high * 100), i) for i, (_, high) in enumerate(PRICE_BUCKETS) if high),
        else_=len(PRICE_BUCKETS) - 1,
    )


class PostgresSearchIndex:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _tsquery(self, connection: Any, terms: list[str]) -> str | None:
        """Each term, or what it most likely meant, as a tsquery; the last one as a prefix."""
        if not terms:
            return None
        rows = connection.execute(_CORRECT, {"terms": terms}).all()
        parts = []
        for i, (typed, best) in enumerate(rows):
            options = {typed} | ({best} if best else set())
            suffix = ":*" if i == len(rows) - 1 else ""
            parts.append("(" + " | ".join(f"{o}{suffix}" for o in sorted(options)) + ")")
        return " & ".join(parts)

    def search(self, query: SearchQuery) -> SearchResult:
        if not query.terms:  # nothing searchable was typed (only operators or punctuation)
            return SearchResult([], 0, Facets())
        listing = listing_view.c
        browse = Browse(
            category=query.category,
            brand=query.brand,
            min_price=query.min_price,
            max_price=query.max_price,
            in_stock=query.in_stock,
        )
        where = filters(browse)
        joined = listing_view.join(
            documents_view, documents_view.c.product_id == listing.product_id
        )
        with self._engine.connect() as connection:
            tsquery = self._tsquery(connection, query.terms)
            tsq = func.to_tsquery("english", tsquery)
            where.append(_search.op("@@")(tsq))
            rank = func.ts_rank_cd(_search, tsq, 1)
            order = {
                SearchSort.RELEVANCE: [rank.desc(), listing.product_id],
                SearchSort.PRICE_ASC: [listing.price_min_cents, listing.product_id],
                SearchSort.PRICE_DESC: [listing.price_min_cents.desc(), listing.product_id],
                SearchSort.NEWEST: [listing.created_at.desc(), listing.product_id],
            }[query.sort]
            ids = (
                connection.execute(
                    select(listing.product_id)
                    .select_from(joined)
                    .where(*where)
                    .order_by(*order)
                    .limit(query.limit)
                    .offset(query.offset)
                )
                .scalars()
                .all()
            )
            documents = documents_by_id(connection, list(ids))
            bucket = _bucket().label("bucket")
            matches = (
                select(listing.brand, listing.category, bucket)
                .select_from(joined)
                .where(*where)
                .subquery()
            )
            grouped = connection.execute(
                select(
                    matches.c.brand,
                    matches.c.category,
                    matches.c.bucket,
                    func.count(),
                    func.grouping(matches.c.brand, matches.c.category, matches.c.bucket),
                ).group_by(
                    func.grouping_sets(
                        matches.c.brand,
                        matches.c.category,
                        matches.c.bucket,
                        literal_column("()"),
                    )
                )
            ).all()
        return SearchResult(documents, *_facets(grouped))

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        terms = SearchQuery(prefix).terms
        if not terms:
            return []
        tsquery = " & ".join([*terms[:-1], terms[-1] + ":*"])
        listing = listing_view.c
        tsq = func.to_tsquery("english", tsquery)
        joined = listing_view.join(
            documents_view, documents_view.c.product_id == listing.product_id
        )
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(listing.name, func.max(func.ts_rank_cd(_search, tsq)).label("rank"))
                .select_from(joined)
                .where(listing.status == "active", _search.op("@@")(tsq))
                .group_by(listing.name)
                .order_by(literal_column("rank").desc(), listing.name)
                .limit(limit)
            ).all()
        return [r.name for r in rows]


def _facets(grouped: list[Any]) -> tuple[int, Facets]:
    total, brands, categories = 0, {}, {}
    buckets = [0] * len(PRICE_BUCKETS)
    for brand, category, bucket, count, grouping in grouped:
        if grouping == 0b111:
            total = count
        elif grouping == 0b011:  # brand kept, the other two rolled up
            brands[brand] = count
        elif grouping == 0b101:
            categories[category] = count
        elif grouping == 0b110:
            buckets[bucket] = count
    return total, Facets(
        brands=dict(sorted(brands.items(), key=lambda kv: (-kv[1], kv[0]))),
        categories=dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
        price_ranges=[
            PriceBucket(low, high, buckets[i])
            for i, (low, high) in enumerate(PRICE_BUCKETS)
            if buckets[i]
        ],
    )
