"""The catalog's pages as a shopper's browser sees them, on both databases: home, categories
with facets and pages, search, product pages with their markup for search engines, sitemaps,
robots.txt, HTML error pages, and the anonymous page cache following changes."""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from tests.e2e.shoppers import register

OPS = {"Authorization": "Bearer test-ops-token"}
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def create(client: TestClient, name: str, **overrides) -> dict:
    sku = re.sub(r"[^A-Z0-9]", "", name.upper())[:10]
    body = {
        "name": name,
        "description": f"{name}, for the shop's pages.",
        "brand": "Acme",
        "category": "shoes/running",
        "price": 50,
        "variants": [
            {"sku": f"{sku}-1", "size": "42", "color": "red", "stock": 3},
            {"sku": f"{sku}-2", "size": "43", "price_adjustment": 5, "stock": 0},
        ],
        **overrides,
    }
    response = client.post("/api/v1/products", json=body, headers=OPS)
    assert response.status_code == 201, response.text
    client.cookies.clear()
    return response.json()


def caught_up(client: TestClient, position: int) -> None:
    client.container.machinery.runner.wait_for("product_documents", position, 5)  # type: ignore[attr-defined]
    search = client.container.search_service.read_model  # type: ignore[attr-defined]
    client.container.machinery.runner.wait_for(search, position, 5)  # type: ignore[attr-defined]


def page(client: TestClient, url: str, status: int = 200) -> str:
    response = client.get(url, headers=HTML, follow_redirects=False)
    client.cookies.clear()
    assert response.status_code == status, response.text
    return response.text


class Parsed(HTMLParser):
    """Elements as (tag, attributes) and the page's visible text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._script: dict[str, str | None] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self.scripts.append((self._script, data))
        else:
            self.text.append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    def json_ld(self, kind: str) -> dict:
        found = [json.loads(s) for a, s in self.scripts if a.get("type") == "application/ld+json"]
        return next(d for d in found if d["@type"] == kind)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


def links(text: str) -> list[str]:
    return [a["href"] or "" for a in Parsed(text).all("a")]


def test_home_lists_categories_and_products(client: TestClient):
    create(client, "Trail Runner")
    written = create(client, "Desk Lamp", category="home/lamps", brand="Lumo")
    caught_up(client, written["position"])

    home = Parsed(page(client, "/"))

    hrefs = [a["href"] for a in home.all("a")]
    assert "/c/shoes" in hrefs
    assert "/c/home" in hrefs
    assert any(h and h.startswith(f"/p/{written['product_id']}/desk-lamp") for h in hrefs)
    assert "Trending now" in home.visible
    assert "New in" in home.visible
    assert "Trail Runner" in home.visible


def test_a_category_filters_by_brand_and_counts(client: TestClient):
    create(client, "Road Runner", brand="Fleet", price=120)
    create(client, "Hill Runner", brand="Acme", price=30)
    written = create(client, "Lamp Shade", category="home/lamps")
    caught_up(client, written["position"])

    shoes = page(client, "/c/shoes")
    parsed = Parsed(shoes)
    assert "Road Runner" in parsed.visible
    assert "Hill Runner" in parsed.visible
    assert "Lamp Shade" not in parsed.visible
    assert "Fleet (1)" in parsed.visible
    assert "Acme (1)" in parsed.visible
    assert "/c/shoes/running" in links(shoes)  # the categories below
    trail = parsed.json_ld("BreadcrumbList")["itemListElement"]
    assert [item["name"] for item in trail] == ["Home", "Shoes"]

    fleet = Parsed(page(client, "/c/shoes?brand=Fleet"))
    assert "Road Runner" in fleet.visible
    assert "Hill Runner" not in fleet.visible
    cheap = Parsed(page(client, "/c/shoes?min_price=25&max_price=49.99"))
    assert "Hill Runner" in cheap.visible
    assert "Road Runner" not in cheap.visible
    page(client, "/c/no-such-thing", 404)


def test_a_category_is_paged_with_prev_and_next(client: TestClient):
    position = 0
    for i in range(26):
        position = create(client, f"Sock {i:02d}", category="socks")["position"]
    caught_up(client, position)

    first = Parsed(page(client, "/c/socks?sort=name"))
    second = Parsed(page(client, "/c/socks?sort=name&page=2"))

    assert first.all("a", rel="next")[0]["href"] == "/c/socks?sort=name&page=2"
    assert not first.all("a", rel="prev")
    assert second.all("a", rel="prev")[0]["href"] == "/c/socks?sort=name"
    assert "Sock 00" in first.visible
    assert "Sock 25" not in first.visible
    assert "Sock 25" in second.visible
    assert "Sock 00" not in second.visible
    assert "26 products" in first.visible


def test_search_shows_the_typo_it_corrected_and_offers_the_exact_words(client: TestClient):
    written = create(client, "Waterproof Jacket", category="clothing/jackets")
    caught_up(client, written["position"])

    found = Parsed(page(client, "/search?q=waterprof+jacket"))
    exact_url = found.all("a", href="/search?q=waterprof+jacket&exact=1")
    exact = Parsed(page(client, "/search?q=waterprof+jacket&exact=1"))
    nothing = Parsed(page(client, "/search?q=zzzzqqq"))

    assert "Waterproof Jacket" in found.visible
    assert "Showing results for waterproof jacket" in found.visible
    assert "Search instead for waterprof jacket" in found.visible
    assert exact_url  # the link to the words as typed
    assert found.all("input", name="q")[0]["value"] == "waterprof jacket"
    assert "Showing results for" not in exact.visible
    assert "Waterproof Jacket" not in exact.visible
    assert "No products match" in nothing.visible


def test_the_suggestions_the_search_box_asks_for(client: TestClient):
    written = create(client, "Kettle Classic", category="home/kitchen")
    caught_up(client, written["position"])

    home = Parsed(page(client, "/"))
    form = home.all("form", role="search")[0]
    answer = client.get(f"{form['data-suggest']}?q=kett&limit=6").json()

    assert answer == {"suggestions": ["Kettle Classic"]}
    assert home.all("label", **{"for": "q"})  # the box has a label


def test_a_product_page_shows_variants_gallery_and_structured_data(client: TestClient):
    written = create(client, "Trail Runner", images=["https://img.example/1.jpg"])
    caught_up(client, written["position"])
    url = f"/p/{written['product_id']}/trail-runner"

    text = page(client, url)
    parsed = Parsed(text)

    radios = parsed.all("input", type="radio", name="sku")
    assert [r["value"] for r in radios] == ["TRAILRUNNE-1", "TRAILRUNNE-2"]
    assert "disabled" in radios[1]
    assert "disabled" not in radios[0]
    assert "Only 3 left" in parsed.visible
    assert "Out of stock" in parsed.visible
    form = parsed.all("form", action="/cart/items")[0]
    assert form["method"] == "post"
    assert parsed.all("input", name="quantity")
    assert parsed.all("input", name="csrf")
    assert parsed.all("img", alt="Trail Runner")[0]["fetchpriority"] == "high"
    product = parsed.json_ld("Product")
    assert product["name"] == "Trail Runner"
    assert product["brand"]["name"] == "Acme"
    assert [(o["price"], o["priceCurrency"]) for o in product["offers"]] == [
        ("50.00", "USD"),
        ("55.00", "USD"),
    ]
    assert product["offers"][1]["availability"] == "https://schema.org/OutOfStock"
    canonical = parsed.all("link", rel="canonical")[0]["href"]
    assert canonical == f"http://testserver{url}"
    assert parsed.all("meta", property="og:title")[0]["content"] == "Trail Runner"
    assert parsed.all("meta", name="twitter:card")


def test_a_gallery_of_uploads_has_sources_per_format_and_sizes(client: TestClient):
    written = create(client, "Photo Frame", category="home/frames")
    product_id = written["product_id"]
    image = client.post(
        f"/api/v1/products/{product_id}/images",
        headers=OPS,
        files={"file": ("frame.png", _png(), "image/png")},
        data={"alt": "A wooden frame"},
    )
    assert image.status_code in (200, 201), image.text
    caught_up(client, client.container.machinery.store.head())  # type: ignore[attr-defined]

    parsed = Parsed(page(client, f"/p/{product_id}/photo-frame"))

    sources = parsed.all("source")
    assert {s["type"] for s in sources} == {"image/avif", "image/webp"}
    assert all(s["srcset"] and s["sizes"] for s in sources)
    main = parsed.all("img", alt="A wooden frame")[0]
    assert int(main["width"] or 0) > 0
    assert int(main["height"] or 0) > 0
    assert main["srcset"]
    assert main["loading"] == "eager"


def test_a_wrong_slug_moves_to_the_canonical_url_and_an_unknown_id_is_a_404_page(
    client: TestClient,
):
    written = create(client, "Trail Runner")
    caught_up(client, written["position"])
    product_id = written["product_id"]

    moved = client.get(f"/p/{product_id}/old-name", headers=HTML, follow_redirects=False)
    bare = client.get(f"/p/{product_id}", headers=HTML, follow_redirects=False)
    missing = client.get("/p/00000000-0000-4000-8000-000000000000/x", headers=HTML)

    assert moved.status_code == 301
    assert moved.headers["location"] == f"/p/{product_id}/trail-runner"
    assert bare.status_code == 301
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "Product not found" in missing.text


def test_sitemaps_list_every_product_and_robots_points_at_them(client: TestClient):
    first = create(client, "Trail Runner")
    written = create(client, "Desk Lamp", category="home/lamps")
    caught_up(client, written["position"])

    index = ET.fromstring(client.get("/sitemap.xml").content)
    locs = [e.text for e in index.iter(f"{SM}loc")]
    products = ET.fromstring(client.get("/sitemaps/products-1.xml").content)
    urls = [e.text for e in products.iter(f"{SM}loc")]
    categories = ET.fromstring(client.get("/sitemaps/categories.xml").content)
    robots = client.get("/robots.txt").text

    assert index.tag == f"{SM}sitemapindex"
    assert "http://testserver/sitemaps/products-1.xml" in locs
    assert sorted(urls) == sorted(
        [
            f"http://testserver/p/{first['product_id']}/trail-runner",
            f"http://testserver/p/{written['product_id']}/desk-lamp",
        ]
    )
    assert "http://testserver/c/home/lamps" in [e.text for e in categories.iter(f"{SM}loc")]
    assert client.get("/sitemaps/products-2.xml", headers=HTML).status_code == 404
    for rule in ("Disallow: /cart", "Disallow: /checkout", "Disallow: /account"):
        assert rule in robots.splitlines()
    assert "Disallow: /api/" in robots
    assert "Sitemap: http://testserver/sitemap.xml" in robots


def test_browsers_get_an_html_404_and_the_api_keeps_json(client: TestClient):
    browser = client.get("/no/such/page", headers=HTML)
    api = client.get("/api/v1/no-such-thing", headers=HTML)
    plain = client.get("/no/such/page", headers={"Accept": "application/json"})
    wrong_method = client.get("/robots.txt", headers=HTML)
    posted = client.post("/robots.txt", headers=HTML)

    assert browser.status_code == 404
    assert browser.headers["content-type"].startswith("text/html")
    assert "Page not found" in browser.text
    assert "Content-Security-Policy" in browser.headers
    assert api.headers["content-type"] == "application/problem+json"
    assert plain.headers["content-type"] == "application/problem+json"
    assert wrong_method.status_code == 200
    assert posted.status_code == 405  # a POST is not a page to show: the problem stays
    assert posted.headers["content-type"] == "application/problem+json"


def test_the_cached_anonymous_page_follows_a_price_change(client: TestClient):
    written = create(client, "Trail Runner")
    caught_up(client, written["position"])
    url = f"/p/{written['product_id']}/trail-runner"
    pages = client.container.product_pages  # type: ignore[attr-defined]
    first = page(client, url)
    assert "$50.00" in first
    assert _tokenless(page(client, url)) == _tokenless(first)
    kept = pages.listing(b"view\x00http://testserver" + url.encode())
    assert kept is not None
    assert b"$50.00" in kept

    changed = client.patch(
        f"/api/v1/products/{written['product_id']}", headers=OPS, json={"price": 42}
    )
    caught_up(client, changed.json()["position"])
    started = time.monotonic()
    while "$42.00" not in page(client, url):
        assert time.monotonic() - started < 0.5, "a cached page outlived the price change"
        time.sleep(0.005)
    assert "$50.00" not in page(client, url)


def test_a_visitor_with_a_session_gets_a_page_of_their_own(client: TestClient):
    written = create(client, "Trail Runner")
    caught_up(client, written["position"])
    url = f"/p/{written['product_id']}/trail-runner"
    anonymous = page(client, url)  # now kept for visitors without a session
    shopper = register(client, "ann@example.com")
    added = shopper.post("/api/v1/cart/items", json={"sku": "TRAILRUNNE-1", "quantity": 2})
    assert added.status_code in (200, 201), added.text

    own = Parsed(shopper.get(url, headers=HTML).text)

    assert "Sign in" not in own.visible
    assert "Cart 2 items" in own.visible
    assert "Sign in" in Parsed(page(client, url)).visible  # the kept page is unchanged
    assert "Sign in" in Parsed(anonymous).visible


def test_every_page_has_a_csp_and_escapes_catalog_text(client: TestClient):
    evil = "<script>alert(1)</script>"
    written = create(client, evil, brand=evil, category="tricks", description="A tricky widget")
    caught_up(client, written["position"])
    product = f"/p/{written['product_id']}/script-alert-1-script"

    for url in ("/", "/c/tricks", product, "/search?q=tricky"):
        response = client.get(url, headers=HTML)
        client.cookies.clear()
        assert response.status_code == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert evil not in response.text, url
        assert re.search(r"&lt;script&gt;alert\(1\)&lt;/script&gt;", response.text), url


def _tokenless(text: str) -> str:
    return re.sub(r'name="csrf" value="[^"]*"', "", text)


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (800, 600), (120, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()
