"""The read path: a product's neighbours, blended, filtered and diversified, topped up
with similar products from its category when the graph knows too little.

Ranking a product reads at most two neighbour lists of TOP_K rows, the candidates'
documents in one query and, for the fallback, one category page; the ranked candidates are
then cached (see `cache`), so a read usually costs a filter and a pick in memory.

It is also the context's door for the faces: `cached_page` and `page` answer with the
recommendations as the JSON a face serves (handed in when the service is built), leaving
out what the caller's cart holds.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Row, Select, select, union_all

from polyshop.catalog.domain import ACTIVE, is_product_id
from polyshop.catalog.errors import ProductNotFound
from polyshop.catalog.queries import documents_by_id, listing_view
from polyshop.recommendations.cache import Ranked, RecommendationCache
from polyshop.recommendations.ports import RecommendationGraph
from polyshop.recommendations.scoring import Candidate, blend, diversify, similarity, words
from polyshop.ttlstore.errors import StoreUnavailable

if TYPE_CHECKING:
    from polyshop.accounts.service import Accounts
    from polyshop.cart.service import Carts

#: The most a caller may ask for. Products with fewer graph candidates get similar ones
#: too, up to SPARE more, for what the cart and the brand cap take out.
MAX_LIMIT = 20
SPARE = 20
#: Category products looked at for the fallback: one indexed page, not the category.
FALLBACK_POOL = 100


@dataclass(frozen=True, slots=True)
class Recommendation:
    document: dict[str, Any]
    score: float
    #: bought_together | viewed_together | similar
    reason: str


#: A product's recommendations written as a face serves them: (product id, found) -> bytes.
Render = Callable[[str, list["Recommendation"]], bytes]
#: The products in the cart of the session a token names (none without one).
CartProducts = Callable[[str], Collection[str]]


def _unrendered(product_id: str, found: list[Recommendation]) -> bytes:
    raise RuntimeError("this Recommender was built without a Render")


class Recommender:
    def __init__(
        self,
        catalog: Engine,
        graph: RecommendationGraph,
        cache: RecommendationCache,
        *,
        render: Render = _unrendered,
        in_cart: CartProducts = lambda token: (),
    ) -> None:
        self._catalog = catalog
        self.graph = graph
        self.cache = cache
        self._render = render
        self._in_cart = in_cart

    def cached_page(self, product_id: str, limit: int) -> bytes | None:
        """For a caller without a session (no cart to leave out): the answer from the cache
        without I/O, rendered once per limit and kept with the entry; None when the product
        is not ranked yet (or is unknown)."""
        ranked = self.cache.get(product_id) if is_product_id(product_id) else None
        if ranked is None or not ranked.found:
            return None
        page = ranked.rendered.get(limit)
        if page is None:
            page = ranked.rendered[limit] = self._render(product_id, pick(ranked, limit) or [])
        return page

    def page(self, product_id: str, limit: int, token: str | None) -> bytes:
        """The answer for the caller presenting `token` (None: no session), leaving out
        what its cart holds. Raises ProductNotFound."""
        if not is_product_id(product_id):  # no such product, and nothing to look up
            raise ProductNotFound(product_id)
        found = self.recommend(product_id, limit, self._in_cart(token) if token else set())
        if found is None:
            raise ProductNotFound(product_id)
        return self._render(product_id, found)

    def recommend(
        self, product_id: str, limit: int, exclude: Collection[str] = ()
    ) -> list[Recommendation] | None:
        """Up to `limit` products for the page of `product_id`; None if there is no such
        product. Never the product itself, one that cannot be bought now, or one in
        `exclude` (the viewer's cart)."""
        return pick(self.rank(product_id), limit, exclude)

    def recommend_many(
        self, product_ids: Sequence[str], limit: int, token: str | None = None
    ) -> dict[str, list[Recommendation] | None]:
        """`recommend` for each product, by id, leaving out what the cart of the session
        `token` names holds (as `page` does): the products not ranked yet are ranked
        together in a fixed handful of queries, however many they are."""
        exclude = self._in_cart(token) if token else set()
        ranked = self.rank_many(product_ids)
        return {p: pick(ranked[p], limit, exclude) for p in product_ids}

    def rank(self, product_id: str) -> Ranked:
        """The product's candidates, from the cache or computed (and cached)."""
        ranked = self.cache.get(product_id)
        if ranked is None:
            token = self.cache.token()
            ranked = self._compute(product_id)
            self.cache.put(product_id, ranked, token)
        return ranked

    def rank_many(self, product_ids: Sequence[str]) -> dict[str, Ranked]:
        """`rank` of each product, by id; those not cached are computed together."""
        found: dict[str, Ranked] = {}
        for product_id in dict.fromkeys(product_ids):
            cached = self.cache.get(product_id) if is_product_id(product_id) else _UNKNOWN
            if cached is not None:
                found[product_id] = cached
        missing = [p for p in dict.fromkeys(product_ids) if p not in found]
        if missing:
            token = self.cache.token()
            computed = self._compute_many(missing)
            for product_id, ranked in computed.items():
                self.cache.put(product_id, ranked, token)
            found |= computed
        return found

    def _compute(self, product_id: str) -> Ranked:
        ranked = blend(self.graph.neighbors(product_id))
        with self._catalog.connect() as connection:
            docs = documents_by_id(connection, [product_id, *(c for c, _, _ in ranked)])
            if not docs or docs[0]["id"] != product_id:
                return Ranked(found=False, candidates=[])
            product, by_id = docs[0], {d["id"]: d for d in docs[1:]}
            candidates = _graph_candidates(product_id, ranked, by_id)
            if len(candidates) < MAX_LIMIT:
                candidates += _similar(product, candidates, lambda p: _pool(connection, p))
                missing = [c.product_id for c in candidates if c.product_id not in by_id]
                by_id |= {d["id"]: d for d in documents_by_id(connection, missing)}
        return _ranked(candidates, by_id)

    def _compute_many(self, product_ids: list[str]) -> dict[str, Ranked]:
        """`_compute` for many products: the graph, the documents, the fallback pools and
        the documents those add, each read once for all of them."""
        graph = self.graph.neighbors_many(product_ids)
        blended = {p: blend(graph.get(p, {})) for p in product_ids}
        wanted = [*product_ids, *(c for p in product_ids for c, _, _ in blended[p])]
        with self._catalog.connect() as connection:
            by_id = {d["id"]: d for d in documents_by_id(connection, list(dict.fromkeys(wanted)))}
            known = [p for p in product_ids if p in by_id]
            candidates = {p: _graph_candidates(p, blended[p], by_id) for p in known}
            short = [p for p in known if len(candidates[p]) < MAX_LIMIT]
            pools = _pools(connection, {x for p in short for x in _prefixes(by_id[p])})
            for p in short:
                candidates[p] += _similar(by_id[p], candidates[p], lambda x: pools.get(x, []))
            missing = {c.product_id for p in short for c in candidates[p]} - by_id.keys()
            by_id |= {d["id"]: d for d in documents_by_id(connection, sorted(missing))}
        return {
            p: _ranked(candidates[p], by_id) if p in candidates else _UNKNOWN for p in product_ids
        }


#: What a product that does not exist ranks as.
_UNKNOWN = Ranked(found=False, candidates=[])


def _graph_candidates(
    product_id: str, ranked: list[tuple[str, float, str]], by_id: dict[str, dict[str, Any]]
) -> list[Candidate]:
    """The graph's candidates that can be bought now, best first."""
    return [
        Candidate(other, by_id[other]["brand"], score, f"{signal}_together")
        for other, score, signal in ranked
        if other in by_id and other != product_id and by_id[other]["in_stock"]
    ]


def _ranked(candidates: list[Candidate], by_id: dict[str, dict[str, Any]]) -> Ranked:
    return Ranked(
        found=True,
        candidates=[(c, by_id[c.product_id]) for c in candidates if c.product_id in by_id],
    )


def pick(ranked: Ranked, limit: int, exclude: Collection[str] = ()) -> list[Recommendation] | None:
    """The best `limit` of ranked candidates not in `exclude`, at most a third per brand."""
    if not ranked.found:
        return None
    docs = {c.product_id: doc for c, doc in ranked.candidates}
    chosen = diversify((c for c, _ in ranked.candidates if c.product_id not in exclude), limit)
    return [Recommendation(docs[c.product_id], round(c.score, 6), c.reason) for c in chosen]


def _prefixes(product: dict[str, Any]) -> list[str]:
    """The listing prefixes of the product's category and those above it, deepest first."""
    segments = product["category"].split("/")
    return ["/".join(segments[:depth]) + "/" for depth in range(len(segments), 0, -1)]


def _pool_query(prefix: str) -> Select[Any]:
    listing = listing_view.c
    return (
        select(listing.category_prefix, listing.product_id, listing.name, listing.brand)
        .where(
            listing.category_prefix == prefix,
            listing.status == ACTIVE,
            listing.in_stock.is_(True),
        )
        .order_by(listing.created_at.desc(), listing.product_id)
        .limit(FALLBACK_POOL)
    )


def _pool(connection: Connection, prefix: str) -> Sequence[Row[Any]]:
    """The newest FALLBACK_POOL products in stock under `prefix`: one indexed page."""
    return connection.execute(_pool_query(prefix)).all()


def _pools(connection: Connection, prefixes: set[str]) -> dict[str, list[Row[Any]]]:
    """`_pool` of every prefix, read in one statement (a page per prefix, joined)."""
    if not prefixes:
        return {}
    pages = [_pool_query(prefix).subquery() for prefix in sorted(prefixes)]
    found: dict[str, list[Row[Any]]] = {}
    for row in connection.execute(union_all(*(select(page) for page in pages))):
        found.setdefault(row.category_prefix, []).append(row)
    return found


def _similar(
    product: dict[str, Any],
    chosen: list[Candidate],
    pool: Callable[[str], Sequence[Row[Any]]],
) -> list[Candidate]:
    """Products of the same category, nearest first by brand and name: the fallback for
    products the graph knows nothing (or too little) about. Falls back to the parent
    category when the product's own has too few. `pool(prefix)` gives a category's page."""
    unwanted = {product["id"], *(c.product_id for c in chosen)}
    wanted = MAX_LIMIT + SPARE - len(chosen)
    target = words(f"{product['name']} {' '.join(product.get('tags', []))}")
    found: list[Candidate] = []
    for prefix in _prefixes(product):
        rows = pool(prefix)
        seen = unwanted | {c.product_id for c in found}
        found += heapq.nsmallest(
            wanted - len(found),
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
        if len(found) >= wanted:
            break
    return found


def cart_products(accounts: Accounts, carts: Carts) -> CartProducts:
    """What a session's cart holds, for `Recommender`: none for a token without a live
    session, and none while the cart store is down (recommendations still answer)."""

    def in_cart(token: str) -> set[str]:
        try:
            session = accounts.sessions.resolve(token)
            if session is None:
                return set()
            lines = carts.store.snapshot(session.cart_owner).lines
        except StoreUnavailable:
            return set()
        return {line.product_id for line in lines}

    return in_cart
