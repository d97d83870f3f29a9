"""Catalog and inventory through HTTP on both databases: writes, browse, documents, bad input."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tests.e2e.shoppers import register

OPS = {"Authorization": "Bearer test-ops-token"}


def product(name: str = "Trail Runner", **overrides) -> dict:
    body = {
        "name": name,
        "description": "A light shoe for rough paths.",
        "brand": "Acme",
        "category": "shoes/running",
        "price": 89.90,
        "tags": ["outdoor"],
        "images": ["https://img.example/1.jpg"],
        "variants": [
            {"sku": f"{name[:3].upper()}-42", "size": "42", "stock": 5},
            {"sku": f"{name[:3].upper()}-43", "size": "43", "price_adjustment": 5},
        ],
    }
    body.update(overrides)
    return body


def create(client: TestClient, **overrides) -> dict:
    response = client.post("/api/v1/products", json=product(**overrides), headers=OPS)
    assert response.status_code == 201, response.text
    return response.json()


def head(client: TestClient) -> int:
    return client.container.machinery.store.head()  # type: ignore[attr-defined]


def test_a_created_product_is_readable_with_variants_prices_and_stock(client: TestClient):
    written = create(client)

    response = client.get(
        f"/api/v1/products/{written['product_id']}", params={"min_position": written["position"]}
    )

    assert response.status_code == 200
    doc = response.json()
    assert (doc["name"], doc["brand"], doc["category"], doc["status"]) == (
        "Trail Runner",
        "Acme",
        "shoes/running",
        "active",
    )
    assert doc["price"] == 89.9
    assert doc["currency"] == "USD"
    assert doc["price_range"] == {"min": 89.9, "max": 94.9}
    assert [(v["sku"], v["price"], v["available"]) for v in doc["variants"]] == [
        ("TRA-42", 89.9, 5),
        ("TRA-43", 94.9, 0),
    ]
    assert doc["in_stock"] is True


def test_price_changes_stock_adjustments_and_discontinuation_reach_the_document(client):
    written = create(client)
    pid = written["product_id"]

    patched = client.patch(
        f"/api/v1/products/{pid}",
        headers=OPS,
        json={
            "price": "79.90",
            "name": "Trail Runner II",
            "variants": [{"sku": "TRA-44", "size": "44", "stock": 2}],
        },
    )
    adjusted = client.post(
        "/api/v1/inventory/TRA-42/adjust", headers=OPS, json={"delta": -5, "reason": "recalled"}
    )
    doc = client.get(
        f"/api/v1/products/{pid}", params={"min_position": adjusted.json()["position"]}
    ).json()

    assert patched.status_code == 200
    assert adjusted.json() == {
        "sku": "TRA-42",
        "on_hand": 0,
        "reserved": 0,
        "available": 0,
        "position": adjusted.json()["position"],
    }
    assert (doc["name"], doc["price"]) == ("Trail Runner II", 79.9)
    assert [(v["sku"], v["price"], v["available"]) for v in doc["variants"]] == [
        ("TRA-42", 79.9, 0),
        ("TRA-43", 84.9, 0),
        ("TRA-44", 79.9, 2),
    ]
    events = [e.type for e in client.container.machinery.store.read_stream(f"product-{pid}")]  # type: ignore[attr-defined]
    assert events == ["ProductCreated", "ProductUpdated", "PriceChanged", "VariantAdded"]

    gone = client.delete(f"/api/v1/products/{pid}", headers=OPS).json()
    browse = client.get("/api/v1/products", params={"min_position": gone["position"]}).json()
    assert browse["total"] == 0
    # The product's cached page is evicted shortly after its read model moves; a reader
    # who must see their own write names the position (API.md: read-your-writes).
    after = client.get(f"/api/v1/products/{pid}", params={"min_position": gone["position"]})
    assert after.json()["status"] == "discontinued"


def test_browse_filters_sorts_and_pages(client: TestClient):
    create(client, name="Alpha", category="shoes/running", brand="Acme", price=50)
    create(client, name="Bravo", category="shoes/hiking", brand="Peak", price=120)
    create(
        client,
        name="Charlie",
        category="shoes",
        brand="Acme",
        price=80,
        variants=[{"sku": "CHA-1", "stock": 0}],
    )
    last = create(client, name="Delta", category="shoestring", brand="Acme", price=10)
    wait = {"min_position": last["position"]}

    def names(**params) -> list[str]:
        response = client.get("/api/v1/products", params={**wait, **params})
        assert response.status_code == 200, response.text
        return [p["name"] for p in response.json()["products"]]

    assert names(category="shoes", sort="name") == ["Alpha", "Bravo", "Charlie"]
    assert names(category="shoes/running") == ["Alpha"]
    assert names(brand="Acme", sort="price_asc") == ["Delta", "Alpha", "Charlie"]
    assert names(sort="price_desc") == ["Bravo", "Charlie", "Alpha", "Delta"]
    assert names(min_price=60, max_price=100) == ["Charlie"]
    assert names(in_stock=True, sort="name") == ["Alpha", "Bravo", "Delta"]
    assert names(sort="newest") == ["Delta", "Charlie", "Bravo", "Alpha"]
    page = client.get("/api/v1/products", params={**wait, "limit": 3, "page": 2}).json()
    assert (page["total"], page["page"], page["pages"], len(page["products"])) == (4, 2, 2, 1)
    past_the_end = client.get("/api/v1/products", params={**wait, "page": 9}).json()
    assert (past_the_end["products"], past_the_end["total"]) == ([], 4)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=popular_ish", "sort"),
        ("min_price=-1", "min_price"),
        ("limit=101", "limit"),
        ("min_price=10&max_price=5", "min_price"),
        ("max_price=9.999", "max_price"),
        ("category=Not a path!", "category"),
        ("q=" + "x" * 10_000 + "&limit=0", "limit"),
    ],
)
def test_bad_browse_input_is_a_422_naming_the_field(client: TestClient, query: str, field: str):
    response = client.get(f"/api/v1/products?{query}")

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


def test_unknown_products_and_skus_are_404(client: TestClient):
    for path in (
        "/api/v1/products/00000000-0000-0000-0000-000000000000",
        "/api/v1/products/not-a-uuid",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/inventory/NOPE-1", headers=OPS).status_code == 404


def test_refused_writes_change_nothing(client: TestClient):
    create(client)
    before = head(client)

    duplicate = client.post(
        "/api/v1/products",
        headers=OPS,
        json=product("Other", variants=[{"sku": "NEW-1"}, {"sku": "tra-42"}]),
    )
    three_decimals = client.post(
        "/api/v1/products", headers=OPS, json=product("Third", price=9.999)
    )
    no_variants = client.post("/api/v1/products", headers=OPS, json=product("Fourth", variants=[]))
    bad_sku = client.post(
        "/api/v1/products", headers=OPS, json=product("Fifth", variants=[{"sku": "has space"}])
    )
    below_reserved = client.post(
        "/api/v1/inventory/TRA-42/adjust", headers=OPS, json={"delta": -6, "reason": "count"}
    )
    too_dear = client.post(  # each amount is valid, the variant's sum is not
        "/api/v1/products",
        headers=OPS,
        json=product(
            "Sixth", price=99999999, variants=[{"sku": "SIX-1", "price_adjustment": 36381320}]
        ),
    )

    assert (duplicate.status_code, duplicate.json()["skus"]) == (409, ["TRA-42"])
    assert three_decimals.json()["errors"][0]["field"] == "price"
    assert no_variants.json()["errors"][0]["field"] == "variants"
    assert bad_sku.json()["errors"][0]["field"] == "variants.0.sku"
    assert below_reserved.status_code == 409
    assert too_dear.json()["errors"][0]["field"].endswith("price_adjustment")
    assert {
        three_decimals.status_code,
        no_variants.status_code,
        bad_sku.status_code,
        too_dear.status_code,
    } == {422}
    assert head(client) == before


def test_catalog_writes_need_an_admin(client: TestClient):
    customer = register(client, "customer@example.com")
    anonymous = client.post("/api/v1/products", json=product())
    unknown = client.post(
        "/api/v1/products", json=product(), headers={"Authorization": "Bearer someone"}
    )
    as_customer = customer.post("/api/v1/products", json=product())
    stock = client.get("/api/v1/inventory/TRA-42")

    assert [r.status_code for r in (anonymous, unknown, as_customer, stock)] == [401, 401, 403, 401]
    assert [e.type for e in client.container.machinery.store.read_all(0, 100)] == ["UserRegistered"]  # type: ignore[attr-defined]


def test_rebuilt_documents_answer_exactly_as_the_live_ones(client: TestClient):
    for name in ("Alpha", "Bravo", "Charlie"):
        last = create(client, name=name)
    client.post("/api/v1/inventory/ALP-42/adjust", headers=OPS, json={"delta": 7, "reason": "x"})
    pid = last["product_id"]
    client.patch(f"/api/v1/products/{pid}", headers=OPS, json={"price": 12.5})
    position = client.delete(f"/api/v1/products/{pid}", headers=OPS).json()["position"]
    live = client.get("/api/v1/products", params={"min_position": position}).json()
    live_doc = client.get(f"/api/v1/products/{pid}", params={"min_position": position}).json()

    client.container.machinery.runner.rebuild("product_documents")  # type: ignore[attr-defined]

    assert client.get("/api/v1/products").json() == live
    assert client.get(f"/api/v1/products/{pid}").json() == live_doc


def test_search_and_suggest_over_http(client: TestClient):
    create(client, name="Alpha Laptop", category="electronics/laptops", brand="Lenovo", price=900)
    create(client, name="Bravo Laptop", category="electronics/laptops", brand="Asus", price=1200)
    last = create(client, name="Charlie Lamp", category="home/lighting", brand="Philips", price=30)
    wait = {"min_position": last["position"]}

    found = client.get("/api/v1/products/search", params={**wait, "q": "labtop", "limit": 1})
    suggested = client.get("/api/v1/products/suggest", params={"q": "lap"})
    exact = client.get("/api/v1/products/search", params={"q": "labtop", "exact": "true"})

    assert found.status_code == 200, found.text
    body = found.json()
    assert body["corrected_query"] == body["corrected"] == "laptop"
    assert exact.json()["total"] == 0
    assert exact.json()["corrected_query"] is None
    assert (body["total"], body["page"], body["pages"], len(body["results"])) == (2, 1, 2, 1)
    assert body["results"][0]["name"] in {"Alpha Laptop", "Bravo Laptop"}
    assert body["facets"]["brands"] == {"Asus": 1, "Lenovo": 1}
    assert body["facets"]["categories"] == {"electronics/laptops": 2}
    assert body["facets"]["price_ranges"] == [
        {"from": 500.0, "to": 1000.0, "count": 1},
        {"from": 1000.0, "to": None, "count": 1},
    ]
    assert set(suggested.json()["suggestions"]) == {"Alpha Laptop", "Bravo Laptop"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "q"),
        ("q=" + "x" * 10_000, "q"),
        ("q=lamp&sort=cheapest", "sort"),
        ("q=lamp&min_price=5&max_price=1", "min_price"),
        ("q=lamp&page=1000", "page"),
    ],
)
def test_bad_search_input_is_a_422_naming_the_field(client: TestClient, query: str, field: str):
    response = client.get(f"/api/v1/products/search?{query}")

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_cached_product_pages_follow_changes(client: TestClient):
    written = create(client)
    pid = written["product_id"]
    url = f"/api/v1/products/{pid}"
    client.get(url, params={"min_position": written["position"]})
    pages = client.container.product_pages  # type: ignore[attr-defined]
    first, hits = client.get(url).json(), pages.hits
    repeats = [client.get(url).json() for _ in range(3)]  # served from memory

    position = client.patch(url, headers=OPS, json={"price": 55}).json()["position"]
    client.container.machinery.runner.wait_for("product_documents", position, 5)  # type: ignore[attr-defined]
    started = time.monotonic()
    while client.get(url).json()["price"] != 55:
        assert time.monotonic() - started < 0.5, "a cached page outlived the change"
        time.sleep(0.005)

    assert repeats == [first] * 3
    assert pages.hits >= hits + 2  # at most one miss, should the invalidator evict once
    stock = client.post(
        "/api/v1/inventory/TRA-42/adjust", headers=OPS, json={"delta": 1, "reason": "found one"}
    ).json()["position"]
    client.container.machinery.runner.wait_for("product_documents", stock, 5)  # type: ignore[attr-defined]
    started = time.monotonic()
    while client.get(url).json()["variants"][0]["available"] != 6:
        assert time.monotonic() - started < 0.5, "a cached page outlived the stock change"
        time.sleep(0.005)


def test_browse_totals_follow_changes(client: TestClient):
    first = create(client, name="Alpha")
    client.get("/api/v1/products", params={"min_position": first["position"]})
    assert client.get("/api/v1/products").json()["total"] == 1  # counted, then remembered

    second = create(client, name="Bravo")
    client.container.machinery.runner.wait_for("product_documents", second["position"], 5)  # type: ignore[attr-defined]
    started = time.monotonic()
    while client.get("/api/v1/products").json()["total"] != 2:
        assert time.monotonic() - started < 0.5, "a remembered total outlived the change"
        time.sleep(0.005)


def test_cached_browse_pages_follow_changes(client: TestClient):
    written = create(client)
    pid = written["product_id"]
    query = {"category": "shoes", "in_stock": "true", "sort": "price_asc"}
    client.get("/api/v1/products", params={**query, "min_position": written["position"]})
    pages = client.container.product_pages  # type: ignore[attr-defined]
    first = client.get("/api/v1/products", params=query).json()  # computed, then remembered
    started = time.monotonic()
    # The invalidator may reach the product's own creation only now and evict once (or
    # keep a page read across that eviction from being cached): then the next read stays.
    while pages.listing(b"category=shoes&in_stock=true&sort=price_asc") is None:
        assert time.monotonic() - started < 1.0, "a browse page was never remembered"
        time.sleep(0.01)
        first = client.get("/api/v1/products", params=query).json()
    assert client.get("/api/v1/products", params=query).json() == first

    position = client.patch(f"/api/v1/products/{pid}", headers=OPS, json={"price": 55}).json()[
        "position"
    ]
    client.container.machinery.runner.wait_for("product_documents", position, 5)  # type: ignore[attr-defined]
    started = time.monotonic()
    while client.get("/api/v1/products", params=query).json()["products"][0]["price"] != 55:
        assert time.monotonic() - started < 0.5, "a cached listing outlived the change"
        time.sleep(0.005)

    sold = client.post(
        "/api/v1/inventory/TRA-42/adjust", headers=OPS, json={"delta": -5, "reason": "sold out"}
    ).json()["position"]
    client.container.machinery.runner.wait_for("product_documents", sold, 5)  # type: ignore[attr-defined]
    started = time.monotonic()
    while client.get("/api/v1/products", params=query).json()["total"] != 0:
        assert time.monotonic() - started < 0.5, "a sold-out product stayed in a cached listing"
        time.sleep(0.005)
    assert first["total"] == 1


def test_a_sale_keeps_the_cached_listings_of_other_products(client: TestClient):
    create(client, name="Alpha", category="shoes/running")
    last = create(client, name="Bravo", category="bags")
    client.get("/api/v1/products", params={"min_position": last["position"]})
    pages = client.container.product_pages  # type: ignore[attr-defined]
    shoes = client.get("/api/v1/products?category=shoes").json()
    client.get("/api/v1/products?category=bags")

    sold = client.post(
        "/api/v1/inventory/ALP-42/adjust", headers=OPS, json={"delta": -1, "reason": "sold"}
    ).json()["position"]
    client.container.machinery.runner.wait_for("product_documents", sold, 5)  # type: ignore[attr-defined]
    started = time.monotonic()
    while pages.listing(b"category=shoes") is not None:
        assert time.monotonic() - started < 0.5, "a listing showing the product outlived the sale"
        time.sleep(0.005)

    assert pages.listing(b"category=bags") is not None  # Bravo's listing did not change
    now = client.get("/api/v1/products?category=shoes").json()
    assert shoes["products"][0]["variants"][0]["available"] == 5
    assert now["products"][0]["variants"][0]["available"] == 4


def test_browse_lists_the_product_pages_and_follows_their_changes(client: TestClient):
    written = create(client)
    pid = written["product_id"]
    url = f"/api/v1/products/{pid}"
    page = client.get(url, params={"min_position": written["position"]}).json()
    assert client.get(url).json() == page  # the page is now cached, ready for listings

    assert client.get("/api/v1/products", params={"sort": "name"}).json()["products"] == [page]

    position = client.patch(url, headers=OPS, json={"price": 55}).json()["position"]
    client.container.machinery.runner.wait_for("product_documents", position, 5)  # type: ignore[attr-defined]
    started = time.monotonic()
    while (
        client.get("/api/v1/products", params={"sort": "price_asc"}).json()["products"][0]["price"]
        != 55
    ):
        assert time.monotonic() - started < 0.5, "a listing reused a page the change evicted"
        time.sleep(0.005)
    listed = client.get("/api/v1/products", params={"min_position": position}).json()
    assert listed["products"] == [client.get(url).json()]
    assert listed["total"] == 1
