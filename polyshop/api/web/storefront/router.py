"""Every storefront route, for the app to include once. Pages are not in the OpenAPI
document: it describes the JSON API."""

from __future__ import annotations

from fastapi import APIRouter

from polyshop.api.web.storefront import assets, catalog_pages

router = APIRouter(include_in_schema=False)
router.include_router(assets.router)
router.include_router(catalog_pages.router)
