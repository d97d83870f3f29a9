from __future__ import annotations

from polyshop.catalog.page_cache import CatalogChange
from polyshop.recommendations.cache import Ranked, RecommendationCache
from polyshop.recommendations.scoring import Candidate


def ranked(*ids: str) -> Ranked:
    return Ranked(
        True,
        [
            (Candidate(i, "b", 1.0, "similar"), {"id": i, "variants": [{"sku": f"{i}-1"}]})
            for i in ids
        ],
    )


def changed(products: tuple[str, ...] = (), skus: tuple[str, ...] = ()) -> CatalogChange:
    return CatalogChange(frozenset(products), frozenset(skus), relisting=False, reordering=False)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_goes_when_any_product_or_sku_in_it_changes():
    cache = RecommendationCache()
    cache.put("a", ranked("x", "y"), cache.token())
    cache.put("b", ranked("z"), cache.token())

    cache.evict(changed(skus=("y-1",)))  # a SKU of a candidate of a

    assert cache.get("a") is None
    assert cache.get("b") == ranked("z")
    cache.evict(changed(("b",)))  # the product itself
    assert cache.get("b") is None


def test_a_result_computed_across_an_eviction_is_not_kept():
    cache = RecommendationCache()
    token = cache.token()
    cache.evict(changed(("q",)))

    cache.put("a", ranked("x"), token)

    assert cache.get("a") is None


def test_entries_expire_and_the_oldest_go_first():
    clock = Clock()
    cache = RecommendationCache(capacity=2, ttl=60, clock=clock)
    for key in ("a", "b", "c"):
        cache.put(key, ranked("x"), cache.token())

    assert cache.get("a") is None  # pushed out by capacity
    assert cache.get("c") is not None
    clock.now = 61
    assert cache.get("c") is None
    cache.evict(changed(("x",)))  # the holders index forgot dropped entries cleanly
