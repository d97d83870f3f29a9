"""Two admins editing one product, on both backends: the edit form carries the product's
version, so the second save made from a page older than the first's change is refused
(409, said on the page) and writes nothing, rather than silently overwriting it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.e2e.admin_catalog_steps import created_id, events, post, product_form, signs_in


def form_version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "the edit form carries no version"
    return found.group(1)


def test_a_save_over_someone_elses_change_is_refused_and_changes_nothing(client: TestClient):
    signs_in(client, "boss@example.com")
    made = post(client, "/admin/products/new", product_form("Mug", ("MUG-1", "", "3")))
    product_id = created_id(client, made)
    path = f"/admin/products/{product_id}"
    opened = form_version(client.get(made.headers["location"]).text)  # both admins' tabs

    first = post(client, path, {**product_form("Mug, blue"), "version": opened})
    assert first.status_code == 303, first.text
    assert "Mug, blue" in client.get(first.headers["location"]).text
    updates = [e for e in events(client) if e.type == "ProductUpdated"]

    second = post(client, path, {**product_form("Mug, red", price="5.00"), "version": opened})
    assert second.status_code == 409
    assert "changed by someone else meanwhile" in second.text
    assert "Mug, red" in second.text  # what they typed is still there to copy
    assert [e for e in events(client) if e.type == "ProductUpdated"] == updates
    assert not [e for e in events(client) if e.type == "PriceChanged"]
    page = client.get(path).text
    assert "Mug, blue" in page
    assert "Mug, red" not in page

    reloaded = form_version(page)
    assert reloaded != opened
    again = post(client, path, {**product_form("Mug, red"), "version": reloaded})
    assert again.status_code == 303, again.text
    assert "Mug, red" in client.get(again.headers["location"]).text
