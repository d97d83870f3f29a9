"""The caller's own cart: every route acts on the cart of the presented session only.

Served as ready JSON bytes (priced and possibly cached by `cart.service`), documented by
`CartOut`. Each route makes one trip to a worker thread that resolves the session and does
the cart work together: thread hops, not the stores, dominate a cart call's cost.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from fastapi.concurrency import run_in_threadpool

from polyshop.api.rest.dependencies import ContainerDep, TokenDep, resolve_session
from polyshop.api.rest.models.cart import AddItemIn, CartOut, QuantityIn
from polyshop.api.rest.openapi import JSON_BODY, problems
from polyshop.api.rest.problems import Problem
from polyshop.api.rest.route_errors import translating
from polyshop.api.rest.routes import cart_errors
from polyshop.container import Container

router = APIRouter(
    prefix="/api/v1/cart", tags=["cart"], route_class=translating(cart_errors.problem_of)
)

_CART: dict[int | str, dict[str, Any]] = {
    200: {"model": CartOut, "description": "The cart, priced now."}
}
_NOT_IN_CART = (404, "The cart has no line with this SKU.")
_SKU = Annotated[str, Path(description="The line's SKU (as in the cart's `items`).")]


def _cart(body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, media_type="application/json")


def _not_in_cart(sku: str) -> Problem:
    return Problem(404, f"SKU {sku!r} is not in the cart.", slug="not-in-cart")


def _owner(container: Container, token: str) -> str:
    return resolve_session(container, token).cart_owner


@router.get("", responses={**_CART, **problems(401, 503)})
async def get_cart(token: TokenDep, container: ContainerDep) -> Response:
    """Lines with today's prices, subtotals, availability and a total in `Decimal`."""

    def view() -> bytes:
        return container.carts.view(_owner(container, token))

    return _cart(await run_in_threadpool(view))


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=problems(401, 503))
async def clear_cart(token: TokenDep, container: ContainerDep) -> Response:
    """Empty the cart."""

    def clear() -> None:
        container.carts.clear(_owner(container, token))

    await run_in_threadpool(clear)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/items",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"model": CartOut, "description": "The cart with the line added, priced now."},
        **problems(
            *JSON_BODY[:3],
            401,
            (409, "More than are available (`available` says how many are)."),
            (422, "An input breaks a rule (`errors` names it): a SKU or product the shop does "
             "not sell, a product with several variants, a SKU not of the given product, "
             "more than 99 of one SKU, or a cart already holding the most lines allowed."),
            503,
        ),
    },
)  # fmt: skip
async def add_item(body: AddItemIn, token: TokenDep, container: ContainerDep) -> Response:
    """Add units of a SKU (or of a product's only variant); quantities add up, to 99."""

    def add() -> bytes:
        return container.carts.add(
            _owner(container, token), body.quantity, sku=body.sku, product_id=body.product_id
        )

    return _cart(await run_in_threadpool(add), status.HTTP_201_CREATED)


@router.patch(
    "/items/{sku}",
    responses={
        **_CART,
        **problems(
            *JSON_BODY,
            401,
            _NOT_IN_CART,
            (409, "More than are available (`available` says how many are)."),
            503,
        ),
    },
)
async def set_quantity(
    sku: _SKU, body: QuantityIn, token: TokenDep, container: ContainerDep
) -> Response:
    """Set a line's quantity."""

    def change() -> bytes | None:
        return container.carts.set_quantity(_owner(container, token), sku, body.quantity)

    cart = await run_in_threadpool(change)
    if cart is None:
        raise _not_in_cart(sku)
    return _cart(cart)


@router.delete("/items/{sku}", responses={**_CART, **problems(401, _NOT_IN_CART, 503)})
async def remove_item(sku: _SKU, token: TokenDep, container: ContainerDep) -> Response:
    """Remove a line."""

    def remove() -> bytes | None:
        owner = _owner(container, token)
        return container.carts.view(owner) if container.carts.remove(owner, sku) else None

    cart = await run_in_threadpool(remove)
    if cart is None:
        raise _not_in_cart(sku)
    return _cart(cart)
