"""Stock per SKU, for admins: read it, adjust it with a reason (the audit trail)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from polyshop.api.rest.dependencies import AdminDep, ContainerDep
from polyshop.api.rest.models.catalog import AdjustIn, StockOut, StockWritten
from polyshop.api.rest.openapi import JSON_BODY, problems
from polyshop.api.rest.problems import Problem
from polyshop.catalog.domain import CatalogError, normalize_sku
from polyshop.inventory import stock

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])

_NO_SKU = (404, "No stock is kept for this SKU.")
Sku = Annotated[str, Path(description="The SKU, in any letter case.", examples=["TEE-RED-M"])]


def _sku(raw: str) -> str:
    try:
        return normalize_sku(raw)
    except CatalogError as exc:
        raise Problem(404, f"No stock is kept for SKU {raw!r}.", slug="sku-not-found") from exc


@router.get("/{sku}", responses=problems(401, 403, _NO_SKU, 503))
def get_stock(sku: Sku, container: ContainerDep, _: AdminDep) -> StockOut:
    """On hand, reserved and available units of one SKU (strongly consistent)."""
    with container.store.read_engine.connect() as connection:
        level = stock.get_stock(connection, _sku(sku))
    if level is None:
        raise Problem(404, f"No stock is kept for SKU {sku!r}.", slug="sku-not-found")
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
def adjust_stock(sku: Sku, body: AdjustIn, container: ContainerDep, _: AdminDep) -> StockWritten:
    """Add or remove units on hand, with a reason; never below what is reserved."""
    code = _sku(sku)
    try:
        with container.store.unit_of_work() as uow:
            level = stock.adjust(uow, code, body.delta, body.reason)
    except stock.UnknownSku as exc:
        raise Problem(404, f"No stock is kept for SKU {sku!r}.", slug="sku-not-found") from exc
    except stock.InvalidAdjustment as exc:
        raise Problem(409, str(exc), slug="invalid-adjustment", title="Adjustment refused") from exc
    return StockWritten(
        sku=level.sku,
        on_hand=level.on_hand,
        reserved=level.reserved,
        available=level.available,
        position=uow.position,
    )
