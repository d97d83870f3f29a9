"""An order for admins (/admin/orders/{id}): lines, payments, addresses, the audit trail,
the time-travel slider, and the lifecycle's actions.

Everything comes from one read of the order's events (`Orders.get_audit`), so the page is
exact the moment after an action. The slider is a GET form over the order's events
(`?at=3`: the order just after its third event; `?as_of=<time>` from a trail line), so it
works without JavaScript; `admin-orders.js` redraws only the "as it was" panel as it moves.
The page offers only the actions the order's state allows now (`Audit.actions`, from the
domain's own rule). Actions post (CSRF-checked, `AdminForm`) through
`Orders.ship/deliver/cancel/refund`; a state that forbids one (`InvalidTransition`: a stale
page can still post) is said on the page, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from polyshop.accounts.domain import Viewer
from polyshop.api.web.admin import order_views
from polyshop.api.web.admin.access import Admin, AdminForm, AdminPage, AdminRefused
from polyshop.api.web.admin.pages import admin_pages
from polyshop.api.web.storefront.forms import ascii_int, text
from polyshop.orders.domain import InvalidTransition
from polyshop.orders.errors import OrderChanged, OrderNotFound
from polyshop.orders.service import Orders, Written
from polyshop.values.clock import in_utc

router = APIRouter(include_in_schema=False)

ORDER_PATH = "/admin/orders/{order_id}"
NO_ORDER = AdminRefused(404, "No such order", "There is no order with this id.")
#: What the page says after each action succeeded (`?done=`).
DONE = {
    "ship": "The order was shipped.",
    "deliver": "The order was marked delivered.",
    "cancel": "The order was cancelled.",
    "refund": "The order was refunded.",
}


#: A slider moment that no UTC time can be (0001-01-01T00:00+05:00 is before year 1).
NO_MOMENT = AdminRefused(
    422,
    "No such moment",
    "That time lies outside the calendar in UTC (years 1 to 9999); pick a moment on the trail.",
)


def _moment(value: str | None) -> datetime | None:
    if not value or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+"))  # a "+" unescaped in a link
    except ValueError:
        return None
    utc = in_utc(moment)
    if utc is None:
        raise NO_MOMENT
    return utc


def render_order(
    request: Request,
    admin: Admin,
    order_id: str,
    *,
    status: int = 200,
    error: str = "",
    notice: str = "",
) -> HTMLResponse:
    """The order page; `error` says why an action was refused, `notice` what one did."""
    pages = admin_pages(request)
    container = pages.storefront.container
    audit = container.orders.get_audit(admin.viewer, order_id[:64])
    if audit is None:
        raise NO_ORDER
    params = request.query_params
    moment = order_views.travel(audit, ascii_int(params.get("at"), 6), _moment(params.get("as_of")))
    document = audit.document
    emails = container.accounts.emails_of(
        [
            *order_views.user_ids(audit.events),
            *([document["user_id"]] if document["user_id"] else []),
        ]
    )
    return pages.render(
        request,
        "order.html",
        admin,
        status,
        order=document,
        customer=emails.get(document["user_id"]) or document.get("guest_email") or "",
        trail=order_views.trail(audit, emails),
        actions=audit.actions,
        travel=moment,
        error=error,
        notice=notice or DONE.get(params.get("done", ""), ""),
    )


@router.get(ORDER_PATH)
def order_page(request: Request, order_id: str, admin: AdminPage) -> HTMLResponse:
    """The order now, its audit trail, and the order as it was at the slider's moment."""
    return render_order(request, admin, order_id)


def _act(
    request: Request,
    order_id: str,
    post: AdminForm,
    action: str,
    command: Callable[[Orders, Viewer], Written],
) -> Response:
    """Run one lifecycle command; back to the order (Post/Redirect/Get), or the order page
    saying why nothing changed."""
    container = admin_pages(request).storefront.container
    try:
        command(container.orders, post.admin.viewer)
    except OrderNotFound:
        raise NO_ORDER from None
    except InvalidTransition as exc:
        message = f"Refused: you cannot {exc.action} an order that is {_words(exc.status.value)}."
        return render_order(request, post.admin, order_id, status=409, error=message)
    except OrderChanged:
        message = "The order changed while this was sent; nothing was done. Look and try again."
        return render_order(request, post.admin, order_id, status=409, error=message)
    return RedirectResponse(f"/admin/orders/{order_id}?done={action}", status_code=303)


def _words(status: str) -> str:
    return status.replace("_", " ")


@router.post(ORDER_PATH + "/ship")
def ship(request: Request, order_id: str, post: AdminForm) -> Response:
    """Ship a paid order with the carrier's tracking number."""
    tracking = text(post.form, "tracking_number", 101)
    if not tracking or len(tracking) > 100 or not tracking.isprintable():
        message = "Give the carrier's tracking number (1 to 100 characters) to ship the order."
        return render_order(request, post.admin, order_id, status=422, error=message)
    return _act(request, order_id, post, "ship", lambda o, v: o.ship(v, order_id, tracking))


@router.post(ORDER_PATH + "/deliver")
def deliver(request: Request, order_id: str, post: AdminForm) -> Response:
    """Mark a shipped order delivered."""
    return _act(request, order_id, post, "deliver", lambda o, v: o.deliver(v, order_id))


@router.post(ORDER_PATH + "/cancel")
def cancel(request: Request, order_id: str, post: AdminForm) -> Response:
    """Cancel an order not yet shipped (its stock released or put back)."""
    reason = _reason(post)
    return _act(request, order_id, post, "cancel", lambda o, v: o.cancel(v, order_id, reason))


@router.post(ORDER_PATH + "/refund")
def refund(request: Request, order_id: str, post: AdminForm) -> Response:
    """Refund what was paid (restocking an order that never shipped)."""
    reason = _reason(post)
    return _act(request, order_id, post, "refund", lambda o, v: o.refund(v, order_id, reason))


def _reason(post: AdminForm) -> str:
    reason = text(post.form, "reason", 500)
    return reason if reason.isprintable() else ""
