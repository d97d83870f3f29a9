"""Links between operations (OpenAPI link objects): what a client can do next with what an
answer gave it. A generated client follows them; schemathesis walks them in its stateful
phase (create a product, then read, change, stock, buy and pay for it).

Reads that follow a write pass its `position` as `min_position`: read models follow the log
a moment behind, and a link must lead to the product or order just written, not to a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Link:
    """From `source`'s `status` answer to `target` (operation ids: route function names),
    with `parameters` and `body` as OpenAPI runtime expressions."""

    source: str
    status: int
    target: str
    description: str
    parameters: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None

    def attach(self, operations: dict[str, dict[str, Any]]) -> None:
        response = operations[self.source]["responses"][str(self.status)]
        link: dict[str, Any] = {"operationId": self.target, "description": self.description}
        if self.parameters:
            link["parameters"] = self.parameters
        if self.body is not None:
            link["requestBody"] = self.body
        name = "".join(word.title() for word in self.target.split("_"))  # GetOrder
        response.setdefault("links", {})[name] = link


def _written(body_pointer: str) -> dict[str, str]:
    """The parameters of a read that must see the write that answered `body_pointer`."""
    return {"min_position": "$response.body#/position", **_path(body_pointer)}


def _path(body_pointer: str) -> dict[str, str]:
    name = body_pointer.rsplit("/", 1)[-1]
    return {name: f"$response.body#{body_pointer}"}


_PRODUCT = "/product_id"
_SKU = {"sku": "$request.body#/variants/0/sku"}
_ORDER = "/order_id"

LINKS: tuple[Link, ...] = (
    Link("create_product", 201, "get_product_document", "The new product's page.",
         _written(_PRODUCT)),
    Link("create_product", 201, "update_product", "Change the new product.", _path(_PRODUCT)),
    Link("create_product", 201, "discontinue_product", "Discontinue it.", _path(_PRODUCT)),
    Link("create_product", 201, "recommendations", "What to show beside it.", _path(_PRODUCT)),
    Link("create_product", 201, "product_series", "Its views and sales.", _path(_PRODUCT)),
    Link("create_product", 201, "product_funnel", "Its funnel.", _path(_PRODUCT)),
    Link("create_product", 201, "get_stock", "The first variant's stock.", _SKU),
    Link("create_product", 201, "adjust_stock", "Stock the first variant.", _SKU),
    Link("create_product", 201, "add_item", "Put one of the first variant in the cart.",
         body={**_SKU, "quantity": 1}),
    Link("update_product", 200, "get_product_document", "The changed product's page.",
         _written(_PRODUCT)),
    Link("discontinue_product", 200, "get_product_document", "The discontinued product.",
         _written(_PRODUCT)),
    Link("adjust_stock", 200, "get_stock", "The stock as adjusted.",
         {"sku": "$response.body#/sku"}),
    Link("register", 201, "login", "Log in again with the same account.",
         body={"email": "$request.body#/email", "password": "$request.body#/password"}),
    Link("add_item", 201, "set_quantity", "Change the line's quantity.",
         {"sku": "$response.body#/items/0/sku"}),
    Link("add_item", 201, "remove_item", "Remove the line.",
         {"sku": "$response.body#/items/0/sku"}),
    Link("place_order", 201, "get_order", "The order just placed.", _written(_ORDER)),
    Link("place_order", 201, "order_events", "Its audit trail.", _path(_ORDER)),
    Link("place_order", 201, "cancel_order", "Cancel it.", _path(_ORDER)),
    Link("place_order", 201, "ship_order", "Ship it (once paid).", _path(_ORDER)),
    Link("place_order", 201, "refund_order", "Refund it (once paid).", _path(_ORDER)),
    Link("place_order", 201, "webhook", "The payment provider reports its payment.",
         body={"order_id": "$response.body#/order_id", "amount": "$response.body#/total",
               "status": "succeeded"}),
    Link("cancel_order", 200, "get_order", "The cancelled order.", _written("/order/order_id")),
    Link("ship_order", 200, "deliver_order", "Deliver it.", _path("/order/order_id")),
    Link("ship_order", 200, "get_order", "The shipped order.", _written("/order/order_id")),
    Link("deliver_order", 200, "get_order", "The delivered order.", _written("/order/order_id")),
    Link("refund_order", 200, "get_order", "The refunded order.", _written("/order/order_id")),
)  # fmt: skip
