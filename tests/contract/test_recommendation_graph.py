"""The product graph on both databases: bought-together kept by a projection of the log,
viewed-together fed from visits, and the read path's filters over the real catalog."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from polyshop.analytics.domain import Kind, Signal, Signals, to_us
from polyshop.analytics.ports import CoViews
from polyshop.catalog import commands
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.container import Container
from polyshop.eventstore.events import NewEvent
from polyshop.orders.domain import ORDER_PLACED
from polyshop.recommendations.coviews import count_co_views
from polyshop.recommendations.scoring import pair_score
from polyshop.recommendations.sql_graph import SqlRecommendationGraph

GRAPH = "bought_together"


def order(container: Container, *product_ids: str) -> int:
    order_id = str(uuid.uuid4())
    items = [
        {"sku": f"S-{p[:8]}", "product_id": p, "name": "x", "quantity": 1, "unit_price": "5.00"}
        for p in product_ids
    ]
    written = container.machinery.store.append(
        f"order-{order_id}",
        "order",
        [NewEvent(ORDER_PLACED, {"order_id": order_id, "items": items})],
    )
    return written.position


def ids(n: int) -> list[str]:
    return [str(uuid.UUID(int=i + 1)) for i in range(n)]


def test_bought_together_ranks_by_cosine_not_by_popularity(container: Container):
    a, b, c, best = ids(4)
    for _ in range(3):
        order(container, a, b)  # b goes with a
    for _ in range(20):
        order(container, best)  # the bestseller ...
    last = order(container, a, best)  # ... once with a
    container.machinery.runner.catch_up(GRAPH)
    assert container.machinery.runner.position(GRAPH) >= last

    graph = SqlRecommendationGraph(container.machinery.store.write_engine)
    neighbors = graph.neighbors(a)["bought"]

    assert [other for other, _ in neighbors] == [b, best]
    assert neighbors[0][1] > neighbors[1][1]
    assert graph.neighbors(c) == {"bought": [], "viewed": []}
    assert [other for other, _ in graph.neighbors(b)["bought"]] == [a]


def test_a_rebuilt_graph_equals_the_live_one(container: Container):
    a, b, c, d = ids(4)
    for basket in ([a, b], [a, b, c], [c, d], [a, d], [b, c]):
        order(container, *basket)
    container.machinery.runner.catch_up(GRAPH)
    graph = SqlRecommendationGraph(container.machinery.store.write_engine)
    live = {p: graph.neighbors(p) for p in (a, b, c, d)}

    container.machinery.runner.rebuild(GRAPH)

    assert {p: graph.neighbors(p) for p in (a, b, c, d)} == live


def test_viewed_together_counts_each_closed_window_once(container: Container):
    a, b, c = ids(3)
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    signals = [
        Signal(Kind.VIEW, p, viewer, to_us(start + timedelta(minutes=m)))
        for viewer, p, m in [(1, a, 1), (1, b, 2), (2, a, 3), (2, b, 4), (3, a, 5), (3, c, 40)]
    ]
    container.analytics.store.append(Signals.of(signals))
    graph = SqlRecommendationGraph(container.machinery.store.write_engine)

    # Only the first window has closed: visitor 3's view of c at :40 is not counted yet.
    assert count_co_views(container.analytics.store, graph, start + timedelta(minutes=31)) == 1
    assert [p for p, _ in graph.neighbors(a)["viewed"]] == [b]
    assert graph.viewed_until() == start + timedelta(minutes=30)
    assert count_co_views(container.analytics.store, graph, start + timedelta(minutes=31)) == 0

    assert (
        count_co_views(container.analytics.store, graph, start + timedelta(hours=2, minutes=1)) == 3
    )
    assert [p for p, _ in graph.neighbors(a)["viewed"]] == [b]  # c was seen in another window

    graph.reset_viewed()
    assert graph.viewed_until() is None
    assert graph.neighbors(a)["viewed"] == []


def test_co_views_add_up_across_windows(container: Container):
    a, b = ids(2)
    graph = SqlRecommendationGraph(container.machinery.store.write_engine)
    at = datetime(2026, 11, 20, tzinfo=UTC)
    graph.add_co_views(CoViews([(a, b, 2), (b, a, 2)], {a: 2, b: 3}), until=at)
    graph.add_co_views(CoViews([(a, b, 1), (b, a, 1)], {a: 1, b: 1}), until=at + timedelta(hours=1))

    # together 3, a seen 3, b seen 4: the two windows' counts added up, then scored
    assert graph.neighbors(a)["viewed"] == [(b, pytest.approx(pair_score(3, 3, 4, 1.0)))]
    assert pair_score(3, 3, 4, 1.0) != pair_score(2, 2, 3, 1.0)  # not the first window's alone
    assert pair_score(3, 3, 4, 1.0) < pair_score(3, 3, 4)  # views are shrunk by their support


def make_product(container: Container, name: str, brand: str, category: str, stock: int = 5) -> str:
    sku = f"{name[:12].upper().replace(' ', '-')}-{uuid.uuid4().hex[:6]}"
    draft = ProductDraft(
        name=name,
        description=f"{name}.",
        brand=brand,
        category=category,
        price=Decimal("10.00"),
        variants=(Variant(sku),),
    )
    return commands.create_product(container.machinery.store, draft, {sku: stock}).product_id


def test_recommendations_skip_what_cannot_be_bought_and_fill_with_similar(container: Container):
    tent = make_product(container, "Trail Tent", "Acme", "outdoor/tents")
    stove = make_product(container, "Trail Stove", "Acme", "outdoor/stoves")
    gone = make_product(container, "Old Lantern", "Acme", "outdoor/lights")
    empty = make_product(container, "Sold Out Mat", "Acme", "outdoor/mats", stock=0)
    twin = make_product(container, "Trail Tent XL", "Beta", "outdoor/tents")
    other = make_product(container, "Desk Lamp", "Gamma", "home/lights")
    for basket in ([tent, stove], [tent, gone], [tent, empty], [tent, other]):
        order(container, *basket)
    last = commands.discontinue_product(container.machinery.store, gone).position
    for name in ("product_documents", GRAPH):
        container.machinery.runner.catch_up(name)
    assert container.machinery.runner.position("product_documents") >= last

    found = container.recommender.recommend(tent, limit=8)

    assert found is not None
    reasons = {r.document["id"]: r.reason for r in found}
    assert reasons == {stove: "bought_together", other: "bought_together", twin: "similar"}
    assert [r.document["id"] for r in found][-1] == twin  # the graph's picks come first
    in_cart = container.recommender.recommend(tent, limit=8, exclude={stove})
    assert in_cart is not None
    assert stove not in {r.document["id"] for r in in_cart}
    assert container.recommender.recommend(str(uuid.uuid4()), limit=8) is None


def test_neighbours_of_many_products_read_at_once_are_each_ones_own(container: Container):
    a, b, c, d, lone = ids(5)
    for basket in ([a, b], [a, b, c], [c, d], [a, d], [b, c], [a, b]):
        order(container, *basket)
    container.machinery.runner.catch_up(GRAPH)
    graph = SqlRecommendationGraph(container.machinery.store.write_engine)

    many = graph.neighbors_many([a, b, c, d, lone, a], k=2)

    assert many == {p: graph.neighbors(p, k=2) for p in (a, b, c, d, lone)}
    assert len(many[a]["bought"]) == 2  # a has three neighbours: k holds


def test_recommendations_of_many_products_are_each_ones_own(container: Container):
    tent = make_product(container, "Trail Tent", "Acme", "outdoor/tents")
    stove = make_product(container, "Trail Stove", "Acme", "outdoor/stoves")
    mat = make_product(container, "Sold Out Mat", "Acme", "outdoor/mats", stock=0)
    twin = make_product(container, "Trail Tent XL", "Beta", "outdoor/tents")
    lamp = make_product(container, "Desk Lamp", "Gamma", "home/lights")
    for basket in ([tent, stove], [tent, mat], [tent, lamp], [stove, lamp]):
        order(container, *basket)
    for name in ("product_documents", GRAPH):
        container.machinery.runner.catch_up(name)
    products = [tent, stove, mat, twin, lamp, str(uuid.uuid4())]
    recommender = container.recommender

    together = recommender.recommend_many(products, 3)
    recommender.cache.clear()
    one_by_one = {p: recommender.recommend(p, 3) for p in products}

    assert together == one_by_one
    assert together[products[-1]] is None  # no such product
    assert {r.document["id"] for r in together[tent] or []} == {stove, lamp, twin}
