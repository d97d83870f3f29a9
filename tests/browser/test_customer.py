"""A customer's journey: their guest cart follows them into a new account; they order, pay,
and find the order in their history with its timeline. Another customer's order is a 404."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser import journeys
from tests.browser.tab import Tab


def _email(who: str) -> str:
    return f"{who}.{uuid.uuid4().hex[:8]}@example.com"


def _buy_as_a_guest_then_sign_up(tab: Tab, email: str) -> str:
    page = tab.goto("/", "home")
    page.locator("nav.cats a").first.click()
    tab.landed("category")
    name = journeys.open_the_first_product(tab)
    journeys.pick_a_variant_and_add_to_cart(tab, quantity=2)
    journeys.sign_up(tab, email)
    expect(page.locator("header .count")).to_have_text(journeys.cart_holds(2))  # it came along
    return name


def test_a_customer_signs_up_with_their_cart_orders_and_sees_history_and_timeline(tab: Tab):
    name = _buy_as_a_guest_then_sign_up(tab, _email("grace"))
    page = journeys.open_the_cart(tab)
    expect(page.locator("main table")).to_contain_text(name)
    journeys.check_out(tab, email=None)  # signed in: no email asked
    page = journeys.pay_on_the_test_page(tab)
    order_url = page.url
    assert "/account/orders/" in order_url

    page.locator("header").get_by_role("link", name="Orders").click()
    tab.landed("order history")
    row = page.locator("tr[data-order]").first
    expect(row).to_contain_text("paid")
    row.get_by_role("link").click()
    tab.landed("order from history")
    assert page.url == order_url
    timeline = page.locator("ol.timeline li")
    expect(timeline.first).to_have_attribute("data-event", "Placed")
    expect(timeline.last).to_have_attribute("data-event", "Paid")
    expect(page.locator("main table")).to_contain_text(name)


def test_another_customers_order_is_not_found(open_tab: type[Tab]):
    owner = open_tab()
    _buy_as_a_guest_then_sign_up(owner, _email("owner"))
    journeys.open_the_cart(owner)
    placed = journeys.check_out(owner, email=None)
    order_id = placed.rsplit("/", 1)[-1].split("?")[0]

    other = open_tab()
    page = other.goto("/", "home")
    journeys.sign_up(other, _email("other"))
    other.goto(f"/account/orders/{order_id}", "someone else's order", status=404)
    expect(page.locator("main")).not_to_contain_text(order_id[-8:].upper())
    other.goto(f"/test-payments/{order_id}", "someone else's payment page", status=404)
