"""Product pages: `/p/{product_id}/{slug}`, with the gallery, the variant picker (price and
stock of each), the add-to-cart form (posted to the cart's `/cart/items`), recommendations,
breadcrumbs, and what search engines and link previews read (schema.org Product,
OpenGraph, Twitter cards, the canonical URL). A wrong or missing slug moves for good to the
canonical URL; an unknown product is a 404 page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from polyshop.api.rest.dependencies import presented_token, viewer_of
from polyshop.api.web.storefront import html_cache
from polyshop.api.web.storefront.catalog_view import (
    Crumb,
    absolute,
    breadcrumb_ld,
    cache_key,
    card,
    crumbs,
    page_html,
    product_path,
)
from polyshop.api.web.storefront.not_found import not_found
from polyshop.api.web.storefront.pages import Visitor
from polyshop.catalog import domain

router = APIRouter()
RECOMMENDED = 6
LOW_STOCK = 5
_AVAILABILITY = {True: "https://schema.org/InStock", False: "https://schema.org/OutOfStock"}


@dataclass(frozen=True, slots=True)
class Choice:
    """A variant as the picker shows it."""

    sku: str
    label: str
    price: Decimal
    stock: str
    stock_class: str
    disabled: bool


def choice(variant: dict[str, Any], on_sale: bool) -> Choice:
    parts = [p for p in (variant.get("size"), variant.get("color")) if p]
    available = int(variant["available"])
    if not on_sale or available <= 0:
        stock, css = "Out of stock", "stock-out"
    elif available <= LOW_STOCK:
        stock, css = f"Only {available} left", "stock-low"
    else:
        stock, css = "In stock", "stock-in"
    return Choice(
        variant["sku"],
        " / ".join(parts) or variant["sku"],
        Decimal(str(variant["price"])),
        stock,
        css,
        stock == "Out of stock",
    )


@router.get("/p/{product_id}", response_class=HTMLResponse)
@router.get("/p/{product_id}/{slug}", response_class=HTMLResponse)
async def product_page(request: Request, product_id: str, slug: str = "") -> Response:
    key = cache_key(request, f"/p/{product_id}/{slug}")
    return await html_cache.page(
        request, key, lambda v: _render(request, product_id, slug, v), viewed=product_id
    )


def _render(
    request: Request, product_id: str, slug: str, visitor: Visitor
) -> html_cache.Rendered | Response:
    container = request.app.state.container
    viewer = viewer_of(presented_token(request))
    doc = container.catalog.product_document(product_id.lower())
    if doc is None:
        return not_found(request, "Product not found", "This product is not in the shop.")
    canonical_path = product_path(doc["id"], doc["name"])
    if request.url.path != canonical_path:
        return RedirectResponse(canonical_path, status_code=301)
    on_sale = doc["status"] == domain.ACTIVE
    if on_sale:  # as the JSON page counts views: products on sale only
        container.catalog.viewed(doc["id"], viewer)
    variants = [choice(v, on_sale) for v in doc["variants"]]
    buyable = [v for v in variants if not v.disabled]
    found = container.recommender.recommend(doc["id"], RECOMMENDED) or []
    trail = crumbs(doc["category"], last=Crumb(doc["name"], canonical_path))
    canonical = absolute(request, canonical_path)
    body = page_html(
        request,
        "product.html",
        visitor,
        product=doc,
        gallery=doc["images"],
        variants=variants,
        chosen=buyable[0].sku if buyable else None,
        price=Decimal(doc["price_min"]),
        price_varies=doc["price_min"] != doc["price_max"],
        on_sale=on_sale,
        recommended=[card(r.document) for r in found],
        trail=trail,
        breadcrumbs_ld=breadcrumb_ld(request, trail),
        product_ld=product_ld(doc, canonical),
        canonical=canonical,
        canonical_path=canonical_path,
    )
    shown = [doc, *(r.document for r in found)]
    return html_cache.Rendered(body, shown, keep=on_sale)


def product_ld(doc: dict[str, Any], url: str) -> dict[str, Any]:
    """schema.org `Product`, an `Offer` per variant."""
    on_sale = doc["status"] == domain.ACTIVE
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": doc["name"],
        "description": doc["description"],
        "sku": doc["variants"][0]["sku"] if doc["variants"] else doc["id"],
        "productID": doc["id"],
        "category": doc["category"],
        "brand": {"@type": "Brand", "name": doc["brand"]},
        "image": [image["url"] for image in doc["images"]],
        "url": url,
        "offers": [
            {
                "@type": "Offer",
                "sku": v["sku"],
                "price": str(v["price"]),
                "priceCurrency": doc["currency"],
                "availability": _AVAILABILITY[on_sale and int(v["available"]) > 0],
                "url": url,
            }
            for v in doc["variants"]
        ],
    }
