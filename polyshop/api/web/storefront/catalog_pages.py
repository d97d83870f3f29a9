"""The catalog's pages, for `router` to include in one line: home, categories, search,
products, and what crawlers read (robots.txt, sitemaps)."""

from __future__ import annotations

from fastapi import APIRouter

from polyshop.api.web.storefront import home, listing, product_page, search_page, seo

router = APIRouter()
for part in (home, listing, search_page, product_page, seo):
    router.include_router(part.router)
