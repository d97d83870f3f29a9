"""Counts the admin reads, on both backends: a SKU's product that the name search found too
is counted once, and the dashboard's paid-orders count stops at the list's cap ("2+" here,
"10,000+" in a shop), as the order list's own count does."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from polyshop.api.web.admin import catalog_list
from polyshop.orders import admin_listing
from tests.e2e.admin_catalog_steps import created_id, post, product_form, signs_in
from tests.e2e.admin_shop import admin_signs_in, caught_up, pay, place
from tests.e2e.shoppers import create_product, register


def test_a_sku_product_the_name_search_finds_too_is_counted_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    signs_in(client, "boss@example.com")
    for name, sku in (("Cap-1 alpha", "ALPHA-1"), ("Cap-1 zeta", "CAP-1"), ("Hat", "HAT-1")):
        created_id(client, post(client, "/admin/products/new", product_form(name, (sku, "", "1"))))
    monkeypatch.setattr(catalog_list, "PAGE_SIZE", 1)  # "zeta" is off the first page by name

    page = client.get("/admin/products", params={"q": "CAP-1"}).text
    assert re.search(r'role="status">2 products', page), page
    assert "Cap-1 zeta" in page  # the SKU's product comes first
    assert "Cap-1 alpha" not in page
    only_sku = client.get("/admin/products", params={"q": "hat-1"}).text
    assert re.search(r'role="status">1 product\.', only_sku)
    assert "Hat" in only_sku
    client.cookies.clear()


def test_the_dashboards_awaiting_shipment_count_stops_at_the_cap(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_product(client, "Mug", [("MUG-1", 9)])
    ann = register(client, "ann@example.com")
    for _ in range(3):
        pay(client, place(ann, "MUG-1"))
    caught_up(client)
    admin_signs_in(client)
    figure = r'id="awaiting-shipment">([^<]*)<'

    found = re.search(figure, client.get("/admin").text)
    assert found
    assert found.group(1) == "3"
    monkeypatch.setattr(admin_listing, "COUNT_CAP", 2)
    capped = re.search(figure, client.get("/admin").text)
    assert capped
    assert capped.group(1) == "2+"
    client.cookies.clear()
