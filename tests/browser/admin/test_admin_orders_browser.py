"""The admin's orders and inventory in a real browser: an admin finds a paid order by its
customer, ships and refunds it and sees the events in its audit trail, moves the
time-travel slider back and sees the earlier status, then adjusts the stock of the SKU it
bought and sees the ledger line beside the order's own; the slider works with scripts
off; every page judged by axe-core and the CSP. The order's audit trail and the stock
ledger are the README's pictures (docs/screenshots/ when POLYSHOP_WRITE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser import journeys
from tests.browser.admin.test_admin_browser import _account, _sign_in
from tests.browser.served_shop import ServedShop
from tests.browser.tab import MOBILE, Tab

README_SHOTS = Path(__file__).parents[3] / "docs" / "screenshots"


def _keep(page: Page, tmp_path: Path, name: str, locator: str | None = None) -> None:
    """A picture of the page (or of one part of it), kept for the README on request."""
    shot = tmp_path / name
    if locator is None:
        page.screenshot(path=shot, full_page=True)
    else:
        page.locator(locator).screenshot(path=shot)
    if os.environ.get("POLYSHOP_WRITE_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SHOTS / name)


def _a_paid_order_by(open_tab: type[Tab], email: str) -> None:
    shopper = open_tab()
    journeys.search_with_a_typo(shopper)
    journeys.open_the_first_product(shopper)
    journeys.pick_a_variant_and_add_to_cart(shopper)
    journeys.open_the_cart(shopper)
    journeys.check_out(shopper, email)
    journeys.pay_on_the_test_page(shopper)


def _open_the_customers_order(tab: Tab, email: str) -> Page:
    page = tab.page
    page.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Orders").click()
    tab.landed("orders")
    page.get_by_label("Customer email or id").fill(email)
    page.get_by_label("Status").select_option("paid")
    page.get_by_role("button", name="Show").click()
    tab.landed("orders of the customer")
    expect(page.locator("table.orders tbody tr")).to_have_count(1)
    page.locator("table.orders tbody a").first.click()
    tab.landed("the order")
    return page


def _trail(page: Page) -> list[str]:
    return page.locator("#trail tbody th").all_inner_texts()


def test_an_admin_ships_refunds_travels_back_and_adjusts_stock(
    open_tab: type[Tab], shop: ServedShop, tmp_path: Path
):
    _a_paid_order_by(open_tab, "orders-buyer@example.com")
    _account(shop, "orders-boss@example.com", admin=True)
    tab = open_tab()
    _sign_in(tab, "orders-boss@example.com")
    page = _open_the_customers_order(tab, "orders-buyer@example.com")
    expect(page.locator(".order-head .badge")).to_have_text("paid")

    expect(page.get_by_role("button", name="Mark delivered")).to_have_count(0)  # not shipped
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Ship").click()
    tab.landed("shipped")
    expect(page.locator(".notice")).to_have_text("The order was shipped.")
    expect(page.get_by_role("button", name="Ship")).to_have_count(0)
    stale = open_tab()  # the same order left open in another tab, from before the refund
    _sign_in(stale, "orders-boss@example.com")
    stale.goto(page.url, "the shipped order, soon stale")
    page.get_by_label("Reason for refunding").fill("arrived damaged")
    page.get_by_role("button", name="Refund").click()
    tab.landed("refunded")
    expect(page.locator(".order-head .badge")).to_have_text("refunded")
    assert _trail(page) == ["OrderPlaced", "OrderPaid", "OrderShipped", "OrderRefunded"]
    expect(page.locator("#trail")).to_contain_text("orders-boss@example.com")
    expect(page.locator(".actions form")).to_have_count(0)
    expect(page.locator("#no-actions")).to_have_text(
        "Refunded: nothing more can be done with this order."
    )
    stale.page.get_by_role("button", name="Mark delivered").click()
    stale.landed("delivery refused", status=409)
    expect(stale.page.get_by_role("alert")).to_have_text(
        "Refused: you cannot deliver an order that is refunded."
    )

    order_path = page.locator("#travel-form").get_attribute("action") or ""
    tab.goto(order_path, "the order again")
    slider = page.get_by_label("Show the order as it was after event")
    page.evaluate("window.stillHere = true")  # gone if the page were loaded again
    slider.fill("2")  # dragged back to the second event: paid
    expect(page.locator("#then-status")).to_have_text("paid")
    expect(page.locator("#at-label")).to_contain_text("2 of 4: OrderPaid")
    expect(page.locator("#trail tr.current th")).to_have_text("OrderPaid")
    expect(page).to_have_url(re.compile(r"\?at=2$"))  # redrawn in place, the link kept
    assert page.evaluate("window.stillHere === true")  # the script redrew it in place
    tab.landed("as it was when paid")
    expect(page.locator(".order-head .badge")).to_have_text("refunded")  # now is unchanged
    slider.blur()
    _keep(page, tmp_path, "admin-order-audit-trail-desktop.png")

    page.locator("table a[href^='/admin/inventory/']").first.click()
    tab.landed("the sku")
    page.get_by_label("Units to add (negative to remove)").fill("7")
    page.get_by_label("Reason").fill("cycle count")
    page.get_by_role("button", name="Adjust").click()
    tab.landed("adjusted")
    first = page.locator("#ledger tbody tr").first
    expect(first).to_contain_text("cycle count")
    expect(first).to_contain_text("+7")
    expect(first).to_contain_text("orders-boss@example.com")
    changes = page.locator("#ledger tbody th").all_inner_texts()
    # Refunded after it shipped: nothing came back to the shelf.
    assert changes[:3] == ["Adjusted", "Left with a paid order", "Reserved for an order"]
    _keep(page, tmp_path, "admin-stock-ledger-desktop.png")


def test_the_time_travel_slider_works_without_javascript(open_tab: type[Tab], shop: ServedShop):
    _a_paid_order_by(open_tab, "nojs-buyer@example.com")
    _account(shop, "nojs-boss@example.com", admin=True)
    tab = open_tab(javascript=False)
    _sign_in(tab, "nojs-boss@example.com")
    page = _open_the_customers_order(tab, "nojs-buyer@example.com")
    expect(page.locator("#then-status")).to_have_text("paid")

    page.get_by_label("Show the order as it was after event").fill("1")
    page.get_by_role("button", name="Show", exact=True).click()
    tab.landed("as placed")

    expect(page.locator("#then-status")).to_have_text("pending payment")
    expect(page.locator(".order-head .badge")).to_have_text("paid")  # now is unchanged


def test_an_admin_finds_skus_by_prefix_and_fewest_available(open_tab: type[Tab], shop: ServedShop):
    _account(shop, "stock-boss@example.com", admin=True)
    tab = open_tab()
    _sign_in(tab, "stock-boss@example.com")
    page = tab.page
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Inventory"
    ).click()
    tab.landed("inventory")
    first_sku = page.locator("main table tbody a").first.inner_text()
    prefix = first_sku[:4]

    page.get_by_label("SKU starts with").fill(prefix.lower())
    page.get_by_label("Fewest available first").check()
    page.get_by_role("button", name="Show").click()
    tab.landed("inventory by prefix")

    listed = page.locator("main table tbody a").all_inner_texts()
    assert listed
    assert all(sku.startswith(prefix) for sku in listed)
    available = [int(n) for n in page.locator("main table tbody td strong").all_inner_texts()]
    assert available == sorted(available)


def test_an_order_and_a_stock_ledger_read_well_on_a_phone(open_tab: type[Tab], shop: ServedShop):
    _a_paid_order_by(open_tab, "phone-buyer@example.com")
    _account(shop, "phone-orders-boss@example.com", admin=True)
    tab = open_tab(viewport=MOBILE)
    _sign_in(tab, "phone-orders-boss@example.com")
    page = tab.goto("/admin/orders?customer=phone-buyer%40example.com", "orders on a phone")
    page.locator("table.orders tbody a").first.click()
    tab.landed("an order on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    page.locator("table a[href^='/admin/inventory/']").first.click()
    tab.landed("a stock ledger on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
