"""The admin in a real browser: an admin signs in and sees the dashboard (today's paid
order, the work waiting), the read models and the event log, each page judged by axe-core,
the CSP and its screenshot; a customer who signs in there is refused. The dashboard's
picture is the README's (docs/screenshots/ when POLYSHOP_WRITE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx
from playwright.sync_api import expect

from tests.browser import journeys
from tests.browser.served_shop import ServedShop, _environment
from tests.browser.tab import DESKTOP, MOBILE, Tab

README_SHOTS = Path(__file__).parents[3] / "docs" / "screenshots"
PASSWORD = "correct horse battery"


def _account(shop: ServedShop, email: str, *, admin: bool) -> None:
    """An account; an admin one made as an operator does, with `polyshop users set-role`."""
    answer = httpx.post(
        shop.url("/api/v1/auth/register"),
        json={"email": email, "password": PASSWORD, "name": "Staff"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    if admin:
        command = ["users", "set-role", email, "admin", "--data-dir", str(shop.data_dir)]
        subprocess.run(
            [sys.executable, "-m", "polyshop", *command],
            env=_environment(),
            capture_output=True,
            timeout=60,
            check=True,
        )


def _sign_in(tab: Tab, email: str, *, status: int = 200) -> None:
    page = tab.goto("/admin", "sign in")  # sent to the sign-in form, then back
    expect(page.get_by_role("heading", name="Admin sign-in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    tab.landed("signed in", status=status)


def _a_paid_order(open_tab: type[Tab]) -> None:
    shopper = open_tab()
    journeys.search_with_a_typo(shopper)
    journeys.open_the_first_product(shopper)
    journeys.pick_a_variant_and_add_to_cart(shopper)
    journeys.open_the_cart(shopper)
    journeys.check_out(shopper, "buyer@example.com")
    journeys.pay_on_the_test_page(shopper)


def test_an_admin_signs_in_and_runs_the_shop_from_the_dashboard(
    open_tab: type[Tab], shop: ServedShop, tmp_path: Path
):
    _a_paid_order(open_tab)
    _account(shop, "boss@example.com", admin=True)
    tab = open_tab()
    _sign_in(tab, "boss@example.com")
    page = tab.page

    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.locator("header")).to_contain_text("boss@example.com")
    expect(page.locator("#awaiting-shipment")).not_to_have_text("0")  # the paid order
    expect(page.locator("#orders-today")).not_to_have_text("0")
    nav = page.get_by_role("navigation", name="Admin sections")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    shot = tmp_path / "admin-dashboard-desktop.png"
    page.screenshot(path=shot, full_page=True)
    if os.environ.get("POLYSHOP_WRITE_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SHOTS / shot.name)

    nav.get_by_role("link", name="Operations").click()
    tab.landed("projections")
    expect(page.get_by_role("button", name="Rebuild order_history")).to_be_visible()
    page.get_by_role("button", name="Rebuild order_history").click()
    tab.landed("rebuild started")
    expect(page.get_by_role("status")).to_contain_text("Rebuilding order_history")

    page.get_by_role("link", name="Event log").click()
    tab.landed("event log")
    page.get_by_label("Event type").fill("OrderPaid")
    page.get_by_label("Follow live").check()
    page.get_by_role("button", name="Show").click()
    tab.landed("event log, paid orders, live")
    types = page.locator(".event-type")
    expect(types.first).to_have_text("OrderPaid")
    # only paid orders (the browser tests share one shop: other tests pay orders too)
    assert set(types.all_inner_texts()) == {"OrderPaid"}
    expect(page.locator("#live-status")).to_be_visible()

    nav.get_by_role("link", name="Analytics").click()
    tab.landed("analytics")
    tab.goto("/admin", "dashboard again")
    page.get_by_role("button", name="Sign out").click()
    tab.landed("signed out")
    expect(page.get_by_role("heading", name="Admin sign-in")).to_be_visible()


def test_the_admin_reads_well_on_a_phone(open_tab: type[Tab], shop: ServedShop):
    _account(shop, "phone-boss@example.com", admin=True)
    tab = open_tab(viewport=MOBILE)
    _sign_in(tab, "phone-boss@example.com")
    tab.goto("/admin/events", "event log on a phone")
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]


def test_a_customer_signing_in_to_the_admin_is_refused(open_tab: type[Tab], shop: ServedShop):
    _account(shop, "just-a-customer@example.com", admin=False)
    tab = open_tab(viewport=DESKTOP)
    _sign_in(tab, "just-a-customer@example.com", status=403)
    expect(tab.page.get_by_role("heading", name="Admins only")).to_be_visible()
    expect(tab.page.locator("main")).not_to_contain_text("Orders today")
