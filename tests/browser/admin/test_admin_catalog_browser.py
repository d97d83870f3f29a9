"""The admin's catalog and customers in a real browser: an admin creates a product with
two variants and an image, and a shopper finds it with the storefront's search; the admin
imports a CSV with bad rows, sees each reported with its reason, and finds nothing of the
bad products in the catalog; the customers list, a customer and a promotion. Every page is
judged by axe-core and the CSP (`Tab.landed`), and its screenshot kept; the product form and
the import report are also kept for the README (docs/screenshots/ when
POLYSHOP_WRITE_SCREENSHOTS=1)."""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.admin.test_admin_browser import _account, _sign_in
from tests.browser.served_shop import ServedShop
from tests.browser.tab import Tab

README_SHOTS = Path(__file__).parents[3] / "docs" / "screenshots"
CSV = (
    "product,name,brand,category,price,sku,size,color,stock,attr:material\n"
    "scarf,Fjord wool scarf,Northwind,clothing/accessories,34.00,FWS-GREY,,grey,8,wool\n"
    "scarf,,,,,FWS-BLUE,,blue,6,\n"
    "boots,Tundra boots,Northwind,clothing/shoes,129.00,TB-41,41,,4,leather\n"
    "boots,,,,,TB 42,42,,4,\n"
    "gloves,Glacier gloves,Northwind,Clothing Stuff,19.00,GG-M,M,,3,\n"
)


def _keep(page: Page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / name
    page.screenshot(path=shot, full_page=True)
    if os.environ.get("POLYSHOP_WRITE_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SHOTS / name)


def _photo(folder: Path) -> Path:
    image = Image.new("RGB", (900, 700), (38, 70, 110))
    image.paste((230, 190, 40), (250, 120, 650, 600))
    path = folder / "jacket.jpg"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    path.write_bytes(buffer.getvalue())
    return path


def _create_a_product(tab: Tab, tmp_path: Path) -> None:
    page = tab.page
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Catalog"
    ).click()
    tab.landed("products")
    page.get_by_role("link", name="New product").click()
    tab.landed("new product")
    page.get_by_label("Name", exact=True).fill("Harbour rain jacket")
    page.get_by_label("Brand").fill("Northwind")
    page.get_by_label("Category").fill("clothing/outerwear")
    page.get_by_label("Base price (USD)").fill("89.00")
    page.get_by_label("Description").fill("A waxed-cotton jacket that keeps the harbour rain out.")
    page.get_by_label("Attribute 1 name").fill("material")
    page.get_by_label("Attribute 1 value").fill("waxed cotton")
    for row, (sku, size, stock) in enumerate((("HRJ-S", "S", "5"), ("HRJ-M", "M", "3")), 1):
        page.get_by_label(f"Variant {row} SKU").fill(sku)
        page.get_by_label(f"Variant {row} size").fill(size)
        page.get_by_label(f"Variant {row} starting stock").fill(stock)
    page.get_by_role("button", name="Create product").click()
    tab.landed("product created")
    expect(page.get_by_role("status")).to_have_text("Product created.")
    page.get_by_label("Add an image").set_input_files(_photo(tmp_path))
    page.get_by_label("Alt text", exact=True).last.fill("Harbour rain jacket, front")
    page.get_by_role("button", name="Upload").click()
    tab.landed("image uploaded")
    expect(page.locator(".image-card img")).to_have_attribute("alt", "Harbour rain jacket, front")
    expect(page.get_by_role("table", name="Variants of this product")).to_contain_text("HRJ-M")
    _keep(page, tmp_path, "admin-product-edit.png")


def _found_in_the_shop(shopper: Tab) -> None:
    deadline = time.monotonic() + 30
    while True:  # the search index follows the log: a moment behind the write
        page = shopper.goto("/search?q=harbour+jacket", "storefront search")
        if page.locator("main").get_by_text("Harbour rain jacket").count():
            break
        assert time.monotonic() < deadline, "the new product never reached search"
        time.sleep(0.5)
    page.locator("main").get_by_role("link", name="Harbour rain jacket").first.click()
    shopper.landed("the new product")
    expect(page.locator("main")).to_contain_text("89.00")
    expect(page.locator("main")).to_contain_text("keeps the harbour rain out")


def _import_with_bad_rows(tab: Tab, tmp_path: Path) -> None:
    page = tab.goto("/admin/products/import", "import")
    csv = tmp_path / "catalog.csv"
    csv.write_text(CSV, encoding="utf-8")
    page.get_by_label("CSV file").set_input_files(csv)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Import report")).to_be_visible(timeout=30_000)
    tab.landed("import report")
    expect(page.get_by_role("status")).to_contain_text("1 product imported")
    expect(page.get_by_role("status")).to_contain_text("2 products not imported")
    report = page.locator("table.report")
    expect(report).to_contain_text("TB 42")
    expect(report).to_contain_text("is not a category path")
    _keep(page, tmp_path, "admin-import-report.png")


def _nothing_else_changed(tab: Tab) -> None:
    page = tab.goto("/admin/products?q=Fjord", "imported product")
    expect(page.locator("table.products")).to_contain_text("FWS-BLUE")
    for name in ("Tundra", "Glacier"):
        page = tab.goto(f"/admin/products?q={name}", f"no {name}")
        expect(page.get_by_text("No product matches these filters.")).to_be_visible()


def _promote_a_customer(tab: Tab, shop: ServedShop) -> None:
    _account(shop, "catalog-helper@example.com", admin=False)
    page = tab.page
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Customers"
    ).click()
    tab.landed("customers")
    page.get_by_label("Email or name starts with").fill("catalog-helper")
    page.get_by_role("button", name="Find").click()
    tab.landed("customers found")
    page.get_by_role("link", name="catalog-helper@example.com").click()
    tab.landed("a customer")
    page.get_by_role("button", name="Make an admin").click()
    tab.landed("promoted")
    expect(page.get_by_role("status")).to_have_text("They are an admin now.")


def test_an_admin_builds_the_catalog_and_a_shopper_finds_it(
    open_tab: type[Tab], shop: ServedShop, tmp_path: Path
):
    _account(shop, "catalog-boss@example.com", admin=True)
    tab = open_tab()
    _sign_in(tab, "catalog-boss@example.com")

    _create_a_product(tab, tmp_path)
    _found_in_the_shop(open_tab())
    _import_with_bad_rows(tab, tmp_path)
    _nothing_else_changed(tab)
    _promote_a_customer(tab, shop)
