"""Search on PostgreSQL full text: the narrow search rows' weighted tsvector (GIN-indexed),
typo correction against a trigram-indexed vocabulary, and the page and its facets from one
pass over the matches. It reads the search projection's views (`sql_postgres`), or an older
copy while a shop upgraded from one builds them (`postgres_legacy`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, text

from polyshop.catalog import domain
from polyshop.search import postgres_legacy
from polyshop.search.ports import (
    PRICE_BUCKETS,
    Facets,
    PriceBucket,
    SearchQuery,
    SearchResult,
    SearchSort,
)
from polyshop.search.postgres_legacy import OWN, Source
from polyshop.values.money import to_cents

_CORRECT = """
    SELECT t.q, coalesce(
        (SELECT term FROM {terms} WHERE term = t.q),
        (SELECT term FROM {terms} WHERE term % t.q
         ORDER BY similarity(term, t.q) DESC, term LIMIT 1)) AS best
    FROM unnest(CAST(:terms AS text[])) WITH ORDINALITY AS t(q, n)
    ORDER BY t.n
"""

_BUCKET = (
    "CASE "
    + " ".join(
        f"WHEN price_min_cents < {high * 100} THEN {i}"
        for i, (_, high) in enumerate(PRICE_BUCKETS)
        if high
    )
    + f" ELSE {len(PRICE_BUCKETS) - 1} END"
)
# What each sort orders the matches by (then by id); relevance is the only one that ranks.
# `ts_rank` weighs how often and in which field (name first) a word occurs, scaled down by
# the document's length; `ts_rank_cd` also weighs how close the words stand, at 40% more
# of a broad query's time ("laptop" at 1,000,000 products: 98 ms, 75 with `ts_rank`).
_SORT_KEYS = {
    SearchSort.RELEVANCE: ("ts_rank(search, q, 1)", "DESC"),
    SearchSort.PRICE_ASC: ("price_min_cents", "ASC"),
    SearchSort.PRICE_DESC: ("price_min_cents", "DESC"),
    SearchSort.NEWEST: ("created_at", "DESC"),
}
# The matches are found once (the CTE is read twice, so PostgreSQL keeps it): the page is
# their first rows in order, the facets their counts by brand, category and price bucket
# in one GROUPING SETS pass, and the total the count of the empty grouping set.
_SEARCH = f"""
    WITH matches AS (
        SELECT product_id, brand, category, {_BUCKET} AS bucket, {{key}} AS sort_key
        FROM {{rows}}, to_tsquery('english', :tsquery) AS q
        WHERE {{where}}
    )
    SELECT
        ARRAY(
            SELECT product_id FROM matches
            ORDER BY sort_key {{direction}}, product_id LIMIT :limit OFFSET :offset
        ) AS ids,
        (
            SELECT json_agg(json_build_array(brand, category, bucket, n, g)) FROM (
                SELECT brand, category, bucket, count(*) AS n,
                       grouping(brand, category, bucket) AS g
                FROM matches GROUP BY GROUPING SETS (brand, category, bucket, ())
            ) AS counted
        ) AS facets
"""
_SUGGEST = """
    SELECT name, max(ts_rank(search, q)) AS rank
    FROM {rows}, to_tsquery('english', :tsquery) AS q
    WHERE status = :active AND search @@ q
    GROUP BY name ORDER BY rank DESC, name LIMIT :limit
"""
_DOCUMENTS = (
    "SELECT product_id, document FROM {documents} WHERE product_id = ANY(CAST(:ids AS text[]))"
)


class PostgresSearchIndex:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._is_own = False  # the search projection's views serve (once true, for good)

    def _source(self, connection: Connection) -> Source | None:
        """Where to read: asked of the database until the search projection's own views
        serve, which is for good once they do."""
        if self._is_own:
            return OWN
        found = postgres_legacy.source(connection)
        self._is_own = found is OWN
        return found

    def _tsquery(
        self, connection: Connection, source: Source, query: SearchQuery
    ) -> tuple[str, str | None]:
        """Each term, or what it most likely meant, as a tsquery (the last one as a prefix);
        and the words meant, when a term was corrected."""
        terms = query.terms
        rows: Sequence[tuple[str, str | None]]  # each term as typed, and what it likely meant
        if source.terms is None or query.exact:  # no vocabulary, or the words as typed
            rows = [(term, None) for term in terms]
        else:
            correct = text(_CORRECT.format(terms=source.terms))
            rows = connection.execute(correct, {"terms": terms}).all()
        parts, meant = [], []
        for i, (typed, best) in enumerate(rows):
            last = i == len(rows) - 1
            options = {typed} | ({best} if best else set())
            suffix = ":*" if last else ""
            parts.append("(" + " | ".join(f"{o}{suffix}" for o in sorted(options)) + ")")
            # A last word still being typed is completed, not corrected.
            corrected = best and best != typed and not (last and best.startswith(typed))
            meant.append(best if best and corrected else typed)
        return " & ".join(parts), query.corrected(meant)

    def search(self, query: SearchQuery) -> SearchResult:
        if not query.terms:  # nothing searchable was typed (only operators or punctuation)
            return SearchResult([], 0, Facets())
        where = ["status = :active", "search @@ q"]
        params: dict[str, Any] = {
            "active": domain.ACTIVE,
            "limit": query.limit,
            "offset": query.offset,
        }
        if query.category:  # the category or any below it
            where.append("(category = :category OR starts_with(category, :subcategories))")
            params |= {"category": query.category, "subcategories": f"{query.category}/"}
        if query.brand:  # in any letter case, as browse: both sides lowered alike
            where.append("lower(brand) = lower(:brand)")
            params["brand"] = query.brand
        if query.min_price is not None:
            where.append("price_max_cents >= :min_cents")
            params["min_cents"] = to_cents(query.min_price)
        if query.max_price is not None:
            where.append("price_min_cents <= :max_cents")
            params["max_cents"] = to_cents(query.max_price)
        if query.in_stock is not None:
            where.append("in_stock = :in_stock")
            params["in_stock"] = query.in_stock
        key, direction = _SORT_KEYS[query.sort]
        with self._engine.connect() as connection:
            source = self._source(connection)
            if source is None:  # a new shop's first search model is being created
                return SearchResult([], 0, Facets())
            statement = _SEARCH.format(
                rows=source.rows, key=key, direction=direction, where=" AND ".join(where)
            )
            params["tsquery"], corrected = self._tsquery(connection, source, query)
            ids, grouped = connection.execute(text(statement), params).one()
            documents = _documents(connection, source, list(ids))
        total, facets = _facets(grouped or [])
        # A correction is news only when it found something (else: "no results for ...").
        return SearchResult(documents, total, facets, corrected if total else None)

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        terms = SearchQuery(prefix).terms
        if not terms:
            return []
        tsquery = " & ".join([*terms[:-1], terms[-1] + ":*"])
        with self._engine.connect() as connection:
            source = self._source(connection)
            if source is None:
                return []
            rows = connection.execute(
                text(_SUGGEST.format(rows=source.rows)),
                {"tsquery": tsquery, "active": domain.ACTIVE, "limit": limit},
            ).all()
        return [r.name for r in rows]


def _documents(connection: Connection, source: Source, ids: list[str]) -> list[dict[str, Any]]:
    """The documents of `ids`, in that order."""
    if not ids:
        return []
    statement = text(_DOCUMENTS.format(documents=source.documents))
    found = {r.product_id: r.document for r in connection.execute(statement, {"ids": ids})}
    return [found[i] for i in ids if i in found]


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
