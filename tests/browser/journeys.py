"""Steps the journeys share, written as a shopper acts: through the labels, links and
buttons a person sees (Playwright's role and label locators), never by posting forms
behind the page's back. Each page reached is judged by the tab."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.tab import Tab

#: The header's cart count ("0", then " items" for screen readers) when the cart is empty.
CART_EMPTY = re.compile(r"^\s*0\b")


def cart_holds(count: int) -> re.Pattern[str]:
    """The header's cart count for `count` items, whatever words follow the number."""
    return re.compile(rf"^\s*{count}\b")


ADDRESS = {
    "Full name": "Ada Shopper",
    "Address": "1 Market Street",
    "City": "Springfield",
    "Postal code": "12345",
    "Country code (like US)": "US",
}


def search_with_a_typo(tab: Tab) -> Page:
    """Home, then "labtop" typed in the search box: the shop says what it searched for."""
    page = tab.goto("/", "home")
    page.get_by_label("Search the shop").fill("labtop")
    page.get_by_label("Search the shop").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=labtop"))
    tab.landed("search for labtop")
    expect(page.get_by_text("Showing results for")).to_be_visible()
    expect(page.locator("main")).to_contain_text("laptop")
    return page


def filter_by_the_first_brand(tab: Tab) -> str:
    page = tab.page
    brands = page.locator("aside.facets h2:text-is('Brand') + ul a")
    brand = brands.first.inner_text().strip()
    brands.first.click()
    tab.landed(f"filtered by {brand}")
    expect(page.locator("aside.facets a[aria-current='true']")).to_contain_text(brand)
    return brand


def open_the_first_product(tab: Tab) -> str:
    """Opens the first product of the listing shown; returns its name."""
    page = tab.page
    page.locator("main .card a").first.click()
    tab.landed("product")
    expect(page.locator("h1")).to_have_count(1)
    return page.locator("h1").inner_text()


def pick_a_variant_and_add_to_cart(tab: Tab, quantity: int = 1) -> str:
    """Chooses the last variant in stock; returns its SKU."""
    page = tab.page
    choice = page.locator("input[name=sku]:not([disabled])").last
    choice.check()
    expect(choice).to_be_checked()
    sku = choice.get_attribute("value") or ""
    label = page.locator("label.variant", has=choice).locator("span").first
    tab.chosen_variant = label.inner_text()
    if quantity != 1:
        page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    tab.landed("added to cart")
    expect(page.locator("header .count")).not_to_have_text(CART_EMPTY)
    return sku


def open_the_cart(tab: Tab) -> Page:
    page = tab.page
    page.locator("header").get_by_role("link", name=re.compile("^Cart")).click()
    tab.landed("cart")
    expect(page.locator("h1")).to_have_text("Your cart")
    return page


def check_out(tab: Tab, email: str | None) -> str:
    """From the cart to a placed order (address, review, place); returns the URL landed on
    (the test payment page)."""
    page = tab.page
    page.get_by_role("link", name="Check out").click()
    tab.landed("checkout address")
    if email is not None:
        page.get_by_label("Email (for your order link)").fill(email)
    new_address = page.get_by_label("A new address (below)")
    if new_address.count():
        new_address.check()
    for label, value in ADDRESS.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Continue to review").click()
    tab.landed("checkout review")
    expect(page.locator("main")).to_contain_text(ADDRESS["Address"])
    page.get_by_role("button", name="Place order").click()
    tab.landed("order placed")
    return page.url


def pay_on_the_test_page(tab: Tab) -> Page:
    page = tab.page
    expect(page.locator("h1")).to_contain_text("Test payment")
    page.get_by_role("button", name=re.compile(r"^Pay .*\(test\)")).click()
    tab.landed("order after payment")
    expect(page.locator("[data-status]")).to_have_text("paid")
    return page


def sign_up(tab: Tab, email: str, password: str = "correct horse battery") -> None:
    """From the header's Sign in link to a new account; back where the visitor was."""
    page = tab.page
    page.locator("header").get_by_role("link", name="Sign in").click()
    tab.landed("sign in")
    page.get_by_role("link", name="Create an account").click()
    tab.landed("sign up")
    page.get_by_label("Your name (optional)").fill("Grace Customer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password (at least 10 characters)").fill(password)
    page.get_by_role("button", name="Create account").click()
    tab.landed("signed up")
    expect(page.locator("header")).to_contain_text("Grace Customer")
