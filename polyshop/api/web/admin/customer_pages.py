"""Customers (/admin/customers): everyone with an account, searchable by the start of an
email or a name; a customer's page with their orders, and the button that makes them an
admin or a customer again.

The list is `Accounts.find_users` (in email order, counted up to 10,000); the orders are
`Orders.list_orders` for that user, as an admin sees them; a role change is
`Accounts.change_role`, a RoleChanged event with the admin as its actor. An admin cannot
demote themselves (another admin or the operator token can), so a slip of the mouse
never locks the last admin out.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from polyshop.accounts.domain import Role, User
from polyshop.accounts.service import OwnRoleKept
from polyshop.api.web.admin.access import Admin, AdminForm, AdminPage, AdminRefused
from polyshop.api.web.admin.pages import admin_pages
from polyshop.api.web.storefront.forms import ascii_int
from polyshop.orders.service import OrderFilter

router = APIRouter(include_in_schema=False)

CUSTOMERS_PATH = "/admin/customers"
PAGE_SIZE = 50
ORDERS_SHOWN = 20
MAX_PAGE = 10_000 // PAGE_SIZE
NO_SUCH_CUSTOMER = AdminRefused(404, "No such customer", "There is no account with this id.")


@router.get(CUSTOMERS_PATH)
def customers_page(request: Request, admin: AdminPage, q: str = "", page: str = "") -> HTMLResponse:
    """Accounts in email order, or those whose email or name starts with `q`."""
    text = q.strip()[:254]
    number = min(ascii_int(page, 6) or 1, MAX_PAGE)
    accounts = admin_pages(request).storefront.container.accounts
    found = accounts.find_users(text, page=number, limit=PAGE_SIZE)
    pages = -(-found.total // PAGE_SIZE)
    more = (number < pages or found.capped) and number < MAX_PAGE
    return admin_pages(request).render(
        request,
        "customers.html",
        admin,
        params={"q": text} if text else {},
        q=text,
        found=found,
        number=number,
        previous_page=number - 1 if number > 1 else None,
        next_page=number + 1 if more else None,
    )


def _user(request: Request, user_id: str) -> User:
    user = (
        admin_pages(request).storefront.container.accounts.get_user(user_id)
        if len(user_id) <= 36
        else None
    )
    if user is None:
        raise NO_SUCH_CUSTOMER
    return user


def _render(
    request: Request, admin: Admin, user: User, status: int = 200, error: str = "", done: str = ""
) -> HTMLResponse:
    container = admin_pages(request).storefront.container
    orders, total = container.orders.list_orders(
        admin.viewer, OrderFilter(user_id=user.id), limit=ORDERS_SHOWN, offset=0
    )
    return admin_pages(request).render(
        request,
        "customer.html",
        admin,
        status,
        customer=user,
        orders=orders,
        orders_total=total,
        is_self=admin.viewer.user_id == user.id,
        error=error,
        done=done,
    )


@router.get(CUSTOMERS_PATH + "/{user_id}")
def customer_page(request: Request, user_id: str, admin: AdminPage, done: str = "") -> HTMLResponse:
    """The customer's account, their latest orders, and their role."""
    shown = {"admin": "They are an admin now.", "customer": "They are a customer now."}
    return _render(request, admin, _user(request, user_id), done=shown.get(done, ""))


@router.post(CUSTOMERS_PATH + "/{user_id}/role")
def change_role(request: Request, user_id: str, post: AdminForm) -> Response:
    """Make the account an admin or a customer; refused for one's own admin role."""
    wanted = post.form.get("role")
    if wanted not in (Role.ADMIN.value, Role.CUSTOMER.value):
        raise AdminRefused(422, "Unknown role", "A role is admin or customer.")
    user = _user(request, user_id)
    accounts = admin_pages(request).storefront.container.accounts
    try:
        accounts.change_role(post.admin.viewer, user.id, Role(wanted))
    except OwnRoleKept as exc:
        return _render(request, post.admin, user, 409, error=f"Not changed: {exc}.")
    return RedirectResponse(f"{CUSTOMERS_PATH}/{user.id}?done={wanted}", status_code=303)
