"""Every storefront route, for the app to include once. Pages are not in the OpenAPI
document: it describes the JSON API."""

from __future__ import annotations

from fastapi import APIRouter

from polyshop.api.web.storefront import assets, catalog_pages
from polyshop.api.web.storefront.account_pages import router as account_pages
from polyshop.api.web.storefront.cart_pages import router as cart_pages
from polyshop.api.web.storefront.checkout_pages import router as checkout_pages
from polyshop.api.web.storefront.order_pages import router as order_pages
from polyshop.api.web.storefront.test_payments import router as test_payments

router = APIRouter(include_in_schema=False)
router.include_router(assets.router)
router.include_router(catalog_pages.router)
router.include_router(cart_pages)
router.include_router(account_pages)
router.include_router(checkout_pages)
router.include_router(order_pages)
router.include_router(test_payments)
