"""Checkout in two steps: the address (a saved one or a new one; a guest adds an email),
then the review, whose form carries an idempotency key made when the page was drawn, so a
double submit places one order (the second answer replays the first). The cart ordered
already is said so, with a link to its order.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from polyshop.accounts.domain import AccountError, Address, normalize_email
from polyshop.api.web.storefront.account_pages import ADDRESS_FIELDS, address_values
from polyshop.api.web.storefront.cart_pages import cart_of, render_cart
from polyshop.api.web.storefront.forms import FormDep, ascii_int, text
from polyshop.api.web.storefront.order_access import order_url
from polyshop.api.web.storefront.pages import Visitor, storefront_of
from polyshop.api.web.storefront.visits import see_other, unavailable
from polyshop.orders.errors import (
    CartAlreadyOrdered,
    EmptyCart,
    InvalidAddress,
    InvalidEmail,
    KeyRequired,
    KeyReused,
    NotOrderable,
    OrderChanged,
    OutOfStock,
    TooLarge,
)
from polyshop.ttlstore.errors import StoreUnavailable

router = APIRouter()

#: The payment method of storefront orders: paid on the provider's page after placing.
PAYMENT_METHOD = "pm_storefront"


@router.get("/checkout")
def checkout_page(request: Request) -> Response:
    visitor = storefront_of(request).visitor(request)
    try:
        cart = cart_of(request, visitor)
    except StoreUnavailable:
        return unavailable(request, "cart")
    if not cart["items"]:
        return see_other("/cart")
    return _step(request, visitor, cart, "address")


@router.post("/checkout")
def review(request: Request, form: FormDep) -> Response:
    """Step 2: the address checked, the order shown with a fresh idempotency key."""
    visitor = storefront_of(request).visitor(request)
    try:
        cart = cart_of(request, visitor)
    except StoreUnavailable:
        return unavailable(request, "cart")
    if not cart["items"]:
        return see_other("/cart")
    values, email = _chosen(visitor, form), text(form, "email", 1000)
    errors = _problems(visitor, values, email)
    if errors:
        return _step(
            request, visitor, cart, "address", 422, values=values, email=email, errors=errors
        )
    return _step(request, visitor, cart, "review", values=values, email=email, key=uuid.uuid4().hex)


#: Where the review page's form places the order (queued like the API's, `CheckoutQueue`).
PLACE_PATH = "/checkout/place"


@router.post(PLACE_PATH)
def place(request: Request, form: FormDep) -> Response:
    storefront = storefront_of(request)
    visitor = storefront.visitor(request)
    if visitor.session is None:
        return see_other("/cart")
    values = address_values(form)
    body: dict[str, Any] = {"shipping_address": values, "payment_method_id": PAYMENT_METHOD}
    if visitor.user is None:
        body["email"] = text(form, "email", 1000)
    try:
        placed = storefront.container.orders.place(
            user_id=visitor.user.id if visitor.user else None,
            cart_owner=visitor.session.cart_owner,
            key=text(form, "key", 200),
            body=body,
        )
    except StoreUnavailable:
        return unavailable(request, "cart")
    except KeyRequired:  # a form without its key (edited, or a stale page): start again
        return see_other("/checkout")
    except OrderChanged:
        return storefront.render(
            request,
            "message.html",
            409,
            visitor=visitor,
            title="Please try again",
            message="Your order was busy changing; nothing was charged. Try once more.",
        )
    except CartAlreadyOrdered as exc:
        return storefront.render(
            request,
            "checkout.html",
            409,
            visitor=visitor,
            step="ordered",
            order_url=order_url(visitor, exc.order_id, None),
        )
    except (OutOfStock, NotOrderable, TooLarge, EmptyCart, KeyReused) as exc:
        return render_cart(request, visitor, 409, error=_cart_refusal(exc))
    except (InvalidAddress, InvalidEmail) as exc:
        field = exc.field if isinstance(exc, InvalidAddress) else "email"
        return _step(
            request,
            visitor,
            cart_of(request, visitor),
            "address",
            422,
            values=values,
            email=body.get("email", ""),
            errors={field: exc.message},
        )
    order = placed.response
    key = order.get("access_key")
    if storefront.container.settings.test_payments_on:
        suffix = f"?key={quote(key, safe='')}" if key else ""
        return see_other(f"/test-payments/{order['order_id']}{suffix}")
    return see_other(order_url(visitor, order["order_id"], key))


def _chosen(visitor: Visitor, form: FormData) -> dict[str, str]:
    """The address picked from the book (`saved` = its index) or the one entered."""
    saved = ascii_int(text(form, "saved", 5), 5)
    if visitor.user is not None and saved is not None and saved < len(visitor.user.addresses):
        return visitor.user.addresses[saved].as_dict()
    return address_values(form)


def _problems(visitor: Visitor, values: dict[str, str], email: str) -> dict[str, str]:
    errors = {}
    try:
        Address(**values)
    except AccountError as exc:
        errors[exc.field] = str(exc)
    if visitor.user is None:
        try:
            normalize_email(email)
        except AccountError as exc:
            errors["email"] = str(exc)
    return errors


def _step(
    request: Request,
    visitor: Visitor,
    cart: dict[str, Any],
    step: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    context = {"values": {}, "email": "", "errors": {}, "key": "", **context}
    return storefront_of(request).render(
        request,
        "checkout.html",
        status,
        visitor=visitor,
        cart=cart,
        step=step,
        fields=ADDRESS_FIELDS,
        saved=visitor.user.addresses if visitor.user else (),
        order_url=None,
        **context,
    )


def _cart_refusal(exc: Exception) -> str:
    if isinstance(exc, OutOfStock):
        return f"Not enough stock for {', '.join(exc.skus)}: change the quantities and try again."
    if isinstance(exc, NotOrderable):
        return f"No longer sold: {', '.join(exc.skus)}. Remove them to check out."
    if isinstance(exc, KeyReused):
        return "Your cart changed while you were checking out: please check out again."
    message = str(exc)
    return message[:1].upper() + message[1:] + "."
