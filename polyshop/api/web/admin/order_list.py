"""The admin's order list (/admin/orders): everyone's orders under filters, newest first.

The filters read as a form (GET, so a filtered list is a link): status, the days placed
(UTC), the customer (an email, which finds their account's orders and those placed as a
guest with it, or a user id) and the total. Pages are keyset pages of `Orders.list_for_admin`
("Older" and "Newest"), as fast at page 2,000 as at page 1. A filter that cannot be read
is said so beside the form, and no list is shown rather than one the filter did not narrow.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from polyshop.api.web.admin.access import AdminPage
from polyshop.api.web.admin.pages import admin_pages
from polyshop.container import Container
from polyshop.orders.admin_listing import AdminOrderFilter, Cursor, OrdersPage
from polyshop.orders.domain import Status
from polyshop.values.clock import day_after

router = APIRouter(include_in_schema=False)

ORDERS_PATH = "/admin/orders"
PAGE_SIZE = 50
STATUSES = [status.value for status in Status]
#: Largest total a filter may name (an order is never more, see `orders.errors.TooLarge`).
MAX_TOTAL = Decimal("100000000")


@dataclass
class OrderQuery:
    """The list's filters as typed (`params`, for the form and the page links) and as read
    (`where`, `guest_email`), with what could not be read (`errors`, by field)."""

    params: dict[str, str]
    where: AdminOrderFilter = field(default_factory=AdminOrderFilter)
    guest_email: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _day(value: str, name: str, errors: dict[str, str]) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    except ValueError:
        errors[name] = "Give a day as YYYY-MM-DD."
        return None


def _amount(value: str, name: str, errors: dict[str, str]) -> Decimal | None:
    if not value:
        return None
    try:
        amount = Decimal(value) if value.isascii() and len(value) <= 12 else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or not 0 <= amount <= MAX_TOTAL:
        errors[name] = "Give an amount such as 25 or 19.99."
        return None
    return amount


def read_query(container: Container, raw: dict[str, str]) -> OrderQuery:
    """The filters from the query string; the customer's email looked up in accounts."""
    names = ("status", "placed_from", "placed_to", "customer", "min_total", "max_total")
    params = {name: raw.get(name, "").strip()[:254] for name in names}
    errors: dict[str, str] = {}
    status = params["status"] or None
    if status is not None and status not in STATUSES:
        errors["status"] = "Choose a status from the list."
    placed_to = _day(params["placed_to"], "placed_to", errors)
    end = day_after(placed_to) if placed_to else None  # the whole day
    if placed_to and end is None:
        errors["placed_to"] = "Give a day before 9999-12-31, the calendar's last."
    where = AdminOrderFilter(
        status=status if "status" not in errors else None,
        placed_from=_day(params["placed_from"], "placed_from", errors),
        placed_to=end,
        min_total=_amount(params["min_total"], "min_total", errors),
        max_total=_amount(params["max_total"], "max_total", errors),
    )
    query = OrderQuery(params, where, errors=errors)
    customer = params["customer"]
    if "@" in customer:
        user = container.accounts.find_by_email(customer)
        query.where = replace(where, user_id=user.id if user else None)
        query.guest_email = customer
    elif customer:
        query.where = replace(where, user_id=customer[:36])
    return query


def _cursor(value: str | None, errors: dict[str, str]) -> Cursor | None:
    """The page link's cursor; one that cannot be read (edited, or a moment outside the
    calendar in UTC) is said so rather than silently showing another page."""
    cursor = Cursor.parse(value[:100]) if value else None
    if value and cursor is None:
        errors["page"] = "This page link cannot be read; start again from the newest orders."
    return cursor


@router.get(ORDERS_PATH)
def orders_page(
    request: Request, admin: AdminPage, before: str | None = None, after: str | None = None
) -> HTMLResponse:
    """Everyone's orders under the filters, newest first, a keyset page at a time."""
    pages = admin_pages(request)
    container = pages.storefront.container
    query = read_query(container, dict(request.query_params))
    cursors = _cursor(before, query.errors), _cursor(after, query.errors)
    page: OrdersPage | None = None
    emails: dict[str, str] = {}
    if not query.errors:
        page = container.orders.list_for_admin(
            admin.viewer,
            query.where,
            guest_email=query.guest_email,
            before=cursors[0],
            after=cursors[1],
            limit=PAGE_SIZE,
        )
        emails = container.accounts.emails_of([o["user_id"] for o in page.orders if o["user_id"]])
    return pages.render(
        request,
        "orders.html",
        admin,
        422 if query.errors else 200,
        query=query,
        statuses=STATUSES,
        page=page,
        emails=emails,
        paged=before is not None or after is not None,
    )
