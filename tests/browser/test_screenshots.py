"""The README's pictures of the shop: home and a product page, desktop (1280x800) and
mobile (390x844), taken by the suite from a real shop. Always taken (under the test's tmp
directory, and judged like every page); written to docs/screenshots/ when
POLYSHOP_WRITE_SCREENSHOTS=1."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx2 as httpx
import pytest

from polyshop.api.web.storefront.urls import product_url
from tests.browser.served_shop import ServedShop
from tests.browser.tab import DESKTOP, MOBILE, Tab

README_SHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


def _a_laptop(shop: ServedShop) -> str:
    found = httpx.get(shop.url("/api/v1/products/search?q=laptop&limit=1"), timeout=5).json()
    product = found["results"][0]
    return product_url(product["id"], product["name"])


@pytest.mark.parametrize("device", ["desktop", "mobile"])
def test_home_and_product_pages_as_the_readme_shows_them(
    open_tab: type[Tab], shop: ServedShop, tmp_path: Path, device: str
):
    tab = open_tab(viewport=DESKTOP if device == "desktop" else MOBILE)
    product = _a_laptop(shop)
    for name, path in (("home", "/"), ("product", product)):
        page = tab.goto(path, name)
        page.evaluate("document.fonts.ready")
        shot = tmp_path / f"{name}-{device}.png"
        page.screenshot(path=shot)  # the first screenful, as a visitor first sees it
        if os.environ.get("POLYSHOP_WRITE_SCREENSHOTS") == "1":
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, README_SHOTS / shot.name)
