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


def test_what_most_buyers_of_a_product_take_ranks_first_even_when_it_is_popular():
    # a is bought 100 times: 70 times with b, a bestseller (1,000), 25 times with c (50).
    # Cosine would pick c, as b's popularity explains more of its pairs; but b is what
    # most of a's buyers take.
    popular = pair_score(together=70, count_a=100, count_b=1000)
    rarer = pair_score(together=25, count_a=100, count_b=50)

    assert popular > rarer
    assert 70 / math.sqrt(100 * 1000) < 25 / math.sqrt(100 * 50)  # as cosine would have it


def test_a_pair_seen_often_outranks_a_coincidence_and_scores_stay_at_most_one():
    once_with_a_rarity = pair_score(together=1, count_a=10, count_b=1)
    often = pair_score(together=5, count_a=10, count_b=6)

    assert often > once_with_a_rarity
    assert math.isclose(pair_score(20, 20, 20), 1.0)
    scores = [pair_score(t, 40, b) for b in range(1, 200) for t in range(1, min(40, b) + 1)]
    assert max(scores) <= 1 + 1e-12
    assert pair_score(0, 5, 5) == 0.0


def test_support_shrinks_a_pair_seen_once_and_hardly_one_seen_often():
    assert math.isclose(pair_score(1, 1, 1, support=1.0), 0.5)
    assert pair_score(20, 20, 20, support=1.0) > 0.95


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
