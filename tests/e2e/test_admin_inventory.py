"""The admin's inventory over HTTP, on both backends: the SKU list and its search, a SKU's
stock, adjustments with a reason, and the stock ledger's lines after an adjustment and
after an order (reserved, taken when paid, put back when refunded)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from polyshop.api.web.admin import inventory_pages
from polyshop.api.web.storefront.security import CSRF_COOKIE
from tests.e2e.admin_shop import admin_signs_in, csrf_pair, form_token, pay, place, shop
from tests.e2e.shoppers import OPS, create_product, register


def skus(html: str) -> list[str]:
    """The SKUs the list shows, in its order."""
    return re.findall(r'<a href="/admin/inventory/([A-Z0-9._-]+)">', html)


def ledger(html: str) -> list[list[str]]:
    """The ledger's lines: time, change, on hand ±, reserved ±, on hand after, available
    after, reason, by, order (the cells' text)."""
    table = re.search(r'<table id="ledger">.*?</table>', html, re.S)
    assert table, "no ledger on the page"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0).split("<tbody>")[1], re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in rows
    ]


def on_hand(client: TestClient, sku: str) -> int:
    return shop(client).inventory.get_stock(sku).on_hand


def test_customers_are_refused_the_inventory_pages_and_adjustments(client: TestClient):
    create_product(client, "Mug", [("MUG-1", 5)])
    ann = register(client, "ann@example.com")
    cookie, token = csrf_pair(client)

    for path in ("/admin/inventory", "/admin/inventory/MUG-1", "/admin/inventory?q=MUG"):
        answer = ann.get(path)
        assert answer.status_code == 403, path
        assert "Admins only" in answer.text
        assert "MUG-1" not in answer.text
    client.cookies.set(CSRF_COOKIE, cookie)
    posted = ann.post(
        "/admin/inventory/MUG-1/adjust", data={"csrf": token, "delta": "50", "reason": "mine"}
    )

    assert posted.status_code == 403
    assert on_hand(client, "MUG-1") == 5
    assert len(shop(client).inventory.get_ledger("MUG-1")) == 1  # the initial stock only


def test_an_adjustment_without_the_forms_csrf_token_changes_nothing(client: TestClient):
    create_product(client, "Mug", [("MUG-1", 5)])
    cookie, token = csrf_pair(client)

    client.cookies.set(CSRF_COOKIE, cookie)
    missing = client.post(
        "/admin/inventory/MUG-1/adjust", data={"delta": "5", "reason": "x"}, headers=OPS
    )
    client.cookies.set(CSRF_COOKIE, "d" * 32)
    other = client.post(
        "/admin/inventory/MUG-1/adjust",
        data={"csrf": token, "delta": "5", "reason": "x"},
        headers=OPS,
    )
    client.cookies.clear()

    assert [missing.status_code, other.status_code] == [403, 403]
    assert "This form has expired" in missing.text
    assert on_hand(client, "MUG-1") == 5


def test_the_sku_list_searches_by_prefix_and_puts_the_fewest_available_first(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    create_product(client, "Tee", [("TEE-RED-M", 9), ("TEE-RED-L", 2), ("TEE-BLUE-M", 0)])
    create_product(client, "Mug", [("MUG-1", 4)])
    admin_signs_in(client)

    everything = client.get("/admin/inventory").text
    red = client.get("/admin/inventory", params={"q": "tee-red"}).text
    low = client.get("/admin/inventory", params={"q": "TEE", "low": "1"}).text
    none = client.get("/admin/inventory", params={"q": "<b>"})

    assert skus(everything) == ["MUG-1", "TEE-BLUE-M", "TEE-RED-L", "TEE-RED-M"]
    assert "4 SKUs" in everything
    assert skus(red) == ["TEE-RED-L", "TEE-RED-M"]
    assert skus(low) == ["TEE-BLUE-M", "TEE-RED-L", "TEE-RED-M"]  # 0, 2, 9 available
    assert none.status_code == 200
    assert skus(none.text) == []
    assert "&lt;b&gt;" in none.text

    monkeypatch.setattr(inventory_pages, "PAGE_SIZE", 3)
    first = client.get("/admin/inventory").text
    second = client.get("/admin/inventory", params={"page": "2"}).text
    assert skus(first) == ["MUG-1", "TEE-BLUE-M", "TEE-RED-L"]
    assert skus(second) == ["TEE-RED-M"]
    assert "page 1 of 2" in first
    assert 'href="/admin/inventory?page=2" rel="next"' in first
    client.cookies.clear()


def test_an_adjustment_shows_in_the_levels_and_the_ledger_with_who_and_why(client: TestClient):
    create_product(client, "Mug", [("MUG-1", 5)])
    admin_signs_in(client)
    token = form_token(client.get("/admin/inventory/MUG-1").text)

    posted = client.post(
        "/admin/inventory/mug-1/adjust",
        data={"csrf": token, "delta": "+12", "reason": "delivery received"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/admin/inventory/MUG-1?done=1"
    removed = client.post(
        "/admin/inventory/MUG-1/adjust", data={"csrf": token, "delta": "-2", "reason": "broken"}
    )

    assert removed.status_code == 200
    assert "Stock adjusted" in removed.text
    assert re.search(r'id="on-hand">15<', removed.text)
    assert re.search(r'id="available">15<', removed.text)
    lines = ledger(removed.text)
    assert [line[1:] for line in lines] == [
        ["Adjusted", "-2", "0", "15", "15", "broken", "boss@example.com", ""],
        ["Adjusted", "+12", "0", "17", "17", "delivery received", "boss@example.com", ""],
        ["Adjusted", "+5", "0", "5", "5", "initial stock", "system", ""],
    ]
    client.cookies.clear()


def test_the_ledger_follows_an_order_reserved_paid_and_refunded(client: TestClient):
    create_product(client, "Lamp", [("LAMP-1", 5)], price=40.0)
    order = place(register(client, "ann@example.com"), "LAMP-1", 2)
    pay(client, order)
    refunded = client.post(
        f"/api/v1/orders/{order['order_id']}/refund", json={"reason": "damaged"}, headers=OPS
    )
    assert refunded.status_code == 200, refunded.text
    client.cookies.clear()
    admin_signs_in(client)

    lines = ledger(client.get("/admin/inventory/LAMP-1").text)

    number = order["order_id"][-8:]
    assert [line[1:] for line in lines] == [
        [
            "Adjusted",
            "+2",
            "0",
            "5",
            "5",
            f"order {order['order_id']} OrderRefunded",
            "operator token",
            number,
        ],
        ["Left with a paid order", "-2", "-2", "3", "3", "", "payment provider", number],
        ["Reserved for an order", "0", "+2", "5", "3", "", "ann@example.com", number],
        ["Adjusted", "+5", "0", "5", "5", "initial stock", "system", ""],
    ]
    client.cookies.clear()


def test_refused_adjustments_say_why_and_change_nothing(client: TestClient):
    create_product(client, "Lamp", [("LAMP-1", 5)])
    place(register(client, "ann@example.com"), "LAMP-1", 2)  # 2 reserved
    admin_signs_in(client)
    token = form_token(client.get("/admin/inventory/LAMP-1").text)

    def adjust(delta: str, reason: str = "count") -> tuple[int, str]:
        answer = client.post(
            "/admin/inventory/LAMP-1/adjust", data={"csrf": token, "delta": delta, "reason": reason}
        )
        return answer.status_code, answer.text

    too_many, text = adjust("-4")
    assert too_many == 409
    assert "Refused: LAMP-1 has 5 on hand with 2 reserved" in text
    for delta, reason in (("0", "x"), ("abc", "x"), ("²", "x"), ("99999999999", "x"), ("3", " ")):
        status, text = adjust(delta, reason)
        assert status == 422, delta
        assert "Give " in text
    assert client.get("/admin/inventory/NOPE-1").status_code == 404
    assert on_hand(client, "LAMP-1") == 5
    assert len(shop(client).inventory.get_ledger("LAMP-1")) == 2  # initial, reserved
    client.cookies.clear()


def test_an_adjustment_through_the_api_records_the_admin_too(client: TestClient):
    create_product(client, "Mug", [("MUG-1", 5)])

    answer = client.post(
        "/api/v1/inventory/MUG-1/adjust", json={"delta": 3, "reason": "found"}, headers=OPS
    )

    assert answer.status_code == 200, answer.text
    newest = shop(client).inventory.get_ledger("MUG-1", limit=1)
    assert [(line.actor, line.reason, line.on_hand_delta) for line in newest] == [
        ("operator", "found", 3)
    ]
