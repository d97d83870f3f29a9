"""What the pages refuse: a form posted without its CSRF token (or with another's) is a
403 page and changes nothing."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser import journeys
from tests.browser.tab import Tab


def _product(tab: Tab) -> None:
    page = tab.goto("/c/electronics/laptops", "category")
    page.locator("main .card a").first.click()
    tab.landed("product")
    page.locator("input[name=sku]:not([disabled])").last.check()


def test_a_form_posted_without_its_csrf_token_is_refused(tab: Tab):
    _product(tab)
    page = tab.page
    page.locator("form[action='/cart/items'] input[name=csrf]").evaluate("el => el.remove()")
    page.get_by_role("button", name="Add to cart").click()
    tab.landed("csrf refused", status=403)
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("header .count")).to_have_text(journeys.CART_EMPTY)  # nothing added


def test_a_form_posted_with_a_forged_csrf_token_is_refused(tab: Tab):
    _product(tab)
    page = tab.page
    page.locator("form[action='/cart/items'] input[name=csrf]").evaluate(
        "el => { el.value = '0'.repeat(64); }"
    )
    page.get_by_role("button", name="Add to cart").click()
    tab.landed("forged csrf refused", status=403)
    journeys.open_the_cart(tab)
    expect(tab.page.get_by_text("Your cart is empty")).to_be_visible()
