"""The issue's first journey: a guest searches with a typo, filters by a facet, picks a
variant, adds it to the cart, checks out with an email, pays on the test payment page and
sees the order paid; the order's link opens it anywhere, and nothing less does."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import journeys
from tests.browser.tab import Tab


def test_a_guest_buys_a_laptop_and_sees_the_order_paid(open_tab: type[Tab]):
    tab = open_tab()
    journeys.search_with_a_typo(tab)
    journeys.filter_by_the_first_brand(tab)
    name = journeys.open_the_first_product(tab)
    journeys.pick_a_variant_and_add_to_cart(tab)
    page = journeys.open_the_cart(tab)
    expect(page.locator("main table")).to_contain_text(name)
    expect(page.locator("main table small")).to_contain_text(tab.chosen_variant)  # its variant

    paying = journeys.check_out(tab, email="guest.buyer@example.com")
    assert re.search(r"/test-payments/[0-9a-f-]+", paying)
    page = journeys.pay_on_the_test_page(tab)
    expect(page.locator("main")).to_contain_text(name)
    order_link = page.url
    assert "key=" in order_link  # the guest's unguessable link

    # The link alone opens the order in another browser; without its key, no such order.
    stranger = open_tab()
    stranger.goto(order_link, "guest order link elsewhere")
    expect(stranger.page.locator("main")).to_contain_text(name)
    stranger.goto(order_link.split("?")[0], "order without its key", status=404)
