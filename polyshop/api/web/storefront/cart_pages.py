"""The cart page and its forms: add (from a product page), change a quantity, remove.

The cart's own JSON (`cart.views`) says everything the page shows: lines priced now, what
each cost when added (`price_changed`), what is short or gone (`notice`). A refused add
(unknown SKU, not enough stock, a full cart) answers the cart page with the reason, never
a 500; a cart store that is down answers a 503 page.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from polyshop.api.rest.routes.accounts import set_session_cookie
from polyshop.api.web.storefront.forms import FormDep, text
from polyshop.api.web.storefront.pages import Visitor, storefront_of
from polyshop.api.web.storefront.urls import product_url
from polyshop.api.web.storefront.visits import local_path, see_other, unavailable, with_session
from polyshop.cart.domain import CartError, CartFull, NotEnoughStock, NotForSale, QuantityLimit
from polyshop.catalog.domain import CatalogError
from polyshop.ttlstore.errors import StoreUnavailable

router = APIRouter()

_REFUSALS = (CartError, CartFull, NotEnoughStock, NotForSale, QuantityLimit, CatalogError)


def cart_of(request: Request, visitor: Visitor) -> dict[str, Any]:
    """The visitor's priced cart, each line with its product page's URL."""
    if visitor.cart_owner is None:
        return {"items": [], "total": 0, "currency": "USD", "item_count": 0}
    cart: dict[str, Any] = orjson.loads(
        storefront_of(request).container.carts.view(visitor.cart_owner)
    )
    for item in cart["items"]:
        item["url"] = product_url(item["product_id"], item["name"] or "item")
    return cart


def render_cart(
    request: Request, visitor: Visitor, status: int = 200, **notices: Any
) -> HTMLResponse:
    cart = cart_of(request, visitor)
    return storefront_of(request).render(
        request,
        "cart.html",
        status,
        visitor=visitor,
        cart=cart,
        blocked=any(
            not item["purchasable"] or item["available"] < item["quantity"]
            for item in cart["items"]
        ),
        error=notices.get("error"),
        back=notices.get("back"),
    )


@router.get("/cart")
def cart_page(request: Request) -> Response:
    storefront = storefront_of(request)
    try:
        return render_cart(request, storefront.visitor(request))
    except StoreUnavailable:
        return unavailable(request, "cart")


@router.post("/cart/items")
def add_to_cart(request: Request, form: FormDep) -> Response:
    """Add `quantity` of `sku`, starting a guest session for a first visit, then back to
    `next` (a path on this site) or the cart."""
    storefront = storefront_of(request)
    back = local_path(text(form, "next", 500), "/cart")
    try:
        visitor, issued = with_session(request, storefront.visitor(request))
        quantity = _quantity(text(form, "quantity", 10) or "1")
        storefront.container.carts.add(
            visitor.cart_owner or "", quantity, sku=text(form, "sku", 100)
        )
    except StoreUnavailable:
        return unavailable(request, "cart")
    except _REFUSALS as exc:
        response = _refused(request, visitor, exc, back)
        if issued is not None:
            set_session_cookie(request, response, issued)
        return response
    return see_other(back, issued, request)


@router.post("/cart/items/{sku}")
def change_line(sku: str, request: Request, form: FormDep) -> Response:
    """`action=remove`, or `action=update` with the new `quantity` (0 removes)."""
    storefront = storefront_of(request)
    carts = storefront.container.carts
    try:
        visitor = storefront.visitor(request)
        if visitor.cart_owner is None:
            return see_other("/cart")
        quantity = (
            0 if text(form, "action", 20) == "remove" else _quantity(text(form, "quantity", 10))
        )
        if quantity == 0:
            carts.remove(visitor.cart_owner, sku)
        else:
            carts.set_quantity(visitor.cart_owner, sku, quantity)
    except StoreUnavailable:
        return unavailable(request, "cart")
    except _REFUSALS as exc:
        return _refused(request, visitor, exc, None)
    return see_other("/cart")


def _quantity(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise CartError("quantity", "Enter a whole number of items.") from None
    if value < 0:
        raise CartError("quantity", "Enter a quantity of 0 or more.")
    return value


def _refused(request: Request, visitor: Visitor, exc: Exception, back: str | None) -> HTMLResponse:
    status = 409 if isinstance(exc, (NotEnoughStock, CartFull, QuantityLimit)) else 422
    message = f"The {exc.field} {exc}" if isinstance(exc, CartError) else str(exc)
    message = message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
    return render_cart(request, visitor, status, error=message, back=back)
