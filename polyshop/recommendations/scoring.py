"""How neighbours are scored, blended and picked. Pure functions: the projection, the
co-view job, the read path and the offline evaluation all use these same ones.

Raw co-occurrence counts favour bestsellers: everything is bought with the bestseller.
Cosine similarity divides by both products' popularity alike (`together / sqrt(a * b)`),
so a pair scores high only when the two are bought together more often than their
popularity explains; but on real baskets that also buries what most of a product's buyers
do take with it when that is popular. The score here is the asymmetric cosine
`together / (a ** (1 - CANDIDATE_POPULARITY) * b ** CANDIDATE_POPULARITY)` for product a's
neighbour b: at 0.5 it is the cosine, at 0 the share of a's orders that also had b.

On the real basket data sets of `benchmarks/recommendations_eval.py`, cross-validation on
training baskets alone picks 0.1 to 0.2 for hits; 0.3 keeps nearly all of those hits and,
without the shrinkage by support that the cosine had (`together / (together + 1)`, which
kept pairs seen once between rare products from scoring 1.0), recommends more of the
catalogue than the shrunk cosine did on the two large sets, where the shrinkage cost
coverage and bought no hits. Views keep the shrinkage (`VIEWED_SUPPORT`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from polyshop.search import analysis

#: Neighbours kept per product and signal: enough to fill a page after filtering out what is
#: out of stock, discontinued or in the cart.
TOP_K = 40
#: How much a neighbour's own popularity counts against it (see the module's docstring).
CANDIDATE_POPULARITY = 0.3
#: Pairs seen in few visits are shrunk towards zero (`together / (together + this)`): a view
#: costs nothing (one crawler's visit pairs all it saw), and the evaluation that dropped the
#: shrinkage for purchases had no visits to learn from.
VIEWED_SUPPORT = 1.0
#: Products bought together say more than products looked at together.
WEIGHTS = {"bought": 1.0, "viewed": 0.4}
#: Orders or visits with more distinct products are cut to this many: their pairs grow with
#: the square and say little (a company's bulk order, a crawler).
MAX_BASKET = 50


def pair_score(together: int, count_a: int, count_b: int, support: float = 0.0) -> float:
    """How good a neighbour b is for product a: at most 1, as `together` is at most either
    count; `support`: the shrinkage by how often the pair was seen (0: none)."""
    if together <= 0 or count_a <= 0 or count_b <= 0:
        return 0.0
    weight = CANDIDATE_POPULARITY
    score = together / (count_a ** (1 - weight) * count_b**weight)
    return score * together / (together + support)


def top_neighbors(
    together: Mapping[str, int],
    count: int,
    counts: Mapping[str, int],
    k: int = TOP_K,
    support: float = 0.0,
) -> list[tuple[str, float]]:
    """The `k` best neighbours of one product, from its co-occurrence counts."""
    scored = [
        (other, pair_score(n, count, counts.get(other, 0), support))
        for other, n in together.items()
    ]
    scored = [(other, score) for other, score in scored if score > 0]
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:k]


def blend(signals: Mapping[str, Sequence[tuple[str, float]]]) -> list[tuple[str, float, str]]:
    """One ranking from several signals' neighbour lists: weighted scores add up; each
    candidate keeps the signal that gave it the most, as the reason shown."""
    total: dict[str, float] = {}
    reason: dict[str, tuple[float, str]] = {}
    for signal, neighbors in signals.items():
        weight = WEIGHTS[signal]
        for other, score in neighbors:
            part = weight * score
            total[other] = total.get(other, 0.0) + part
            if other not in reason or part > reason[other][0]:
                reason[other] = (part, signal)
    ranked = sorted(total.items(), key=lambda item: (-item[1], item[0]))
    return [(other, score, reason[other][1]) for other, score in ranked]


@functools.lru_cache(maxsize=100_000)
def words(text: str) -> frozenset[str]:
    """The words of a name worth comparing, as search reads them (`Crème` is `creme`),
    memoized: the fallback scores the same category's names again for every product in it."""
    return frozenset(w for w in analysis.words(text) if len(w) > 2)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two products' words: the fallback's notion of similar text."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True, slots=True)
class Candidate:
    product_id: str
    brand: str
    score: float
    reason: str


def diversify(candidates: Iterable[Candidate], limit: int) -> list[Candidate]:
    """The best `limit` candidates, at most a third of them (and at least two) from one
    brand, so one brand's range never fills the list; the order within is kept."""
    per_brand = max(2, math.ceil(limit / 3))
    taken: list[Candidate] = []
    brands: dict[str, int] = {}
    for candidate in candidates:
        if len(taken) == limit:
            break
        if brands.get(candidate.brand, 0) >= per_brand:
            continue
        brands[candidate.brand] = brands.get(candidate.brand, 0) + 1
        taken.append(candidate)
    return taken


def co_occurrences(
    baskets: Iterable[Iterable[str]],
) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """How often each product occurs, and each ordered pair of distinct products together,
    over baskets (orders or visits), each basket cut to its first MAX_BASKET products."""
    counts: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for basket in baskets:
        items = sorted(set(basket))[:MAX_BASKET]
        for a in items:
            counts[a] = counts.get(a, 0) + 1
            for b in items:
                if a != b:
                    pairs[a, b] = pairs.get((a, b), 0) + 1
    return counts, pairs
