"""A customer's orders (history, paginated) and one order's page: lines, totals, address,
payments, a status timeline from its events, and a cancel button while that is allowed.
The same page serves a guest through their link (`/orders/{id}?key=...`) or the session
that placed it. An order the visitor may not see is the 404 page.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from polyshop.accounts.domain import Viewer
from polyshop.api.web.storefront.forms import FormDep, ascii_int, text
from polyshop.api.web.storefront.order_access import events_for, order_for, order_url
from polyshop.api.web.storefront.pages import Visitor, storefront_of
from polyshop.api.web.storefront.visits import not_found, see_other
from polyshop.eventstore.events import RecordedEvent
from polyshop.orders import domain
from polyshop.orders.domain import InvalidTransition
from polyshop.orders.errors import OrderChanged, OrderNotFound
from polyshop.orders.service import OrderFilter

router = APIRouter()

PER_PAGE = 10
#: What each event means on the timeline; events not named here are not shown.
MILESTONES = {
    domain.ORDER_PLACED: "Placed",
    domain.ORDER_PAID: "Paid",
    domain.PAYMENT_FAILED: "Payment failed",
    domain.ORDER_SHIPPED: "Shipped",
    domain.ORDER_DELIVERED: "Delivered",
    domain.ORDER_CANCELLED: "Cancelled",
    domain.ORDER_REFUNDED: "Refunded",
    domain.PAYMENT_REFUND_DUE: "Refund due",
    domain.ORDER_CLAIMED: "Added to your account",
}
CANCELLABLE = {domain.Status.PENDING_PAYMENT.value, domain.Status.PAID.value}


@router.get("/account/orders")
def orders_page(request: Request, page: str = "1") -> Response:
    storefront = storefront_of(request)
    visitor = storefront.visitor(request)
    if visitor.user is None:
        return see_other("/signin?next=/account/orders")
    asked = ascii_int(page, 5)
    number = max(1, min(asked, 10_000)) if asked is not None else 1
    documents, total = storefront.container.orders.list_orders(
        Viewer(visitor.user.id, is_admin=False),
        OrderFilter(),
        limit=PER_PAGE,
        offset=(number - 1) * PER_PAGE,
    )
    return storefront.render(
        request,
        "orders.html",
        visitor=visitor,
        orders=documents,
        page=number,
        pages=max(1, math.ceil(total / PER_PAGE)),
        total=total,
    )


@router.get("/account/orders/{order_id}")
def account_order(order_id: str, request: Request) -> Response:
    visitor = storefront_of(request).visitor(request)
    if visitor.user is None:
        return see_other(f"/signin?next=/account/orders/{order_id}")
    return _order_page(request, visitor, order_id, None)


@router.get("/orders/{order_id}")
def guest_order(order_id: str, request: Request, key: str = "") -> Response:
    visitor = storefront_of(request).visitor(request)
    return _order_page(request, visitor, order_id, key[:200] or None)


@router.post("/orders/{order_id}/cancel")
def cancel(order_id: str, request: Request, form: FormDep) -> Response:
    storefront = storefront_of(request)
    visitor = storefront.visitor(request)
    key = text(form, "key", 200) or None
    orders = storefront.container.orders
    try:
        if visitor.user is not None and not key:
            orders.cancel(Viewer(visitor.user.id, is_admin=False), order_id)
        else:
            orders.cancel_guest_order(order_id, access_key=key, cart_owner=visitor.cart_owner)
    except OrderNotFound:
        return not_found(request)
    except (InvalidTransition, OrderChanged):
        return storefront.render(
            request,
            "message.html",
            409,
            title="The order was not cancelled",
            message="This order can no longer be cancelled.",
        )
    return see_other(order_url(visitor, order_id, key))


def _order_page(request: Request, visitor: Visitor, order_id: str, key: str | None) -> Response:
    container = storefront_of(request).container
    order = order_for(container, visitor, order_id, key)
    if order is None:
        return not_found(request)
    events = events_for(container, visitor, order_id, key)
    return storefront_of(request).render(
        request,
        "order.html",
        visitor=visitor,
        order=order,
        key=key or "",
        timeline=timeline(events),
        cancellable=order["status"] in CANCELLABLE,
        pay_url=_pay_url(container, order, key),
    )


def timeline(events: list[RecordedEvent]) -> list[dict[str, Any]]:
    """The order's story from its events, oldest first, each with its time."""
    return [
        {"label": MILESTONES[e.type], "at": e.recorded_at, "data": e.data}
        for e in events
        if e.type in MILESTONES
    ]


def _pay_url(container: Any, order: dict[str, Any], key: str | None) -> str | None:
    if order["status"] != domain.Status.PENDING_PAYMENT.value:
        return None
    if not container.settings.test_payments_on:
        return None
    return f"/test-payments/{order['order_id']}" + (f"?key={quote(key, safe='')}" if key else "")
