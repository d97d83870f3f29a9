"""GraphiQL at /graphql works in a browser that can reach nothing but the shop, under the
page's Content-Security-Policy (scripts from the shop only)."""

from __future__ import annotations

from tests.browser.served_shop import ServedShop
from tests.browser.tab import Tab


def test_graphiql_runs_a_query_with_only_the_shops_files(tab: Tab, shop: ServedShop):
    elsewhere: list[str] = []
    tab.page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(shop.base_url)
            else (elsewhere.append(route.request.url), route.abort())
        ),
    )
    tab.page.goto("/graphql")
    editor = tab.page.locator(".graphiql-query-editor .CodeMirror")
    editor.wait_for()
    editor.click()
    tab.page.keyboard.press("Control+A")
    tab.page.keyboard.press("Delete")
    tab.page.keyboard.type("{ __typename }")
    tab.page.locator(".graphiql-execute-button").click()
    result = tab.page.locator(".result-window")
    result.get_by_text('"Query"').wait_for()

    assert '"__typename": "Query"' in result.inner_text().replace("\n", " ").replace("  ", " ")
    # A dialog (the shortcuts) injects a <style> element, with sizes measured at run time:
    # why the policy allows inline styles (scripts stay the shop's files only).
    tab.page.get_by_label("Open short keys dialog").click()
    tab.page.get_by_role("dialog").wait_for()
    tab.page.keyboard.press("Escape")
    tab.page.get_by_label("Show Documentation Explorer").click()
    tab.page.get_by_text("Root Types").wait_for()  # the schema, read by introspection
    assert elsewhere == []
    tab.assert_clean()  # no CSP violation, no script error
    tab.checked.update(tab.navigated)  # a third-party page: axe judges the shop's own pages
