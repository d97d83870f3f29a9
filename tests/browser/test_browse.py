"""A guest browsing: the home page, a category, search (with a typo), a facet, a product
and its variant picker. Each page is judged by the tab (axe, CSP, script errors)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import journeys
from tests.browser.tab import Tab


def test_a_guest_finds_a_laptop_through_a_typo_and_a_brand_facet(tab: Tab):
    page = journeys.search_with_a_typo(tab)
    assert page.locator("main .card").count() > 0
    brand = journeys.filter_by_the_first_brand(tab)
    for card in page.locator("main .card .brand").all():
        expect(card).to_have_text(brand)

    journeys.open_the_first_product(tab)
    expect(page.locator("link[rel=canonical]")).to_have_attribute("href", re.compile(r"/p/"))
    other_choices = page.locator("input[name=sku]:not([disabled]):not(:checked)")
    if other_choices.count():  # shop.js sums up the variant picked (its price and stock)
        other_choices.last.check()
        summary = other_choices.last.get_attribute("data-summary") or ""
        expect(page.locator("[data-chosen]")).to_have_text(summary)
        assert "$" in summary
    expect(page.get_by_role("button", name="Add to cart")).to_be_enabled()


def test_a_category_page_lists_sorts_and_pages_with_breadcrumbs(tab: Tab):
    page = tab.goto("/", "home")
    page.locator("nav.cats a").first.click()
    tab.landed("top category")
    expect(page.locator("h1")).to_have_count(1)
    assert page.locator("main .card").count() > 0

    page.locator("aside.facets h2:text-is('Categories') + ul a").first.click()
    tab.landed("subcategory")
    expect(page.locator("nav[aria-label=Breadcrumb] a").first).to_be_visible()
    sort = page.locator("nav[aria-label=Sort] a").first
    sort_label = sort.inner_text()
    sort.click()
    tab.landed(f"sorted by {sort_label}")
    expect(page.locator("nav[aria-label=Sort] [aria-current]")).to_have_text(sort_label)


def test_an_unknown_address_is_the_shops_own_404_page(tab: Tab):
    page = tab.goto("/no-such-page", "not found", status=404)
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("form[role=search]")).to_be_visible()  # a way back in: the search
