"""Inventory for admins: the SKU list (/admin/inventory: search by SKU prefix, fewest
available first on request) and a SKU's page (/admin/inventory/{sku}): its stock now, an
adjustment form with a reason, and its stock ledger, newest first, a page at a time.

All through `Inventory` (the door `POST /api/v1/inventory/{sku}/adjust` uses): the levels
are read from the write model, the ledger from the SKU's own events, so both are exact the
moment after an adjustment. The adjusting admin is recorded as the event's actor.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from polyshop.api.web.admin.access import Admin, AdminForm, AdminPage, AdminRefused
from polyshop.api.web.admin.order_views import actor_name
from polyshop.api.web.admin.pages import admin_pages
from polyshop.api.web.storefront.forms import ascii_int, text
from polyshop.inventory.service import (
    MAX_PAGE,
    InvalidAdjustment,
    StockQuery,
    UnknownSku,
)

router = APIRouter(include_in_schema=False)

INVENTORY_PATH = "/admin/inventory"
SKU_PATH = INVENTORY_PATH + "/{sku}"
PAGE_SIZE = 50
LEDGER_PAGE = 50
#: The largest change one adjustment may make, as the JSON API allows.
MAX_DELTA = 10_000_000
NO_SKU = AdminRefused(404, "No such SKU", "No stock is kept for this SKU.")


@router.get(INVENTORY_PATH)
def inventory_page(
    request: Request, admin: AdminPage, q: str = "", low: str = "", page: str = ""
) -> HTMLResponse:
    """SKUs with their stock, by SKU or fewest available first; a SKU prefix narrows."""
    pages = admin_pages(request)
    number = min(ascii_int(page, 4) or 1, MAX_PAGE)
    query = StockQuery(prefix=q.strip()[:64], low_first=low == "1", page=number, per_page=PAGE_SIZE)
    listed = pages.storefront.container.inventory.list_stock(query)
    params = {"q": query.prefix, "low": "1" if query.low_first else ""}
    return pages.render(request, "inventory.html", admin, listed=listed, params=params)


def render_sku(
    request: Request, admin: Admin, sku: str, *, status: int = 200, error: str = ""
) -> HTMLResponse:
    """A SKU's page; `error` says why an adjustment was refused."""
    pages = admin_pages(request)
    container = pages.storefront.container
    before = ascii_int(request.query_params.get("before"), 9)
    try:
        level = container.inventory.get_stock(sku[:64])
        lines = container.inventory.get_ledger(level.sku, before_version=before, limit=LEDGER_PAGE)
    except UnknownSku:
        raise NO_SKU from None
    actors = {line.actor or "" for line in lines}
    emails = container.accounts.emails_of(
        [a.removeprefix("user:") for a in actors if a.startswith("user:")]
    )
    done = request.query_params.get("done") == "1" and not error
    return pages.render(
        request,
        "sku.html",
        admin,
        status,
        level=level,
        lines=[(line, actor_name(line.actor, emails)) for line in lines],
        older_version=lines[-1].version if lines and lines[-1].version > 1 else None,
        paged=before is not None,
        error=error,
        notice="Stock adjusted; the ledger's first line records it." if done else "",
    )


@router.get(SKU_PATH)
def sku_page(request: Request, sku: str, admin: AdminPage) -> HTMLResponse:
    """The SKU's stock now, the adjustment form and its stock ledger."""
    return render_sku(request, admin, sku)


@router.post(SKU_PATH + "/adjust")
def adjust(request: Request, sku: str, post: AdminForm) -> Response:
    """Add or remove units on hand with a reason; back to the SKU (Post/Redirect/Get)."""
    raw = text(post.form, "delta", 12)
    digits = raw.removeprefix("-").removeprefix("+")
    magnitude = ascii_int(digits, 8)
    reason = text(post.form, "reason", 201)
    if magnitude is None or magnitude == 0 or magnitude > MAX_DELTA:
        message = (
            f"Give the units to add (such as 25) or remove (such as -3), at most {MAX_DELTA:,}."
        )
        return render_sku(request, post.admin, sku, status=422, error=message)
    if not reason or len(reason) > 200 or not reason.isprintable():
        message = "Give a reason (1 to 200 characters): the ledger records why stock moved."
        return render_sku(request, post.admin, sku, status=422, error=message)
    delta = -magnitude if raw.startswith("-") else magnitude
    inventory = admin_pages(request).storefront.container.inventory
    try:
        adjusted = inventory.adjust(sku[:64], delta, reason, actor=post.admin.viewer.actor)
    except UnknownSku:
        raise NO_SKU from None
    except InvalidAdjustment as exc:
        return render_sku(request, post.admin, sku, status=409, error=f"Refused: {exc}.")
    return RedirectResponse(f"{INVENTORY_PATH}/{adjusted.level.sku}?done=1", status_code=303)
