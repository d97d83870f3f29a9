"""The API documentation renders in a browser that can reach nothing but the shop."""

from __future__ import annotations

from tests.browser.served_shop import ServedShop
from tests.browser.tab import Tab


def test_swagger_ui_renders_the_openapi_document_without_any_other_origin(
    tab: Tab, shop: ServedShop
):
    elsewhere: list[str] = []
    tab.page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(shop.base_url)
            else (elsewhere.append(route.request.url), route.abort())
        ),
    )
    tab.page.goto("/docs")
    tab.page.wait_for_selector(".information-container .title")

    assert "OAS 3.1" in tab.page.inner_text(".information-container .title")
    assert tab.page.locator(".opblock").count() > 20  # the operations are listed
    tab.page.goto("/redoc")
    tab.page.wait_for_selector("h1")
    assert tab.page.inner_text("h1").startswith("polyshop")
    tab.page.wait_for_timeout(500)  # ReDoc's sidebar (and its logo) come after the heading
    assert elsewhere == []
    tab.assert_clean()  # no CSP violation, no script error
    tab.checked.update(tab.navigated)  # third-party pages: axe judges the shop's own pages
