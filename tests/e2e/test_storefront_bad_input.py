"""What a page does with input no form would send: never a 500, nothing changed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.shoppers import create_product
from tests.e2e.test_storefront_buying import Browser, text_of
from tests.e2e.test_storefront_catalog import HTML


@pytest.mark.parametrize(
    "query",
    [
        "page=%C2%B2",  # a superscript two: a digit to str.isdigit, not to int()
        "page=99999999999999999999",
        "min_price=1e30",
        "min_price=1E%2B999999",
        "max_price=-5",
        "min_price=%D9%A3",  # an Arabic-Indic three
    ],
)
def test_odd_query_values_are_ignored_not_a_500(client: TestClient, query: str) -> None:
    create_product(client, "Odd Lamp", [("ODD-1", 5)])
    for path in ("/c/test", f"/search?q=lamp&{query}"):
        url = f"{path}?{query}" if "?" not in path else path
        response = client.get(url, headers=HTML)
        client.cookies.clear()
        assert response.status_code in (200, 404), (url, response.text[:300])
        assert response.headers["content-type"].startswith("text/html")


def test_placing_an_order_without_the_forms_key_starts_checkout_again(client: TestClient) -> None:
    create_product(client, "Keyless Mug", [("KEYLESS-1", 5)], price=9.0)
    ann = Browser(client)
    ann.add("KEYLESS-1")
    fields = ann.checkout(email="ann@example.com")
    fields["key"] = ""
    placed = ann.place(fields)
    assert placed.headers["location"] == "/checkout"
    assert "Keyless Mug" in text_of(ann.get("/cart"))  # nothing was ordered


@pytest.mark.parametrize("number", ["%C2%B2", "9" * 5000, "0"])
def test_a_sitemap_page_that_is_no_number_is_a_404(client: TestClient, number: str) -> None:
    response = client.get(f"/sitemaps/products-{number}.xml", headers=HTML)
    assert response.status_code == 404
