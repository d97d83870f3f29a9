"""What makes the shop findable: `robots.txt`, and sitemaps in pages (`/sitemap.xml` an
index of `/sitemaps/categories.xml` and `/sitemaps/products-{n}.xml`, each at most
SITEMAP_SIZE URLs, the protocol's limit being 50,000), read from the catalog a page at a
time so a large catalog is never held whole."""

from __future__ import annotations

from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from polyshop.api.web.storefront.catalog_view import absolute, category_path, product_path
from polyshop.api.web.storefront.forms import ascii_int
from polyshop.api.web.storefront.not_found import not_found

router = APIRouter()
SITEMAP_SIZE = 10_000
_XML = "application/xml; charset=utf-8"
_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
_HEADERS = {"Cache-Control": "public, max-age=3600"}
DISALLOWED = ("/cart", "/checkout", "/account", "/api/")


@router.get("/robots.txt")
def robots(request: Request) -> PlainTextResponse:
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {path}" for path in DISALLOWED)]
    lines.append(f"Sitemap: {absolute(request, '/sitemap.xml')}")
    return PlainTextResponse("\n".join(lines) + "\n", headers=_HEADERS)


@router.get("/sitemap.xml")
def sitemap_index(request: Request) -> Response:
    total = sum(_top_counts(request))
    pages = max(1, -(-total // SITEMAP_SIZE))
    urls = [
        "/sitemaps/categories.xml",
        *(f"/sitemaps/products-{n}.xml" for n in range(1, pages + 1)),
    ]
    entries = "".join(
        f"<sitemap><loc>{escape(absolute(request, url))}</loc></sitemap>" for url in urls
    )
    return _xml(f"<sitemapindex {_NS}>{entries}</sitemapindex>")


@router.get("/sitemaps/categories.xml")
def category_sitemap(request: Request) -> Response:
    categories = request.app.state.container.catalog.categories()
    paths = ["/", *(category_path(path) for path in categories)]
    return _xml(_urlset(request, paths))


@router.get("/sitemaps/products-{number}.xml")
def product_sitemap(request: Request, number: str) -> Response:
    page = ascii_int(number, 6)
    if page is None or not 0 < page <= 100_000:
        return not_found(request, "No such sitemap", "This sitemap page does not exist.")
    listed = request.app.state.container.catalog.listed(
        limit=SITEMAP_SIZE, offset=(page - 1) * SITEMAP_SIZE
    )
    if not listed and number != "1":
        return not_found(request, "No such sitemap", "This sitemap page does not exist.")
    return _xml(_urlset(request, [product_path(pid, name) for pid, name in listed]))


def _top_counts(request: Request) -> list[int]:
    """Active products per top-level category: together, every product once."""
    counts = request.app.state.container.catalog.categories()
    return [n for path, n in counts.items() if "/" not in path]


def _urlset(request: Request, paths: list[str]) -> str:
    entries = "".join(f"<url><loc>{escape(absolute(request, p))}</loc></url>" for p in paths)
    return f"<urlset {_NS}>{entries}</urlset>"


def _xml(body: str) -> Response:
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + body, media_type=_XML, headers=_HEADERS
    )
