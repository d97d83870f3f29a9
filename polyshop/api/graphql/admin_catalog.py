"""Admin catalog and stock: create, change and discontinue products; read and adjust stock.

The same doors and rules as `POST/PATCH/DELETE /api/v1/products` and `/api/v1/inventory`:
inputs are validated by REST's body models, commands go to the catalog and inventory
services, refusals carry REST's problem facts. Each write answers its log `position`: pass it
as `minPosition` (or REST's `min_position`) to read the change.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from polyshop.api.graphql.admin_access import (
    AdminInfo,
    admin_or_refusal,
    as_admin,
    parsed,
    provided,
    refused_answer,
    require_admin,
)
from polyshop.api.graphql.context import blocking
from polyshop.api.graphql.errors import (
    Conflict,
    NotAllowed,
    NotFound,
    Refused,
    ValidationError,
)
from polyshop.api.rest.models.catalog import AdjustIn, ProductIn, ProductPatch
from polyshop.api.rest.routes.products import new_product, product_changes
from polyshop.inventory.stock import StockLevel


@strawberry.input(description="One sellable variant (a SKU) of a product.")
class VariantInput:
    sku: str = strawberry.field(
        description="Unique in the shop: letters, digits, `.`, `_`, `-`; stored upper-cased."
    )
    size: str | None = strawberry.UNSET
    color: str | None = strawberry.UNSET
    price_adjustment: float | None = strawberry.field(
        default=strawberry.UNSET,
        description="Added to the product's price (may be negative; the price stays >= 0).",
    )
    stock: int | None = strawberry.field(
        default=strawberry.UNSET, description="Units on hand to start with (default 0)."
    )


@strawberry.input(description="A product as REST's POST /api/v1/products takes it.")
class ProductInput:
    name: str
    brand: str
    category: str = strawberry.field(description="A path of up to 6 segments (`clothing/tops`).")
    price: float = strawberry.field(description="The base price, at most two decimals.")
    variants: list[VariantInput]
    description: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    attributes: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description='Free-form facts, an object of strings (`{"material": "cotton"}`).',
    )
    images: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Image URLs (absolute, or paths)."
    )


@strawberry.input(
    description="The fields to change; those left out stay as they are (null is refused)."
)
class ProductPatchInput:
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    brand: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    price: float | None = strawberry.field(
        default=strawberry.UNSET, description="A new base price (recorded as its own event)."
    )
    tags: list[str] | None = strawberry.UNSET
    attributes: JSON | None = strawberry.UNSET
    images: list[str] | None = strawberry.UNSET
    variants: list[VariantInput] | None = strawberry.field(
        default=strawberry.UNSET, description="New variants to add (a SKU that exists is refused)."
    )


@strawberry.type(description="A catalog write: pass `position` as `minPosition` to read it.")
class ProductWritten:
    product_id: strawberry.ID
    position: int


@strawberry.type(description="Units of one SKU, read where stock is changed (not a replica).")
class Stock:
    sku: str
    on_hand: int = strawberry.field(description="Units in the warehouse.")
    reserved: int = strawberry.field(description="Units held by unpaid orders.")
    available: int = strawberry.field(description="On hand less reserved: what can be ordered.")

    @classmethod
    def of(cls, level: StockLevel) -> Stock:
        return cls(
            sku=level.sku, on_hand=level.on_hand, reserved=level.reserved, available=level.available
        )


@strawberry.type(description="Stock after an adjustment, and the log position recording it.")
class StockAdjusted(Stock):
    position: int


CreateProductResult = Annotated[
    ProductWritten | ValidationError | Conflict | NotAllowed | Refused,
    strawberry.union("CreateProductResult"),
]
UpdateProductResult = Annotated[
    ProductWritten | ValidationError | NotFound | Conflict | NotAllowed | Refused,
    strawberry.union("UpdateProductResult"),
]
DiscontinueProductResult = Annotated[
    ProductWritten | NotFound | Conflict | NotAllowed | Refused,
    strawberry.union("DiscontinueProductResult"),
]
AdjustStockResult = Annotated[
    StockAdjusted | ValidationError | NotFound | Conflict | NotAllowed | Refused,
    strawberry.union("AdjustStockResult"),
]


@strawberry.type
class AdminCatalogQuery:
    @strawberry.field(description="Admins: on hand, reserved and available units of a SKU.")
    async def inventory(self, info: AdminInfo, sku: str) -> Stock:
        await require_admin(info)
        level = await blocking(info.context.container.inventory.get_stock, sku)
        return Stock.of(level)


@strawberry.type
class AdminCatalogMutation:
    @strawberry.mutation(description="Admins: a product with its variants and their stock.")
    async def create_product(self, info: AdminInfo, input: ProductInput) -> CreateProductResult:
        checked = await admin_or_refusal(info)
        if isinstance(checked, NotAllowed):
            return checked
        body = parsed(ProductIn, provided(input))
        if isinstance(body, ValidationError):
            return body
        try:
            written = await as_admin(
                checked, info.context.container.catalog.create_product, new_product(body)
            )
        except Exception as exc:  # a refusal REST knows becomes its typed result
            return refused_answer(exc)
        return ProductWritten(
            product_id=strawberry.ID(written.product_id), position=written.position
        )

    @strawberry.mutation(
        description="Admins: change a product's fields (a price change is its own event); "
        "add variants."
    )
    async def update_product(
        self, info: AdminInfo, id: strawberry.ID, input: ProductPatchInput
    ) -> UpdateProductResult:
        checked = await admin_or_refusal(info)
        if isinstance(checked, NotAllowed):
            return checked
        body = parsed(ProductPatch, provided(input))
        if isinstance(body, ValidationError):
            return body
        catalog = info.context.container.catalog
        try:
            written = await as_admin(
                checked, catalog.update_product, str(id), product_changes(body)
            )
        except Exception as exc:
            return refused_answer(exc)
        return ProductWritten(product_id=id, position=written.position)

    @strawberry.mutation(
        description="Admins: the product leaves browse and search; its history stays."
    )
    async def discontinue_product(
        self, info: AdminInfo, id: strawberry.ID
    ) -> DiscontinueProductResult:
        checked = await admin_or_refusal(info)
        if isinstance(checked, NotAllowed):
            return checked
        catalog = info.context.container.catalog
        try:
            written = await as_admin(checked, catalog.discontinue_product, str(id))
        except Exception as exc:
            return refused_answer(exc)
        return ProductWritten(product_id=id, position=written.position)

    @strawberry.mutation(
        description="Admins: add (positive) or remove (negative) units on hand, with a reason "
        "for the stock ledger; never below what is reserved."
    )
    async def adjust_stock(
        self, info: AdminInfo, sku: str, delta: int, reason: str
    ) -> AdjustStockResult:
        checked = await admin_or_refusal(info)
        if isinstance(checked, NotAllowed):
            return checked
        body = parsed(AdjustIn, {"delta": delta, "reason": reason})
        if isinstance(body, ValidationError):
            return body
        inventory = info.context.container.inventory
        try:
            adjusted = await blocking(
                inventory.adjust, sku, body.delta, body.reason, actor=checked.actor
            )
        except Exception as exc:
            return refused_answer(exc)
        level = adjusted.level
        return StockAdjusted(
            sku=level.sku,
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.available,
            position=adjusted.position,
        )
