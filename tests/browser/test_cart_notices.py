"""What the cart tells a shopper when the shop changed under it: a price that moved since
the item was added, an item that sold out (and checkout held back until it is dealt with)."""

from __future__ import annotations

import re
import time
from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.browser import journeys
from tests.browser.served_shop import ServedShop
from tests.browser.tab import Tab

SETTLE_SECONDS = 15  # the read models follow the log a moment behind


def _add_card(tab: Tab, category: str, index: int) -> tuple[str, str]:
    """Adds the index-th product of a category; returns (product id, sku)."""
    page = tab.goto(category, "category")
    page.locator("main .card a").nth(index).click()
    tab.landed("product")
    product_id = re.search(r"/p/([^/]+)/", page.url).group(1)  # type: ignore[union-attr]
    return product_id, journeys.pick_a_variant_and_add_to_cart(tab)


def _reload_until(tab: Tab, page: Page, selector: str) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while page.locator(selector).count() == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
        page.reload()
    tab.landed("cart with notices")


def test_the_cart_says_when_a_price_changed_and_when_an_item_sold_out(tab: Tab, shop: ServedShop):
    category = "/c/home/kitchen"
    repriced, _ = _add_card(tab, category, 0)
    _, sold_out_sku = _add_card(tab, category, 1)
    page = journeys.open_the_cart(tab)
    expect(page.locator("[data-notice]")).to_have_count(0)
    expect(page.get_by_role("link", name="Check out")).to_be_visible()

    product = shop.admin("GET", f"/api/v1/products/{repriced}", None)
    new_price = (Decimal(str(product["price"])) + Decimal("7.00")).quantize(Decimal("0.01"))
    shop.admin("PATCH", f"/api/v1/products/{repriced}", {"price": str(new_price)})
    stock = shop.admin("GET", f"/api/v1/inventory/{sold_out_sku}", None)
    shop.admin(
        "POST",
        f"/api/v1/inventory/{sold_out_sku}/adjust",
        {"delta": -int(stock["available"]), "reason": "browser test: sold out"},
    )

    _reload_until(tab, page, "[data-notice=price]")
    _reload_until(tab, page, "[data-notice=stock]")
    notice = page.locator("[data-notice=price]").inner_text()
    was, now = re.fullmatch(
        r"Price changed: was \$([\d.,]+), now \$([\d.,]+)\.", notice.strip()
    ).groups()  # type: ignore[union-attr]
    assert Decimal(now.replace(",", "")) - Decimal(was.replace(",", "")) == Decimal("7.00")
    expect(page.locator("[data-notice=stock]")).to_be_visible()
    expect(page.get_by_role("link", name="Check out")).to_have_count(0)
    expect(page.get_by_text("Some items cannot be ordered")).to_be_visible()

    sold_out_line = page.locator("tbody tr", has=page.locator("[data-notice=stock]"))
    sold_out_line.get_by_role("button", name=re.compile("^Remove")).click()
    tab.landed("cart without the sold-out item")
    expect(page.locator("[data-notice=stock]")).to_have_count(0)
    expect(page.get_by_role("link", name="Check out")).to_be_visible()
