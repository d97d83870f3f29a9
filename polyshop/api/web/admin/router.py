"""Every admin route, for the app to include once: one line per page group."""

from __future__ import annotations

from fastapi import APIRouter

from polyshop.api.web.admin import (
    dashboard,
    inventory_pages,
    operations,
    order_detail,
    order_list,
    signin,
)

router = APIRouter(include_in_schema=False)
router.include_router(signin.router)
router.include_router(dashboard.router)
router.include_router(operations.router)
router.include_router(order_list.router)
router.include_router(order_detail.router)
router.include_router(inventory_pages.router)
