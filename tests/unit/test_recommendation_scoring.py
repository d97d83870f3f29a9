from __future__ import annotations

import math

from polyshop.recommendations.scoring import (
    MAX_BASKET,
    Candidate,
    blend,
    co_occurrences,
    diversify,
    pair_score,
    similarity,
    top_neighbors,
    words,
)


def test_co_occurrences_count_products_and_ordered_pairs_once_per_basket():
    counts, pairs = co_occurrences([["a", "b", "a"], ["a", "c"], ["b"]])

    assert counts == {"a": 2, "b": 2, "c": 1}
    assert pairs == {("a", "b"): 1, ("b", "a"): 1, ("a", "c"): 1, ("c", "a"): 1}


def test_a_huge_basket_is_cut_so_its_pairs_stay_bounded():
    counts, pairs = co_occurrences([[f"p{i:03}" for i in range(500)]])

    assert len(counts) == MAX_BASKET
    assert len(pairs) == MAX_BASKET * (MAX_BASKET - 1)


def test_a_bestseller_does_not_outrank_a_true_companion():
    # a is bought 10 times: 5 times with b (bought 6 times in all), 6 times with a
    # bestseller bought 1,000 times. Counting pairs alone would pick the bestseller.
    companion = pair_score(together=5, count_a=10, count_b=6)
    bestseller = pair_score(together=6, count_a=10, count_b=1000)

    assert companion > bestseller


def test_support_shrinks_a_single_coincidence():
    once = pair_score(1, 1, 1)
    often = pair_score(20, 20, 20)

    assert math.isclose(once, 0.5)
    assert often > 0.95
    assert pair_score(0, 5, 5) == 0.0


def test_top_neighbors_are_best_first_and_capped():
    together = {"b": 5, "c": 1, "d": 3}
    counts = {"b": 5, "c": 50, "d": 3}

    assert [p for p, _ in top_neighbors(together, 10, counts, k=2)] == ["b", "d"]


def test_blend_adds_weighted_signals_and_keeps_the_strongest_reason():
    ranked = blend({"bought": [("x", 0.5), ("y", 0.1)], "viewed": [("y", 0.9), ("z", 0.2)]})

    assert [(p, reason) for p, _, reason in ranked] == [
        ("x", "bought"),
        ("y", "viewed"),
        ("z", "viewed"),
    ]
    assert math.isclose(ranked[1][1], 0.1 + 0.4 * 0.9)


def test_diversify_caps_each_brand_at_a_third():
    candidates = [Candidate(f"a{i}", "Acme", 1 - i / 100, "similar") for i in range(10)]
    candidates += [Candidate("b0", "Beta", 0.01, "similar")]

    picked = diversify(candidates, limit=6)

    assert [c.product_id for c in picked] == ["a0", "a1", "b0"]


def test_similarity_compares_meaningful_words():
    assert words("The 2-Person Trail Tent, XL") == {"the", "person", "trail", "tent"}
    assert similarity(words("Trail Tent"), words("Trail Tent XL")) == 1.0
    assert similarity(words("Trail Tent"), words("Desk Lamp")) == 0.0
    assert similarity(frozenset(), words("x")) == 0.0
