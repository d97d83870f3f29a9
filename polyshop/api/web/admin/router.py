"""Every admin route, for the app to include once: one line per page group."""

from __future__ import annotations

from fastapi import APIRouter

from polyshop.api.web.admin import (
    catalog_list,
    customer_pages,
    dashboard,
    import_pages,
    inventory_pages,
    operations,
    order_detail,
    order_list,
    product_images,
    product_pages,
    signin,
)

router = APIRouter(include_in_schema=False)
router.include_router(signin.router)
router.include_router(dashboard.router)
router.include_router(operations.router)
router.include_router(order_list.router)
router.include_router(order_detail.router)
router.include_router(inventory_pages.router)
router.include_router(catalog_list.router)
router.include_router(import_pages.router)  # ahead of product_pages: /import is no product id
router.include_router(product_pages.router)
router.include_router(product_images.router)
router.include_router(customer_pages.router)
