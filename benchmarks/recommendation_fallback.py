"""The read path's "similar products" fallback (`_similar` in
polyshop/recommendations/service.py) over an in-memory catalog, for the recommendations
evaluation (`recommendations_eval.py`)."""

from __future__ import annotations

import random

from recommendation_data import Catalog

from polyshop.recommendations.scoring import Candidate, similarity, words
from polyshop.recommendations.service import FALLBACK_POOL


class Similar:
    """The read path's `_similar` over an in-memory catalog, every product active and in
    stock: the item's leaf category's page of FALLBACK_POOL products, then the parent
    category's while fewer than wanted were found, the best of them up to MAX_LIMIT +
    SPARE candidates in all, ranked by 0.001 * (similarity of the item's name words to
    the candidate's + 0.5 * same brand), never a query item or a graph candidate. Without
    a creation date, the "newest first" order of a category page is a seeded shuffle."""

    def __init__(self, products: Catalog, seed: int) -> None:
        self._products = products
        newest_first = random.Random(seed).sample(sorted(products), len(products))
        pages: dict[str, list[str]] = {}
        for product in newest_first:
            segments = products[product].category.split("/")
            for depth in range(1, len(segments) + 1):
                pages.setdefault("/".join(segments[:depth]) + "/", []).append(product)
        self._pages = {prefix: page[:FALLBACK_POOL] for prefix, page in pages.items()}
        self._words = {product: words(p.name) for product, p in products.items()}
        self._ranked: dict[tuple[str, str], list[Candidate]] = {}

    def __call__(self, product_id: str, unwanted: set[str], wanted: int) -> list[Candidate]:
        """`_similar(connection, product, unwanted, wanted)` for the product `product_id`."""
        segments = self._products[product_id].category.split("/")
        found: list[Candidate] = []
        for depth in range(len(segments), 0, -1):
            prefix = "/".join(segments[:depth]) + "/"
            seen = unwanted | {c.product_id for c in found}
            page = [c for c in self._page(product_id, prefix) if c.product_id not in seen]
            found += page[: wanted - len(found)]
            if len(found) >= wanted:
                break
        return found

    def _page(self, product_id: str, prefix: str) -> list[Candidate]:
        """The category page, ranked for the product: dropping the unwanted from this list
        leaves the order `_similar` gives the rest, so it is worked out once."""
        key = (product_id, prefix)
        if key not in self._ranked:
            product = self._products[product_id]
            # Tags: none in either data set, so the target is the name's words.
            target = self._words[product_id]
            self._ranked[key] = sorted(
                (
                    Candidate(
                        other,
                        self._products[other].brand,
                        0.001
                        * (
                            similarity(target, self._words[other])
                            + 0.5 * (self._products[other].brand == product.brand)
                        ),
                        "similar",
                    )
                    for other in self._pages[prefix]
                ),
                key=lambda c: (-c.score, c.product_id),
            )
        return self._ranked[key]
