"""The storefront's canonical URLs, in one place so every page links a product or a category
the same way (and the product page can redirect a wrong slug to the one built here)."""

from __future__ import annotations

from urllib.parse import quote

from polyshop.catalog.slugs import MAX_SLUG, slug

__all__ = ["MAX_SLUG", "category_url", "product_url", "slug"]


def product_url(product_id: str, name: str) -> str:
    """The product page: `/p/{product_id}/{slug}`."""
    return f"/p/{quote(product_id, safe='')}/{slug(name)}"


def category_url(path: str) -> str:
    """A category page: `/c/{path}` (path like `electronics/laptops`)."""
    return "/c/" + quote(path.strip("/"), safe="/")
