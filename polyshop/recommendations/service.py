"""The read path: a product's neighbours, blended, filtered and diversified, topped up
with similar products from its category when the graph knows too little.

Everything it reads is precomputed or indexed: at most two neighbour lists of TOP_K rows,
the candidates' documents in one query, and for the fallback one category page.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from polyshop.catalog.domain import ACTIVE
from polyshop.catalog.queries import documents_by_id, listing_view
from polyshop.recommendations.ports import RecommendationGraph
from polyshop.recommendations.scoring import Candidate, blend, diversify, similarity, words

#: Category products looked at for the fallback: one indexed page, not the category.
FALLBACK_POOL = 200


@dataclass(frozen=True, slots=True)
class Recommendation:
    document: dict[str, Any]
    score: float
    #: bought_together | viewed_together | similar
    reason: str


class Recommender:
    def __init__(self, catalog: Engine, graph: RecommendationGraph) -> None:
        self._catalog = catalog
        self._graph = graph

    def recommend(
        self, product_id: str, limit: int, exclude: Collection[str] = ()
    ) -> list[Recommendation] | None:
        """Up to `limit` products for the page of `product_id`; None if there is no such
        product. Never the product itself, one that cannot be bought now, or one in
        `exclude` (the viewer's cart)."""
        ranked = blend(self._graph.neighbors(product_id))
        with self._catalog.connect() as connection:
            docs = documents_by_id(connection, [product_id, *(c for c, _, _ in ranked)])
            if not docs or docs[0]["id"] != product_id:
                return None
            product, by_id = docs[0], {d["id"]: d for d in docs[1:]}
            unwanted = {product_id, *exclude}
            candidates = [
                Candidate(other, by_id[other]["brand"], score, f"{signal}_together")
                for other, score, signal in ranked
                if other in by_id and other not in unwanted and by_id[other]["in_stock"]
            ]
            if len(diversify(candidates, limit)) < limit:
                unwanted |= {c.product_id for c in candidates}
                candidates += _similar(connection, product, unwanted)
            chosen = diversify(candidates, limit)
            missing = [c.product_id for c in chosen if c.product_id not in by_id]
            by_id |= {d["id"]: d for d in documents_by_id(connection, missing)}
        return [
            Recommendation(by_id[c.product_id], round(c.score, 6), c.reason)
            for c in chosen
            if c.product_id in by_id
        ]


def _similar(
    connection: Connection, product: dict[str, Any], unwanted: set[str]
) -> list[Candidate]:
    """Products of the same category, nearest first by brand and name: the fallback for
    products the graph knows nothing (or too little) about. Falls back to the parent
    category when the product's own has too few."""
    listing = listing_view.c
    target = words(f"{product['name']} {' '.join(product.get('tags', []))}")
    segments = product["category"].split("/")
    found: list[Candidate] = []
    for depth in range(len(segments), 0, -1):
        prefix = "/".join(segments[:depth]) + "/"
        rows = connection.execute(
            select(listing.product_id, listing.name, listing.brand)
            .where(
                listing.category_prefix == prefix,
                listing.status == ACTIVE,
                listing.in_stock.is_(True),
            )
            .order_by(listing.created_at.desc(), listing.product_id)
            .limit(FALLBACK_POOL)
        ).all()
        seen = unwanted | {c.product_id for c in found}
        found += sorted(
            (
                Candidate(
                    row.product_id,
                    row.brand,
                    # Below every graph score's scale on purpose: a real signal comes first.
                    0.001
                    * (similarity(target, words(row.name)) + 0.5 * (row.brand == product["brand"])),
                    "similar",
                )
                for row in rows
                if row.product_id not in seen
            ),
            key=lambda c: (-c.score, c.product_id),
        )
        if len(found) >= FALLBACK_POOL // 4:
            break
    return found
