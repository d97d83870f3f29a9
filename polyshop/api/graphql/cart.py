"""The caller's cart: read it, add, change and remove lines, as REST's cart routes do.

Each call acts on the cart of the presented session only (a guest's or a customer's), and
answers the cart priced now, the same document REST serves.
"""

from __future__ import annotations

from typing import Annotated

import orjson
import strawberry

from polyshop.api.graphql.context import blocking
from polyshop.api.graphql.shopping_checks import Refusal, ShopInfo, answer, checked, session_of
from polyshop.api.graphql.shopping_types import Cart
from polyshop.api.rest.models.cart import AddItemIn, QuantityIn
from polyshop.api.rest.problems import Problem

CartResult = Annotated[
    Cart | Refusal,
    strawberry.union(
        "CartResult", description="The cart after the change, or why nothing changed."
    ),
]


def _cart(body: bytes) -> Cart:
    return Cart.of(orjson.loads(body))


def _not_in_cart(sku: str) -> Problem:
    return Problem(404, f"SKU {sku!r} is not in the cart.", slug="not-in-cart")


async def _owner(info: ShopInfo) -> str:
    return (await session_of(info)).cart_owner


@strawberry.type
class CartQuery:
    @strawberry.field(
        description="The caller's cart, priced now; null with an error without a session."
    )
    async def cart(self, info: ShopInfo) -> Cart | None:
        owner = await _owner(info)
        return _cart(await blocking(info.context.container.carts.view, owner))


@strawberry.type
class CartMutation:
    @strawberry.mutation(
        description="Add units of a SKU (or of a one-variant product); quantities add up, "
        "to 99 of one SKU."
    )
    async def add_to_cart(
        self,
        info: ShopInfo,
        sku: str | None = None,
        product_id: strawberry.ID | None = None,
        quantity: int = 1,
    ) -> CartResult:
        async def add() -> Cart:
            body = checked(
                AddItemIn,
                {"sku": sku, "product_id": product_id, "quantity": quantity},
                whole="sku",  # neither a SKU nor a product: the cart service says "sku" too
            )
            owner = await _owner(info)
            carts = info.context.container.carts
            added = await blocking(
                carts.add, owner, body.quantity, sku=body.sku, product_id=body.product_id
            )
            return _cart(added)

        return await answer(add())

    @strawberry.mutation(description="Set a line's quantity (1..99).")
    async def update_cart_item(self, info: ShopInfo, sku: str, quantity: int) -> CartResult:
        async def change() -> Cart:
            body = checked(QuantityIn, {"quantity": quantity})
            owner = await _owner(info)
            carts = info.context.container.carts
            changed = await blocking(carts.set_quantity, owner, sku, body.quantity)
            if changed is None:
                raise _not_in_cart(sku)
            return _cart(changed)

        return await answer(change())

    @strawberry.mutation(description="Remove a line.")
    async def remove_cart_item(self, info: ShopInfo, sku: str) -> CartResult:
        async def remove() -> Cart:
            owner = await _owner(info)
            carts = info.context.container.carts

            def removed() -> bytes | None:
                return carts.view(owner) if carts.remove(owner, sku) else None

            cart = await blocking(removed)
            if cart is None:
                raise _not_in_cart(sku)
            return _cart(cart)

        return await answer(remove())
