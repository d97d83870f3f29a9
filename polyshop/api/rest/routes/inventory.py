"""Stock per SKU, for admins: read it, adjust it with a reason (the audit trail)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from polyshop.api.rest.dependencies import AdminDep, ContainerDep
from polyshop.api.rest.models.catalog import AdjustIn, StockOut, StockWritten
from polyshop.api.rest.openapi import JSON_BODY, problems
from polyshop.api.rest.problems import Problem
from polyshop.api.rest.route_errors import translating
from polyshop.inventory.service import InvalidAdjustment, UnknownSku


def inventory_problem(exc: Exception) -> Problem | None:
    """The inventory's errors as problems."""
    match exc:
        case UnknownSku():
            return Problem(404, f"No stock is kept for SKU {exc.sku!r}.", slug="sku-not-found")
        case InvalidAdjustment():
            return Problem(409, str(exc), slug="invalid-adjustment", title="Adjustment refused")
    return None


router = APIRouter(
    prefix="/api/v1/inventory", tags=["inventory"], route_class=translating(inventory_problem)
)

_NO_SKU = (404, "No stock is kept for this SKU.")
Sku = Annotated[str, Path(description="The SKU, in any letter case.", examples=["TEE-RED-M"])]


@router.get("/{sku}", responses=problems(401, 403, _NO_SKU, 503))
def get_stock(sku: Sku, container: ContainerDep, _: AdminDep) -> StockOut:
    """On hand, reserved and available units of one SKU (strongly consistent)."""
    level = container.inventory.get_stock(sku)
    return StockOut(
        sku=level.sku, on_hand=level.on_hand, reserved=level.reserved, available=level.available
    )


@router.post(
    "/{sku}/adjust",
    responses=problems(
        *JSON_BODY,
        401,
        403,
        _NO_SKU,
        (409, "The change would leave fewer units on hand than are reserved, or none."),
        503,
    ),
)
def adjust_stock(
    sku: Sku, body: AdjustIn, container: ContainerDep, admin: AdminDep
) -> StockWritten:
    """Add or remove units on hand, with a reason; never below what is reserved."""
    adjusted = container.inventory.adjust(sku, body.delta, body.reason, actor=admin.actor)
    level = adjusted.level
    return StockWritten(
        sku=level.sku,
        on_hand=level.on_hand,
        reserved=level.reserved,
        available=level.available,
        position=adjusted.position,
    )
