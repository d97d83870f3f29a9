"""With JavaScript off, a shopper still adds to the cart, checks out and pays: every core
step is a plain link or form. (axe-core cannot run in a page without scripts; these are
the pages the other journeys judge with it. CSP and status are still checked.)"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser import journeys
from tests.browser.tab import Tab


def test_add_to_cart_and_checkout_work_without_javascript(open_tab: type[Tab]):
    tab = open_tab(javascript=False)
    page = tab.goto("/search?q=laptop", "search")
    journeys.open_the_first_product(tab)
    expect(page.get_by_role("button", name="Add to cart")).to_be_enabled()  # one preselected
    journeys.pick_a_variant_and_add_to_cart(tab)
    journeys.open_the_cart(tab)
    journeys.check_out(tab, email="no.script@example.com")
    journeys.pay_on_the_test_page(tab)
