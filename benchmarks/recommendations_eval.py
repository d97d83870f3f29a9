"""Recommendations offline evaluation: does "you might also like" find what shoppers buy
together better than the bestseller list does? Leave one out on baskets: hit-rate@10, MRR
(the mean of 1/rank of the held-out product, 0 when missed) and catalog coverage, on real
baskets (Belgian retail, an Instacart sample and a market-basket set, which PyPI packages
ship: `basket_data.py`), on Superstore orders and customer histories, and on synthetic
baskets with planted co-purchase groups.

    .venv/bin/python benchmarks/recommendations_eval.py [--seed 7] [--k 10]
        [--baskets 20000] [--data belgian,instacart,market,superstore,synthetic]

Scores with the shop's own functions (polyshop/recommendations/scoring.py: co_occurrences,
top_neighbors with TOP_K, blend), so it measures exactly what is served, minus the stock,
brand and category steps of the read path. Baskets with at least two distinct products are
split 80/20 by a seeded shuffle; each test basket loses one seeded random item, the rest is
the query, and the training graph counts every training basket plus the test baskets
without their held-out item. Single-product baskets always train: they count towards
popularity, as an order of one item does in the shop. A query of several products gets the
sum of its products' neighbour scores: their TOP_K lists go, concatenated, into one
`blend({"bought": ...})`, which adds up a candidate's scores. Prints figures; asserts
nothing.

Variants, each scored on the same cases: popularity (the training bestsellers); same
category (the bestsellers of the query items' categories first, then the rest: only where
the data set has categories); recommender (the graph alone, may return fewer than k);
rec+pop fill (the graph, topped up with bestsellers); rec+similar fill, the shop's read
path (polyshop/recommendations/service.py): the graph's candidates, then, if there are
fewer than MAX_LIMIT of them, each query item's "similar" fallback (`Similar`), and
`diversify(candidates, k)` over the lot (at most a third from one brand); tuned: rec+pop
fill with scoring.CANDIDATE_POPULARITY chosen by cross-validation on the training baskets
alone (`tune`), to show how near the served value is to each data set's own best. Each
variant's difference from popularity comes with an exact McNemar p-value over the cases
only one of the two hits. The data sets and their catalogs: `recommendation_data.py`.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from recommendation_data import Basket, Catalog, DataSet, data_sets
from recommendation_fallback import Similar

from polyshop.recommendations import scoring
from polyshop.recommendations.scoring import (
    TOP_K,
    Candidate,
    blend,
    co_occurrences,
    diversify,
    top_neighbors,
)
from polyshop.recommendations.service import MAX_LIMIT, SPARE

TEST_SHARE = 0.2

Neighbors = dict[str, list[tuple[str, float]]]
Recommend = Callable[[Basket], list[str]]


@dataclass(frozen=True, slots=True)
class Case:
    query: Basket
    held_out: str


@dataclass(frozen=True, slots=True)
class Split:
    train: list[Basket]
    cases: list[Case]


@dataclass(frozen=True, slots=True)
class Model:
    neighbors: Neighbors
    popular: list[str]
    seconds: float


@dataclass(frozen=True, slots=True)
class Score:
    hits: list[bool]
    #: 1 / the held-out product's rank among the recommendations; 0 when it is missing.
    reciprocal: list[float]
    recommended: set[str]
    short: int

    def hit_rate(self) -> float:
        return sum(self.hits) / len(self.hits)

    def mrr(self) -> float:
        return sum(self.reciprocal) / len(self.reciprocal)


def split(baskets: Sequence[Basket], seed: int) -> Split:
    rng = random.Random(seed)
    eligible = [i for i, basket in enumerate(baskets) if len(set(basket)) >= 2]
    rng.shuffle(eligible)
    tested = set(eligible[: round(len(eligible) * TEST_SHARE)])
    train: list[Basket] = []
    cases: list[Case] = []
    for i, basket in enumerate(baskets):
        if i not in tested:
            train.append(basket)
            continue
        items = sorted(set(basket))
        held_out = rng.choice(items)
        query = [item for item in items if item != held_out]
        train.append(query)
        cases.append(Case(query, held_out))
    return Split(train, cases)


def train(baskets: Sequence[Basket]) -> Model:
    """The served graph: counts and pairs, then every product's TOP_K neighbours."""
    started = time.perf_counter()
    counts, pairs = co_occurrences(baskets)
    together: dict[str, dict[str, int]] = {product: {} for product in counts}
    for (a, b), n in pairs.items():
        together[a][b] = n
    neighbors = {p: top_neighbors(together[p], counts[p], counts, TOP_K) for p in counts}
    seconds = time.perf_counter() - started
    popular = sorted(counts, key=lambda product: (-counts[product], product))
    return Model(neighbors, popular, seconds)


def by_popularity(model: Model, k: int) -> Recommend:
    def recommend(query: Basket) -> list[str]:
        return _top(model.popular[: k + len(query)], query, k)

    return recommend


def by_category(model: Model, products: Catalog, k: int) -> Recommend:
    """The bestsellers of the query items' categories, then the other bestsellers."""
    ranks = {product: rank for rank, product in enumerate(model.popular)}

    def recommend(query: Basket) -> list[str]:
        wanted = {products[item].category for item in query}
        ranked = sorted(
            ranks, key=lambda product: (products[product].category not in wanted, ranks[product])
        )
        return _top(ranked, query, k)

    return recommend


def by_graph(model: Model, k: int) -> Recommend:
    def recommend(query: Basket) -> list[str]:
        lists = [pair for item in query for pair in model.neighbors.get(item, [])]
        return _top((other for other, _, _ in blend({"bought": lists})), query, k)

    return recommend


def by_shop(model: Model, products: Catalog, similar: Similar, k: int) -> Recommend:
    """Recommender.recommend for a query of several products: the graph's candidates as
    by_graph ranks them, then, if there are fewer than MAX_LIMIT, the query items' similar
    products, their scores added up; `diversify` picks the k."""

    def recommend(query: Basket) -> list[str]:
        lists = [pair for item in query for pair in model.neighbors.get(item, [])]
        unwanted = set(query)
        candidates = [
            Candidate(other, products[other].brand, score, f"{signal}_together")
            for other, score, signal in blend({"bought": lists})
            if other not in unwanted
        ]
        if len(candidates) < MAX_LIMIT:
            wanted = MAX_LIMIT + SPARE - len(candidates)
            unwanted |= {c.product_id for c in candidates}
            fallback: dict[str, Candidate] = {}
            for item in query:
                for c in similar(item, unwanted, wanted):
                    if c.product_id in fallback:
                        c = Candidate(
                            c.product_id, c.brand, fallback[c.product_id].score + c.score, c.reason
                        )
                    fallback[c.product_id] = c
            ranked = sorted(fallback.values(), key=lambda c: (-c.score, c.product_id))
            candidates += ranked[:wanted]
        return [c.product_id for c in diversify(candidates, k)]

    return recommend


def with_fill(first: Recommend, fill: Recommend, k: int) -> Recommend:
    """The graph's picks, topped up from the fallback when there are fewer than k."""

    def recommend(query: Basket) -> list[str]:
        picked = first(query)
        return _top([*picked, *fill(query + picked)], query, k)

    return recommend


def _top(ranked: Iterator[str] | Sequence[str], query: Basket, k: int) -> list[str]:
    unwanted = set(query)
    taken: list[str] = []
    for product in ranked:
        if product not in unwanted:
            taken.append(product)
            unwanted.add(product)
            if len(taken) == k:
                break
    return taken


def evaluate(cases: Sequence[Case], recommend: Recommend, k: int) -> Score:
    hits: list[bool] = []
    reciprocal: list[float] = []
    recommended: set[str] = set()
    short = 0
    for case in cases:
        picked = recommend(case.query)
        hits.append(case.held_out in picked)
        reciprocal.append(1 / (picked.index(case.held_out) + 1) if hits[-1] else 0.0)
        recommended.update(picked)
        short += len(picked) < k
    return Score(hits, reciprocal, recommended, short)


@contextmanager
def candidate_popularity(value: float) -> Iterator[None]:
    """scoring.CANDIDATE_POPULARITY set to `value` for the block only (pair_score reads it
    on each call)."""
    served = scoring.CANDIDATE_POPULARITY
    scoring.CANDIDATE_POPULARITY = value
    try:
        yield
    finally:
        scoring.CANDIDATE_POPULARITY = served


#: The values cross-validation chooses from: 0.5 is the cosine, 0 the plain share.
GRID = (0.0, 0.1, 0.2, 0.3, 0.5)


def tune(train_baskets: Sequence[Basket], seed: int, k: int) -> float:
    """The CANDIDATE_POPULARITY whose rec+pop fill hits most (then the better MRR) on a
    leave-one-out split of the training baskets alone."""
    inner = split(train_baskets, seed + 1)
    best: tuple[float, float, float] | None = None
    for value in GRID:
        with candidate_popularity(value):
            model = train(inner.train)
        score = evaluate(inner.cases, with_fill(by_graph(model, k), by_popularity(model, k), k), k)
        if best is None or (score.hit_rate(), score.mrr()) > best[:2]:
            best = (score.hit_rate(), score.mrr(), value)
    assert best is not None
    return best[2]


#: The variants, in the order printed, with their names.
VARIANTS = {
    "popularity": "popularity",
    "category": "same category",
    "recommender": "recommender",
    "fill": "rec+pop fill",
    "shop": "rec+similar fill",
    "tuned": "tuned",
}


def scores_of(
    data: DataSet, data_split: Split, model: Model, seed: int, k: int
) -> tuple[dict[str, Score], float]:
    """Each variant's score, and the CANDIDATE_POPULARITY tuned on the training baskets."""
    popular, graph = by_popularity(model, k), by_graph(model, k)
    similar = Similar(data.products, seed)
    recommenders = {
        "popularity": popular,
        "recommender": graph,
        "fill": with_fill(graph, popular, k),
        "shop": by_shop(model, data.products, similar, k),
    }
    if data.categories:
        recommenders["category"] = by_category(model, data.products, k)
    chosen = tune(data_split.train, seed, k)
    with candidate_popularity(chosen):
        tuned = train(data_split.train)
    recommenders["tuned"] = with_fill(by_graph(tuned, k), by_popularity(tuned, k), k)
    cases = data_split.cases
    return {v: evaluate(cases, recommenders[v], k) for v in VARIANTS if v in recommenders}, chosen


def mcnemar(only_a: int, only_b: int) -> float:
    """Exact two-sided McNemar p-value: the cases only one of two variants hits, under
    "either is as likely" (binomial, p = 1/2)."""
    n = only_a + only_b
    tail = sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1))
    return min(1.0, 2 * tail / 2**n)


def line(data: DataSet, variant: str, score: Score, popular: Score, note: str = "") -> str:
    only = sum(a and not b for a, b in zip(score.hits, popular.hits, strict=True))
    only_popular = sum(b and not a for a, b in zip(score.hits, popular.hits, strict=True))
    p = mcnemar(only, only_popular)
    lift = score.hit_rate() / popular.hit_rate() - 1 if popular.hit_rate() else math.inf
    p_text = f"{p:.1g}" if p >= 1e-6 else "<1e-6"
    versus = "" if variant == "popularity" else f"{lift:+8.0%}  {p_text:>9s}"
    return (
        f"{data.name:21s} {VARIANTS[variant] + note:21s} {score.hit_rate():6.3f} {score.mrr():6.3f}"
        f" {len(score.recommended) / len(data.products):7.1%}  {versus}"
    ).rstrip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--k", type=int, default=10, help="recommendations per query")
    parser.add_argument("--baskets", type=int, default=20_000, help="synthetic baskets")
    parser.add_argument("--data", default="belgian,instacart,market,superstore,synthetic")
    args = parser.parse_args()
    k = args.k
    print(
        f"# polyshop recommendations, leave one out, k = {k} (seed {args.seed}, TOP_K {TOP_K},"
        f" CANDIDATE_POPULARITY {scoring.CANDIDATE_POPULARITY})\n"
    )
    print(
        f"{'data set':21s} {'variant':21s} {'hit@' + str(k):>6s} {'MRR':>6s} {'cover':>7s}"
        f"  {'vs pop':>8s}  {'McNemar p':>8s}"
    )
    for data in data_sets(args.seed, args.baskets, args.data.split(",")):
        data_split = split(data.baskets, args.seed)
        model = train(data_split.train)
        scores, chosen = scores_of(data, data_split, model, args.seed, k)
        for variant, score in scores.items():
            note = f" ({chosen:g})" if variant == "tuned" else ""
            print(line(data, variant, score, scores["popularity"], note), flush=True)
        print(
            f"{'':21s} ({len(data.products):,} products, {len(data_split.train):,} training"
            f" baskets, {len(data_split.cases):,} cases, trained in {model.seconds:.1f} s;"
            f" the recommender alone returns fewer than {k} for"
            f" {scores['recommender'].short / len(data_split.cases):.0%})",
            flush=True,
        )


if __name__ == "__main__":
    main()
