"""The admin's orders over HTTP, on both backends: the list's filters and pages, an order's
lines, payments, address, audit trail and time travel, and the lifecycle's actions (with
the refusals a customer, a missing CSRF token or the order's state earn)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from polyshop.accounts.domain import Viewer
from polyshop.api.web.admin import order_list
from polyshop.api.web.storefront.security import CSRF_COOKIE
from polyshop.orders import admin_listing
from polyshop.orders.admin_listing import Cursor
from tests.e2e.admin_shop import (
    admin_signs_in,
    caught_up,
    csrf_pair,
    form_token,
    pay,
    place,
    register_user,
    shop,
)
from tests.e2e.shoppers import OPS, ORDER_BODY, Shopper, create_product, guest, login, register


def status_of(client: TestClient, order_id: str) -> str:
    """The order's status from its events (no read model to wait for)."""
    audit = shop(client).orders.get_audit(Viewer(None, is_admin=True), order_id)
    assert audit is not None
    return str(audit.document["status"])


def listed(html: str) -> list[str]:
    """The order numbers (last 8 of the id) the list shows, in its order."""
    return re.findall(r'aria-label="Order ([0-9a-f]{8})"', html)


def short(order: dict) -> str:
    return str(order["order_id"])[-8:]


def test_customers_are_refused_every_orders_page_and_action(client: TestClient):
    create_product(client, "Mug", [("MUG-1", 5)])
    ann = register(client, "ann@example.com")
    order = place(ann, "MUG-1")
    pay(client, order)
    cookie, token = csrf_pair(client)
    base = f"/admin/orders/{order['order_id']}"

    for path in ("/admin/orders", base, f"{base}?at=1"):
        answer = ann.get(path)
        assert answer.status_code == 403, path
        assert "Admins only" in answer.text
        assert "MUG-1" not in answer.text
    for action in ("ship", "deliver", "cancel", "refund"):
        client.cookies.set(CSRF_COOKIE, cookie)
        answer = ann.post(f"{base}/{action}", data={"csrf": token, "tracking_number": "1Z"})
        assert answer.status_code == 403, action
        assert "Admins only" in answer.text

    assert status_of(client, order["order_id"]) == "paid"
    assert len(shop(client).machinery.store.read_stream(f"order-{order['order_id']}")) == 2


def test_actions_without_the_forms_csrf_token_change_nothing(client: TestClient):
    create_product(client, "Mug", [("MUG-1", 5)])
    order = place(register(client, "ann@example.com"), "MUG-1")
    pay(client, order)
    cookie, token = csrf_pair(client)
    base = f"/admin/orders/{order['order_id']}"

    client.cookies.set(CSRF_COOKIE, cookie)
    missing = client.post(f"{base}/ship", data={"tracking_number": "1Z"}, headers=OPS)
    client.cookies.set(CSRF_COOKIE, "d" * 32)
    other = client.post(f"{base}/refund", data={"csrf": token}, headers=OPS)
    client.cookies.clear()

    assert [missing.status_code, other.status_code] == [403, 403]
    assert "This form has expired" in missing.text
    assert status_of(client, order["order_id"]) == "paid"


def test_the_list_filters_by_status_customer_total_and_day(client: TestClient):
    create_product(client, "Mug", [("MUG-1", 50)], price=10.0)
    create_product(client, "Lamp", [("LAMP-1", 50)], price=40.0)
    ann = register(client, "ann@example.com")
    bob_id = register_user(client, "bob@example.com")
    bob = login(client, "bob@example.com")
    ann_lamp = place(ann, "LAMP-1")
    pay(client, ann_lamp)
    ann_mugs = place(ann, "MUG-1", 3)
    bob_mug = place(bob, "MUG-1")
    visitor = guest(client)
    visitor.add("MUG-1", 2)
    guest_order = visitor.post(
        "/api/v1/orders",
        json={**ORDER_BODY, "email": "Gus@Example.com"},
        headers={"Idempotency-Key": "guest-1"},
    ).json()
    caught_up(client)
    admin_signs_in(client)
    today = datetime.now(UTC).date()

    def shown(**params: str) -> list[str]:
        page = client.get("/admin/orders", params=params)
        assert page.status_code == 200, page.text
        return listed(page.text)

    everyone = [short(o) for o in (guest_order, bob_mug, ann_mugs, ann_lamp)]
    assert shown() == everyone  # newest first
    assert shown(status="paid") == [short(ann_lamp)]
    assert shown(status="pending_payment") == everyone[:3]
    assert shown(customer="ANN@example.com") == [short(ann_mugs), short(ann_lamp)]
    assert shown(customer=bob_id) == [short(bob_mug)]
    assert shown(customer="gus@example.com") == [short(guest_order)]  # a guest, by email
    assert shown(customer="nobody@example.com") == []
    assert shown(min_total="20", max_total="30") == [short(guest_order), short(ann_mugs)]
    assert shown(min_total="35") == [short(ann_lamp)]
    assert shown(placed_from=str(today), placed_to=str(today)) == everyone
    assert shown(placed_from=str(today + timedelta(days=1))) == []
    assert shown(placed_to=str(today - timedelta(days=1))) == []
    assert shown(status="pending_payment", customer="ann@example.com") == [short(ann_mugs)]

    page = client.get("/admin/orders", params={"status": "paid"}).text
    assert "4 orders" not in page
    assert "1 order matches" in page
    assert 'class="badge badge-paid">paid<' in page
    assert "ann@example.com" in page  # the customer by email, not by id
    bad = client.get("/admin/orders", params={"min_total": "1e9", "placed_from": "yesterday"})
    assert bad.status_code == 422
    assert "Give an amount such as 25" in bad.text
    assert "Give a day as YYYY-MM-DD" in bad.text
    assert listed(bad.text) == []
    client.cookies.clear()


def _walk_older(client: TestClient) -> list[str]:
    """The pages from the newest, following "Older" links; each page's HTML."""
    pages = [client.get("/admin/orders", params={"status": "pending_payment"}).text]
    while link := re.search(r'href="([^"]+)" rel="next"', pages[-1]):
        assert "status=pending_payment" in link.group(1)  # the filters stay
        pages.append(client.get(link.group(1).replace("&amp;", "&")).text)
    return pages


@pytest.mark.parametrize("sorted_once_found", [True, False])
def test_the_list_pages_older_newer_and_back_to_the_newest(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, sorted_once_found: bool
):
    monkeypatch.setattr(order_list, "PAGE_SIZE", 2)
    # Few matches are sorted once found; many are read in the placed-at index's order.
    monkeypatch.setattr(admin_listing, "FEW", admin_listing.FEW if sorted_once_found else 0)
    create_product(client, "Mug", [("MUG-1", 50)])
    ann = register(client, "ann@example.com")
    placed = [place(ann, "MUG-1") for _ in range(5)][::-1]  # newest first
    orders = [short(order) for order in placed]
    caught_up(client)
    admin_signs_in(client)

    pages = _walk_older(client)
    audit = shop(client).orders.get_audit(Viewer(None, is_admin=True), placed[4]["order_id"])
    assert audit is not None
    newer = client.get(
        "/admin/orders",
        params={"status": "pending_payment", "after": str(Cursor.of(audit.document))},
    ).text

    assert [listed(page) for page in pages] == [orders[:2], orders[2:4], orders[4:]]
    assert 'rel="prev"' in pages[2]  # back to the newest
    assert "5 orders match" in pages[0]
    assert listed(newer) == orders[2:4]
    client.cookies.clear()


def test_an_admin_ships_delivers_and_sees_the_audit_trail_and_earlier_states(client: TestClient):
    create_product(client, "Lamp", [("LAMP-1", 5)], price=40.0)
    order = place(register(client, "ann@example.com"), "LAMP-1", 2)
    pay(client, order)
    admin_signs_in(client)
    base = f"/admin/orders/{order['order_id']}"
    page = client.get(base).text
    assert "Lamp" in page
    assert "LAMP-1" in page
    assert "$80.00" in page
    assert "1 Main Street" in page
    assert "Springfield" in page
    assert f"pay-{order['order_id'][-6:]}" in page
    assert "succeeded" in page
    token = form_token(page)

    shipped = client.post(
        f"{base}/ship", data={"csrf": token, "tracking_number": "1Z999"}, follow_redirects=False
    )
    assert shipped.status_code == 303
    assert shipped.headers["location"] == f"{base}?done=ship"
    delivered = client.post(f"{base}/deliver", data={"csrf": token})
    assert delivered.status_code == 200
    assert "The order was marked delivered." in delivered.text

    page = client.get(base).text
    trail = re.findall(r'<th scope="row">(\w+)</th>\s*<td[^>]*>([^<]*)</td>', page)
    assert trail == [
        ("OrderPlaced", "ann@example.com"),
        ("OrderPaid", "payment provider"),
        ("OrderShipped", "boss@example.com"),
        ("OrderDelivered", "boss@example.com"),
    ]
    assert "tracking number 1Z999" in page
    assert re.search(r'id="then-status"><span class="badge badge-delivered">', page)
    at_two = client.get(base, params={"at": "2"}).text
    assert re.search(r'id="then-status"><span class="badge badge-paid">', at_two)
    assert 'value="2"' in at_two
    assert "2 of 4: OrderPaid" in at_two
    placed_at = re.search(
        r'<time datetime="([^"]+)">[^<]*</time></td>\s*<th scope="row">'
        r"OrderPlaced",
        page,
    )
    assert placed_at
    as_placed = client.get(base, params={"as_of": placed_at.group(1)}).text
    assert re.search(r'id="then-status"><span class="badge badge-pending_payment">', as_placed)
    assert status_of(client, order["order_id"]) == "delivered"
    client.cookies.clear()


def test_a_refused_transition_is_said_on_the_page_and_changes_nothing(client: TestClient):
    create_product(client, "Lamp", [("LAMP-1", 5)], price=40.0)
    order = place(register(client, "ann@example.com"), "LAMP-1")
    admin_signs_in(client)
    base = f"/admin/orders/{order['order_id']}"
    token = form_token(client.get(base).text)

    deliver = client.post(f"{base}/deliver", data={"csrf": token})
    ship = client.post(f"{base}/ship", data={"csrf": token, "tracking_number": "1Z"})
    blank = client.post(f"{base}/ship", data={"csrf": token, "tracking_number": "  "})

    assert deliver.status_code == 409
    assert "Refused: you cannot deliver an order that is pending payment." in deliver.text
    assert ship.status_code == 409
    assert "Refused: you cannot ship an order that is pending payment." in ship.text
    assert blank.status_code == 422
    assert "tracking number" in blank.text
    assert len(shop(client).machinery.store.read_stream(f"order-{order['order_id']}")) == 1

    cancelled = client.post(f"{base}/cancel", data={"csrf": token, "reason": "asked"})
    refund = client.post(f"{base}/refund", data={"csrf": token})
    assert cancelled.status_code == 200
    assert "The order was cancelled." in cancelled.text
    assert refund.status_code == 409
    assert "Refused: you cannot refund an order that is cancelled." in refund.text
    assert status_of(client, order["order_id"]) == "cancelled"
    assert client.get("/admin/orders/not-an-order").status_code == 404
    client.cookies.clear()


def test_a_paid_order_refunded_puts_its_stock_back(client: TestClient):
    create_product(client, "Lamp", [("LAMP-1", 5)], price=40.0)
    ann: Shopper = register(client, "ann@example.com")
    order = place(ann, "LAMP-1", 2)
    pay(client, order)
    admin_signs_in(client)
    base = f"/admin/orders/{order['order_id']}"
    token = form_token(client.get(base).text)

    refunded = client.post(f"{base}/refund", data={"csrf": token, "reason": "damaged"})

    assert refunded.status_code == 200
    assert "The order was refunded." in refunded.text
    assert "damaged, stock put back" in refunded.text
    assert shop(client).inventory.get_stock("LAMP-1").available == 5
    client.cookies.clear()


def offered(html: str, order_id: str) -> list[str]:
    """The lifecycle actions whose forms the order's page shows, in the page's order."""
    return re.findall(rf'action="/admin/orders/{order_id}/(\w+)"', html)


def test_the_page_offers_only_what_the_orders_state_allows(client: TestClient):
    create_product(client, "Lamp", [("LAMP-1", 5)], price=40.0)
    order = place(register(client, "ann@example.com"), "LAMP-1")
    pay(client, order)
    admin_signs_in(client)
    order_id = order["order_id"]
    base = f"/admin/orders/{order_id}"
    paid = client.get(base).text
    token = form_token(paid)

    assert offered(paid, order_id) == ["ship", "cancel", "refund"]
    assert "Mark delivered" not in paid
    assert "nothing more can be done" not in paid
    refunded = client.post(f"{base}/refund", data={"csrf": token, "reason": "damaged"})
    assert refunded.status_code == 200
    assert offered(refunded.text, order_id) == []
    assert "Refunded: nothing more can be done with this order." in refunded.text
    for button in ("Ship</button>", "Mark delivered", "Cancel order", "Refund</button>"):
        assert button not in refunded.text

    # A page left open from before still posts: refused, said clearly, nothing written.
    stale = client.post(f"{base}/deliver", data={"csrf": token})
    assert stale.status_code == 409
    assert "Refused: you cannot deliver an order that is refunded." in stale.text
    assert offered(stale.text, order_id) == []
    assert len(shop(client).machinery.store.read_stream(f"order-{order_id}")) == 3
    client.cookies.clear()
