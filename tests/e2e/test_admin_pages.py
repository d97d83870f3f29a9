"""The admin's foundation over HTTP: who gets in, CSRF, the dashboard's figures, the read
models' rebuild and the event log browser, on both backends."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from fastapi.testclient import TestClient

from polyshop.accounts import commands
from polyshop.accounts.domain import Role
from polyshop.api.web.admin import operations
from polyshop.api.web.storefront.security import CSRF_COOKIE
from polyshop.container import Container
from tests.e2e.shoppers import (
    OPS,
    ORDER_BODY,
    PASSWORD,
    Shopper,
    create_product,
    register,
    webhook,
)

PAGES = ["/admin", "/admin/projections", "/admin/events", "/admin/events?stream=order-"]


def shop(client: TestClient) -> Container:
    return client.container  # type: ignore[attr-defined]


def caught_up(client: TestClient) -> None:
    runner = shop(client).machinery.runner
    head = shop(client).machinery.store.head()
    for name in runner.names:
        assert runner.wait_for(name, head, 10), name


def csrf_pair(client: TestClient) -> tuple[str, str]:
    """A CSRF cookie and its form token, as a browser holds them after opening a page."""
    cookie = "c" * 32
    return cookie, client.app.state.storefront.csrf.token_for(cookie)  # type: ignore[attr-defined]


def admin_signs_in(client: TestClient, email: str = "boss@example.com") -> None:
    """An admin signs in through the form; the client keeps the session cookie."""
    register(client, email)
    commands.set_role(shop(client).machinery.store, email, Role.ADMIN)
    signed = client.post(
        "/admin/login",
        data={"email": email, "password": PASSWORD, "next": "/admin"},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/admin"


def figure(html: str, name: str) -> str:
    found = re.search(rf'id="{name}">([^<]*)<', html)
    assert found, name
    return found.group(1)


def place(shopper: Shopper, sku: str, quantity: int) -> dict:
    assert shopper.add(sku, quantity).status_code == 201
    response = shopper.post(
        "/api/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_anonymous_visitors_are_sent_to_sign_in_and_come_back(client: TestClient):
    for path in PAGES:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/admin/login?next=/admin")
    login_page = client.get("/admin/login", params={"next": "https://evil.example/"})
    assert login_page.status_code == 200
    assert 'name="next" value="/admin"' in login_page.text  # never another site

    admin_signs_in(client)
    page = client.get("/admin")

    assert page.status_code == 200
    assert "boss@example.com" in page.text
    assert 'action="/admin/logout"' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    nav = re.findall(r'<li><a href="([^"]+)"', page.text)
    assert {"/admin", "/admin/projections", "/admin/analytics"} <= set(nav)
    for href in nav:  # pages other engineers have not added yet are not linked
        assert client.get(href).status_code != 404, href
    assert '<a href="/admin/analytics"' in page.text
    client.cookies.clear()


def test_wrong_passwords_and_other_sites_are_refused_at_sign_in(client: TestClient):
    register(client, "boss@example.com")
    wrong = client.post("/admin/login", data={"email": "boss@example.com", "password": "nope-x"})
    forged = client.post(
        "/admin/login",
        data={"email": "boss@example.com", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert wrong.status_code == 401
    assert "The email or password is wrong." in wrong.text
    assert forged.status_code == 403
    assert "set-cookie" not in forged.headers


def test_sign_in_says_when_to_retry_after_too_many_wrong_passwords(client: TestClient):
    register(client, "boss@example.com")
    wrong = {"email": "boss@example.com", "password": "not-the-password"}
    statuses = [client.post("/admin/login", data=wrong).status_code for _ in range(5)]
    throttled = client.post("/admin/login", data={**wrong, "password": PASSWORD})

    assert statuses == [401] * 5
    assert throttled.status_code == 429
    assert "Too many attempts; retry in" in throttled.text
    assert int(throttled.headers["retry-after"]) > 0
    assert "set-cookie" not in throttled.headers


def test_customers_are_refused_every_admin_page_and_action(client: TestClient):
    customer = register(client, "cus@example.com")
    cookie, token = csrf_pair(client)
    for path in PAGES:
        answer = customer.get(path)
        assert answer.status_code == 403, path
        assert "Admins only" in answer.text
        assert "Orders today" not in answer.text
        assert "Rebuild" not in answer.text
    for path in ("/admin/projections/order_history/rebuild", "/admin/logout"):
        client.cookies.set(CSRF_COOKIE, cookie)
        answer = customer.post(path, data={"csrf": token}, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "Admins only" in answer.text
    assert shop(client).event_log.rebuilding() == set()


def test_posts_without_the_csrf_token_of_the_cookie_change_nothing(client: TestClient):
    cookie, token = csrf_pair(client)
    path = "/admin/projections/order_history/rebuild"
    client.cookies.set(CSRF_COOKIE, cookie)
    missing = client.post(path, headers=OPS)
    client.cookies.set(CSRF_COOKIE, "d" * 32)
    other = client.post(path, data={"csrf": token}, headers=OPS)
    client.cookies.clear()
    assert [missing.status_code, other.status_code] == [403, 403]
    assert "This form has expired" in missing.text
    assert shop(client).event_log.rebuilding() == set()


def test_the_dashboard_counts_todays_orders_revenue_shipping_and_low_stock(client: TestClient):
    lamp = create_product(client, "Lamp <b>", [("LAMP-1", 3), ("LAMP-2", 50)], price=40.0)
    ann = register(client, "ann@example.com")
    paid = place(ann, "LAMP-2", 2)
    place(ann, "LAMP-1", 1)
    webhook(
        client,
        {"order_id": paid["order_id"], "payment_id": "p", "amount": 80.0, "status": "succeeded"},
    )
    client.get(f"/api/v1/products/{lamp}")
    shop(client).signals.flush()
    caught_up(client)
    admin_signs_in(client)

    page = client.get("/admin").text

    assert figure(page, "orders-today") == "2"
    assert figure(page, "revenue-today") == "$80.00"  # the unpaid order brings nothing yet
    assert figure(page, "awaiting-shipment") == "1"
    low = r"LAMP-1(</a>)?</td>\s*<td class=\"num\">3</td>\s*<td class=\"num\">1</td>"
    assert re.search(low, page)  # 3 on hand, 1 reserved by the unpaid order
    assert "LAMP-2" not in page  # 48 available: plenty
    assert "Lamp &lt;b&gt;" in page
    assert "Lamp <b>" not in page  # trending, escaped
    assert "order_history" in page  # projection lag

    shipped = client.post(
        f"/api/v1/orders/{paid['order_id']}/ship", json={"tracking_number": "1Z"}, headers=OPS
    )
    assert shipped.status_code == 200, shipped.text
    caught_up(client)
    assert figure(client.get("/admin").text, "awaiting-shipment") == "0"
    client.cookies.clear()


def test_an_admin_rebuilds_a_read_model_from_the_projections_page(client: TestClient):
    admin_signs_in(client)
    page = client.get("/admin/projections")
    assert page.status_code == 200
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token
    before = {s.name: s.generation for s in shop(client).event_log.list_projections()}

    answer = client.post(
        "/admin/projections/order_history/rebuild",
        data={"csrf": token.group(1)},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/projections?rebuilt=order_history"
    deadline = time.monotonic() + 20
    while shop(client).event_log.rebuilding() and time.monotonic() < deadline:
        time.sleep(0.05)
    after = {s.name: s.generation for s in shop(client).event_log.list_projections()}
    assert after["order_history"] == before["order_history"] + 1
    notice = client.get(answer.headers["location"]).text
    assert "Rebuilding <strong>order_history</strong>" in notice
    unknown = client.post("/admin/projections/nope/rebuild", data={"csrf": token.group(1)})
    assert unknown.status_code == 404
    client.cookies.clear()


def test_the_event_browser_filters_by_stream_and_type_and_pages_back(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    create_product(client, "Desk <i>", [("DESK-1", 9)])
    ann = register(client, "ann@example.com")
    placed = [place(ann, "DESK-1", 1) for _ in range(3)]

    orders = client.get("/admin/events", params={"stream": "order-"}, headers=OPS).text
    streams = re.findall(r'class="mono" href="[^"]*">([^<]+)</a>', orders)
    assert len(streams) == 3
    assert all(s.startswith("order-") for s in streams)
    assert streams[0] == f"order-{placed[-1]['order_id']}"  # newest first
    typed = client.get("/admin/events", params={"type": "ProductCreated"}, headers=OPS).text
    assert re.findall(r'class="event-type">([^<]+)<', typed) == ["ProductCreated"]
    assert "Desk &lt;i&gt;" in typed
    assert "Desk <i>" not in typed  # data, escaped

    monkeypatch.setattr(operations, "PAGE_SIZE", 2)
    first = client.get("/admin/events", params={"stream": "order-"}, headers=OPS).text
    older = re.search(r'href="(/admin/events\?[^"]*before=\d+)" rel="next"', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&"), headers=OPS).text
    assert re.findall(r'class="mono" href="[^"]*">([^<]+)</a>', second) == [
        f"order-{placed[0]['order_id']}"
    ]
    client.cookies.clear()


def _routes(routes: list) -> list:  # type: ignore[type-arg]
    """Every route, included routers walked (FastAPI matches those lazily)."""
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found.extend(_routes(inner.routes) if inner is not None else [route])
    return found


def test_no_admin_route_serves_a_customer(client: TestClient):
    """Every page and action under /admin, those added later included: a customer gets the
    403 page, never the content nor a change (the routes use AdminPage or AdminForm)."""
    customer = register(client, "cus@example.com")
    cookie, token = csrf_pair(client)
    checked = 0
    for route in _routes(client.app.router.routes):  # type: ignore[attr-defined]
        path = getattr(route, "path", "")
        if not path.startswith("/admin") or path == "/admin/login":
            continue
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        for method in sorted(getattr(route, "methods", ()) - {"HEAD"}):
            client.cookies.set(CSRF_COOKIE, cookie)
            answer = customer.call(method, concrete, data={"csrf": token}, follow_redirects=False)
            assert answer.status_code == 403, (method, path, answer.status_code)
            checked += 1
    assert checked >= 6
