"""Catalog queries through /graphql on both databases: the same facts REST answers for the
same shop (documents, browse pages, search with facets and typo correction,
recommendations), product slugs, a fixed handful of SQL statements per page however many
products it holds, and bad input refused by name, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from polyshop.api.graphql.catalog import ProductSort, SearchOrder
from polyshop.api.graphql.catalog_paging import cursor
from polyshop.api.web.storefront.urls import product_url
from polyshop.catalog.queries import Sort
from polyshop.container import Container
from polyshop.search.ports import SearchSort
from tests.e2e.graphql import gql, statements
from tests.e2e.shoppers import make_client
from tests.e2e.test_catalog_http import create
from tests.e2e.test_product_images_http import picture

PRODUCT = """
fragment P on Product {
  id name slug description brand category tags attributes { name value } status currency
  price priceRange { min max } inStock createdAt updatedAt
  variants { sku size color price inStock available }
  images { id url width height alt format primary srcset { format value } }
  thumbnail { url width height }
}
"""
GET = (
    PRODUCT
    + "query($id: ID, $slug: String, $at: Int) {"
    + (" product(id: $id, slug: $slug, minPosition: $at) { ...P } }")
)


def rest(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def as_rest(node: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL product in REST's document shape, to compare the two answers whole."""
    images = node["images"]
    return {
        **{k: node[k] for k in ("id", "name", "description", "brand", "category", "tags")},
        **{k: node[k] for k in ("status", "currency", "price", "thumbnail")},
        "attributes": {a["name"]: a["value"] for a in node["attributes"]},
        "price_range": node["priceRange"],
        "in_stock": node["inStock"],
        "variants": [{k: v[k] for k in VARIANT} for v in node["variants"]],
        "images": [{k: i[k] for k in IMAGE} for i in images],
        "srcset": [{s["format"]: s["value"] for s in i["srcset"]} for i in images],
    }


def rest_shape(doc: dict[str, Any]) -> dict[str, Any]:
    """The same facts picked from a REST document."""
    keys = ("id", "name", "description", "brand", "category", "tags", "status", "currency")
    return {
        **{k: doc[k] for k in (*keys, "price", "thumbnail", "attributes", "price_range")},
        "in_stock": doc["in_stock"],
        "variants": [{k: v[k] for k in VARIANT} for v in doc["variants"]],
        "images": [{k: i[k] for k in IMAGE} for i in doc["images"]],
        "srcset": [i["srcset"] for i in doc["images"]],
    }


VARIANT = ("sku", "size", "color", "price", "available")
IMAGE = ("id", "url", "width", "height", "alt", "format")


def test_a_product_by_id_is_the_rest_document_with_images_and_variants(client: TestClient):
    written = create(client, name="Trail Runner", attributes={"material": "mesh"})
    catalog = client.container.catalog  # type: ignore[attr-defined]
    catalog.add_image(written["product_id"], picture("a", alt="Side"))
    at = catalog.update_image(written["product_id"], "a", primary=True).position

    node = gql(client, GET, {"id": written["product_id"], "at": at})["data"]["product"]
    doc = rest(client, f"/api/v1/products/{written['product_id']}", min_position=at)

    assert as_rest(node) == rest_shape(doc)
    assert [i["primary"] for i in node["images"]] == [True, False]
    assert {s["format"] for s in node["images"][0]["srcset"]} == {"avif", "webp", "jpeg"}
    assert node["priceRange"] == {"min": 89.9, "max": 94.9}
    assert [v["inStock"] for v in node["variants"]] == [True, False]  # 5 units, none
    assert product_url(node["id"], node["name"]) == f"/p/{node['id']}/{node['slug']}"


def test_a_slug_finds_the_oldest_product_on_sale_with_that_name(client: TestClient):
    first = create(client, name="Trail Runner")
    create(client, name="Trail  RUNNER!", variants=[{"sku": "TRR-2", "stock": 1}])
    accented = create(client, name="Café Crème", variants=[{"sku": "CAF-1", "stock": 1}])
    at = accented["position"]

    def by_slug(slug: str) -> dict[str, Any] | None:
        return gql(client, GET, {"slug": slug, "at": at})["data"]["product"]

    found = by_slug("trail-runner")
    assert (found or {}).get("id") == first["product_id"]
    cafe = by_slug("cafe-creme")
    assert cafe is not None
    assert (cafe["id"], cafe["slug"]) == (accented["product_id"], "cafe-creme")
    assert by_slug("trail") is None
    assert by_slug("Trail-Runner") is None  # slugs are lower case, as the storefront's
    gone = client.delete(f"/api/v1/products/{first['product_id']}", headers=_OPS)
    later = gql(client, GET, {"slug": "trail-runner", "at": gone.json()["position"]})
    assert later["data"]["product"]["name"] == "Trail  RUNNER!"


_OPS = {"Authorization": "Bearer test-ops-token"}
BROWSE = (
    PRODUCT
    + """
query($first: Int!, $after: String, $sort: ProductSort!, $at: Int, $min: Float) {
  products(first: $first, after: $after, sort: $sort, minPosition: $at,
           category: "shoes", minPrice: $min) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { ...P } }
  }
}
"""
)


def test_browse_pages_follow_cursors_and_match_rest_pages(client: TestClient):
    for i, price in enumerate([30, 10, 50, 20, 40]):
        create(client, name=f"Shoe {i}", price=price, variants=[{"sku": f"S-{i}"}])
    lamp = create(client, name="Lamp", category="home/lamps", price=5, variants=[{"sku": "L-1"}])
    at = lamp["position"]
    shown, after, pages = [], None, 0
    while True:
        variables = {"first": 2, "after": after, "sort": "PRICE_ASC", "at": at, "min": 15}
        page = gql(client, BROWSE, variables)["data"]["products"]
        pages += 1
        listed = rest(
            client, "/api/v1/products", category="shoes", min_price=15, sort="price_asc",
            limit=2, page=pages, min_position=at,
        )  # fmt: skip
        assert [as_rest(e["node"]) for e in page["edges"]] == [
            rest_shape(p) for p in listed["products"]
        ]
        assert page["totalCount"] == listed["total"] == 4
        assert page["pageInfo"]["hasPreviousPage"] == (pages > 1)
        shown += [e["node"]["price"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert (shown, pages) == ([20, 30, 40, 50], 2)


SEARCH = """
query($q: String!, $exact: Boolean!, $at: Int) {
  search(query: $q, exact: $exact, first: 1, minPosition: $at) {
    totalCount correctedQuery corrected pageInfo { hasNextPage }
    edges { node { id name price } }
    facets { brands { value count } categories { value count } priceRanges { from to count } }
  }
}
"""


def test_search_facets_correction_and_suggestions_match_rest(client: TestClient):
    create(client, name="Alpha Laptop", category="electronics/laptops", brand="Lenovo", price=900)
    create(client, name="Bravo Laptop", category="electronics/laptops", brand="Asus", price=1200)
    last = create(client, name="Charlie Lamp", category="home/lighting", brand="Philips", price=30)
    at = last["position"]

    search = gql(client, SEARCH, {"q": "labtop", "exact": False, "at": at})["data"]["search"]
    exact = gql(client, SEARCH, {"q": "labtop", "exact": True, "at": at})["data"]["search"]
    body = rest(client, "/api/v1/products/search", q="labtop", limit=1, min_position=at)
    suggested = rest(client, "/api/v1/products/suggest", q="lap")
    names = gql(client, '{ suggest(prefix: "lap") }')["data"]["suggest"]

    assert search["correctedQuery"] == search["corrected"] == body["corrected_query"] == "laptop"
    assert (search["totalCount"], search["pageInfo"]["hasNextPage"]) == (body["total"], True)
    assert [e["node"]["id"] for e in search["edges"]] == [r["id"] for r in body["results"]]
    facets = search["facets"]
    assert {b["value"]: b["count"] for b in facets["brands"]} == body["facets"]["brands"]
    assert {c["value"]: c["count"] for c in facets["categories"]} == body["facets"]["categories"]
    assert facets["priceRanges"] == body["facets"]["price_ranges"]
    assert (exact["totalCount"], exact["correctedQuery"]) == (0, None)
    assert names == suggested["suggestions"]


RECOMMENDED = """
query($id: ID!, $at: Int) {
  product(id: $id, minPosition: $at) { recommendations(limit: 3) { id name inStock } }
}
"""


def test_recommendations_are_the_rest_ranking(client: TestClient):
    ids = [
        create(client, name=f"Lamp {n}", category="home/lamps", brand=brand, variants=[
            {"sku": f"LMP-{n}", "stock": 0 if n == 4 else 3}
        ])
        for n, brand in enumerate(["Acme", "Acme", "Lux", "Lux", "Glow"])
    ]  # fmt: skip
    at = ids[-1]["position"]
    pid = ids[0]["product_id"]

    found = gql(client, RECOMMENDED, {"id": pid, "at": at})["data"]["product"]["recommendations"]
    body = rest(client, f"/api/v1/products/{pid}/recommendations", limit=3)

    assert [r["id"] for r in found] == [r["product"]["id"] for r in body["recommendations"]]
    assert len(found) == 3
    assert pid not in {r["id"] for r in found}
    assert all(r["inStock"] for r in found)  # Lamp 4 has no stock: never offered


PAGE = """
query($first: Int!, $at: Int) {
  products(first: $first, minPosition: $at) {
    edges { node {
      id variants { sku price inStock } images { url srcset { value } } thumbnail { url }
      recommendations(limit: 4) { id name variants { sku } images { url } }
    } }
  }
}
"""


def test_a_page_of_products_costs_the_same_few_statements_for_10_or_50(
    backend: str, container_for: Callable[..., Container]
):
    # The page of 50 with everything it expands, within the default cost budget.
    with make_client(container_for, backend) as client:
        at = chairs(client, 50)
        recommender = client.container.recommender  # type: ignore[attr-defined]
        gql(client, PAGE, {"first": 1, "at": at})  # the read model caught up, the total kept
        counts = {}
        for first in (10, 50):
            recommender.cache.clear()  # every product ranked afresh
            with statements(client) as seen:
                edges = gql(client, PAGE, {"first": first})["data"]["products"]["edges"]
            assert len(edges) == first
            assert all(len(e["node"]["recommendations"]) == 4 for e in edges)
            counts[first] = len([s for s in seen if s.strip() not in ("BEGIN", "COMMIT")])
        # (the total), listing, documents; graph (2), candidates, category pools, their
        # documents: the same handful for 10 or 50 (one query per product would be 50+)
        assert max(counts.values()) <= 8, counts


def test_a_slug_is_one_bounded_lookup_however_many_names_share_its_words(
    backend: str, container_for: Callable[..., Container]
):
    # 30 aliases of a lookup per request once made 30 scans of every name LIKE the words.
    with make_client(container_for, backend) as client:
        at = chairs(client, 12)  # "chair-0" ... "chair-11": every name holds "chair"
        gql(client, GET, {"slug": "chair-3", "at": at})
        with statements(client) as seen:
            found = gql(client, GET, {"slug": "chair-3"})["data"]["product"]
        assert found["name"] == "Chair 3"
        listing = [s for s in seen if "product_listing" in s]
        assert len(listing) == 1, seen
        assert "LIKE" not in listing[0].upper()
        assert "LIMIT" in listing[0].upper()


def chairs(client: TestClient, n: int) -> int:
    """`n` chairs in five categories, two variants each; the position of the last."""
    for i in range(n):
        written = create(
            client,
            name=f"Chair {i}",
            category=f"home/chairs/{'abcde'[i % 5]}",
            brand=f"B{i % 7}",
            variants=[{"sku": f"CH-{i}-A", "stock": 2}, {"sku": f"CH-{i}-B", "size": "L"}],
        )
    return int(written["position"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("{ products(first: 0) { totalCount } }", "first"),
        ("{ products(first: 101) { totalCount } }", "first"),
        ('{ products(after: "bm9wZQ==") { totalCount } }', "after"),  # "nope"
        ('{ products(after: "%%%") { totalCount } }', "after"),
        (f'{{ products(after: "{cursor(10**15)}") {{ totalCount }} }}', "after"),
        (f'{{ products(after: "{cursor(-2)}") {{ totalCount }} }}', "after"),
        ("{ products(minPrice: 5, maxPrice: 1) { totalCount } }", "min_price"),
        ("{ products(minPrice: 0.001) { totalCount } }", "min_price"),
        ("{ products(maxPrice: 1e30) { totalCount } }", "max_price"),
        ('{ products(category: "no such//path") { totalCount } }', "category"),
        ('{ product(id: "x", slug: "y") { id } }', "id"),
        ("{ product { id } }", "slug"),
        ('{ search(query: "") { totalCount } }', "query"),
        (f'{{ search(query: "lamp", after: "{cursor(9_999)}") {{ totalCount }} }}', "after"),
        ('{ suggest(prefix: "la", limit: 0) }', "limit"),
    ],
)
def test_bad_input_is_refused_by_name_never_a_500(client: TestClient, query: str, field: str):
    body = gql(client, query, expect_errors=True)

    (error,) = body["errors"]
    assert error["extensions"]["code"] == "validation-error", error
    assert error["extensions"]["status"] == 422
    assert error["message"].startswith(f"{field}:"), error


def test_an_unknown_sort_or_a_recommendation_limit_past_20_is_refused(client: TestClient):
    written = create(client)
    unknown = gql(client, "{ products(sort: CHEAPEST) { totalCount } }", expect_errors=True)
    too_many = gql(
        client,
        "query($id: ID!, $at: Int) { product(id: $id, minPosition: $at) "
        "{ recommendations(limit: 21) { id } } }",
        {"id": written["product_id"], "at": written["position"]},
        expect_errors=True,
    )

    assert "CHEAPEST" in unknown["errors"][0]["message"]
    assert "data" not in unknown or unknown["data"] is None
    assert too_many["errors"][0]["extensions"]["code"] == "validation-error"
    assert too_many["errors"][0]["message"].startswith("limit:")


def test_the_sorts_are_rests_sorts():
    assert {s.value for s in ProductSort} == {s.value for s in Sort}
    assert {s.value for s in SearchOrder} == {s.value for s in SearchSort}
