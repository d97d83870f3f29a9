"""The admin's catalog over HTTP, on both backends: the product list and its filters,
creating and editing products with variants and attributes, images, discontinuing, the CSV
import with its report; refusals (a customer, a missing CSRF token, a bad field) that
change nothing."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from polyshop.api.web.storefront.security import CSRF_COOKIE
from tests.e2e.admin_catalog_steps import (
    created_id,
    events,
    jpeg,
    post,
    product_form,
    shop,
    signs_in,
    skus_created,
    token,
)


def test_an_admin_creates_edits_and_discontinues_a_product(client: TestClient):
    signs_in(client, "boss@example.com")
    made = post(
        client,
        "/admin/products/new",
        product_form("Linen shirt", ("shirt-s", "S", "4"), ("SHIRT-M", "M", "0")),
    )
    product_id = created_id(client, made)

    page = client.get(made.headers["location"])
    assert page.status_code == 200
    assert "Product created." in page.text
    assert "SHIRT-S" in page.text
    assert "SHIRT-M" in page.text
    document = shop(client).catalog.product_document(product_id)
    assert document is not None
    assert document["attributes"] == {"material": "cotton"}
    assert document["tags"] == ["cotton", "summer"]

    edit = product_form("Linen shirt, blue", ("SHIRT-L", "L", "2"), price="24.50")
    del edit["attr_name_0"], edit["attr_value_0"]
    saved = post(client, f"/admin/products/{product_id}", edit)
    assert saved.status_code == 303, saved.text
    page = client.get(saved.headers["location"])
    assert "Linen shirt, blue" in page.text
    assert "SHIRT-L" in page.text
    assert "$24.50" in page.text
    document = shop(client).catalog.product_document(product_id)
    assert document is not None
    assert document["attributes"] == {}

    gone = post(client, f"/admin/products/{product_id}/discontinue", {})
    assert gone.status_code == 303
    assert "discontinued" in client.get(gone.headers["location"]).text
    listed = client.get("/admin/products", params={"status": "discontinued", "q": "linen"})
    assert "Linen shirt, blue" in listed.text


def test_a_bad_form_shows_each_reason_beside_its_field_and_writes_nothing(client: TestClient):
    signs_in(client, "boss@example.com")
    head = shop(client).machinery.store.head()

    refused = post(
        client,
        "/admin/products/new",
        product_form("Mug", ("MUG 1", "", "3"), ("MUG-2", "", "-1"), price="9.999"),
    )

    assert refused.status_code == 422
    html = refused.text
    assert 'id="e-price"' in html
    assert "two decimals" in html
    assert 'id="e-v_sku_0"' in html
    assert 'id="e-v_stock_1"' in html
    assert 'value="Mug"' in html  # what was typed stays
    assert shop(client).machinery.store.head() == head


def test_a_taken_sku_refuses_the_whole_edit(client: TestClient):
    signs_in(client, "boss@example.com")
    first = created_id(
        client, post(client, "/admin/products/new", product_form("Cap", ("CAP-1", "", "1")))
    )
    second = created_id(
        client, post(client, "/admin/products/new", product_form("Hat", ("HAT-1", "", "1")))
    )
    head = shop(client).machinery.store.head()

    edit = product_form("Hat, renamed", ("cap-1", "", "1"))
    refused = post(client, f"/admin/products/{second}", edit)

    assert refused.status_code == 422
    assert "CAP-1 is already in the catalog" in refused.text
    assert shop(client).machinery.store.head() == head
    document = shop(client).catalog.product_document(second)
    assert document is not None
    assert document["name"] == "Hat"
    assert first != second


def test_images_are_uploaded_described_ordered_and_removed(client: TestClient):
    signs_in(client, "boss@example.com")
    product_id = created_id(
        client, post(client, "/admin/products/new", product_form("Vase", ("VASE-1", "", "2")))
    )
    path = f"/admin/products/{product_id}/images"

    for alt in ("Front of the vase", "Side of the vase"):
        sent = client.post(
            path,
            data={"csrf": token(client), "alt": alt},
            files={"file": ("vase.jpg", jpeg(), "image/jpeg")},
            follow_redirects=False,
        )
        assert sent.status_code == 303, sent.text
    images = shop(client).catalog.images_of(product_id)
    assert [i.alt for i in images] == ["Front of the vase", "Side of the vase"]

    second = images[1].id
    assert post(client, f"{path}/{second}", {"action": "primary"}).status_code == 303
    assert shop(client).catalog.images_of(product_id)[0].id == second
    renamed = post(client, f"{path}/{second}", {"action": "save", "alt": "Side", "position": "2"})
    assert renamed.status_code == 303
    assert [i.alt for i in shop(client).catalog.images_of(product_id)] == [
        "Front of the vase",
        "Side",
    ]
    page = client.get(f"/admin/products/{product_id}").text
    assert 'alt="Side"' in page

    assert post(client, f"{path}/{second}", {"action": "remove"}).status_code == 303
    assert len(shop(client).catalog.images_of(product_id)) == 1

    refused = client.post(
        path,
        data={"csrf": token(client), "alt": "x"},
        files={"file": ("notes.jpg", b"not an image at all", "image/jpeg")},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert 'id="upload-error"' in refused.text
    assert len(shop(client).catalog.images_of(product_id)) == 1


CSV = (
    "product,name,brand,category,price,sku,size,color,stock,tags,attr:material\n"
    "tee,Import tee,Acme,clothing/tops,19.99,IMP-TEE-S,S,red,5,cotton|summer,cotton\n"
    "tee,,,,,IMP-TEE-M,M,red,7,,\n"
    "mug,Import mug,Acme,kitchen,8.50,IMP-MUG-1,,,3,,\n"
    "mug,,,,,IMP MUG 2,,,3,,\n"
    "cup,Import cup,Acme,Kitchen Stuff,4,IMP-CUP-1,,,1,,\n"
)


def _report(client: TestClient, location: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page = client.get(location)
        assert page.status_code == 200, page.text
        if "Import report" in page.text:
            return page.text
        assert "<progress" in page.text
        assert 'http-equiv="refresh"' in page.text
        time.sleep(0.2)
    raise AssertionError("the import did not finish")


def test_a_csv_import_reports_bad_rows_and_imports_only_whole_good_products(
    client: TestClient,
):
    signs_in(client, "boss@example.com")

    started = client.post(
        "/admin/products/import",
        data={"csrf": token(client)},
        files={"file": ("catalog.csv", CSV.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    report = _report(client, started.headers["location"])

    assert "1 product imported" in report
    assert "2 products not imported" in report
    assert '<th scope="row">5</th>' in report  # the mug's bad SKU, row 5
    assert '<th scope="row">4</th>' in report  # its good row, held back with it
    assert '<th scope="row">6</th>' in report  # the cup's category
    assert "is not a category path" in report
    created = skus_created(client)
    assert {"IMP-TEE-S", "IMP-TEE-M"} <= created
    assert not {"IMP-MUG-1", "IMP-CUP-1"} & created  # nothing of the bad products is in the log


def test_a_file_that_cannot_be_an_import_is_refused_beside_the_field(client: TestClient):
    signs_in(client, "boss@example.com")
    head = shop(client).machinery.store.head()

    refused = client.post(
        "/admin/products/import",
        data={"csrf": token(client)},
        files={"file": ("catalog.csv", b"name,price\nMug,8\n", "text/csv")},
    )

    assert refused.status_code == 422
    assert "lacks the column" in refused.text
    assert shop(client).machinery.store.head() == head


def test_the_list_finds_products_by_sku_and_name_and_filters(client: TestClient):
    signs_in(client, "boss@example.com")
    for name, sku, stock in (("Blue kettle", "KET-1", "0"), ("Red kettle", "KET-2", "4")):
        created_id(
            client, post(client, "/admin/products/new", product_form(name, (sku, "", stock)))
        )
    wait = {"min_position": str(shop(client).machinery.store.head())}

    by_sku = client.get("/admin/products", params={**wait, "q": "ket-2"}).text
    assert "Red kettle" in by_sku
    assert "Blue kettle" not in by_sku
    by_name = client.get("/admin/products", params={**wait, "q": "blue"}).text
    assert "Blue kettle" in by_name
    out = client.get("/admin/products", params={**wait, "stock": "no"}).text
    assert "Blue kettle" in out
    assert "Red kettle" not in out
    bad = client.get("/admin/products", params={"category": "Not A Path!"})
    assert 'id="category-error"' in bad.text


CATALOG_PAGES = ["/admin/products", "/admin/products/new", "/admin/products/import"]


@pytest.mark.parametrize("page", CATALOG_PAGES)
def test_a_customer_is_refused_every_catalog_page(client: TestClient, page: str):
    signs_in(client, "shopper@example.com", admin=False)
    refused = client.get(page)
    assert refused.status_code == 403
    assert "Admins only" in refused.text


def test_a_customer_and_a_post_without_its_token_change_nothing(client: TestClient):
    signs_in(client, "boss@example.com")
    product_id = created_id(
        client, post(client, "/admin/products/new", product_form("Lamp", ("LAMP-1", "", "1")))
    )
    head = shop(client).machinery.store.head()
    forged = client.post(
        "/admin/products/new", data=product_form("Forged", ("F-1", "", "1")), follow_redirects=False
    )
    assert forged.status_code == 403

    client.cookies.clear()
    signs_in(client, "shopper@example.com", admin=False)
    head = shop(client).machinery.store.head()
    client.cookies.set(CSRF_COOKIE, "c" * 32)
    csrf = client.app.state.storefront.csrf.token_for("c" * 32)  # type: ignore[attr-defined]
    posts = [
        ("/admin/products/new", product_form("Sneaky", ("S-1", "", "1"))),
        (f"/admin/products/{product_id}", product_form("Sneaky")),
        (f"/admin/products/{product_id}/discontinue", {}),
        (f"/admin/products/{product_id}/images/x", {"action": "remove"}),
        ("/admin/products/import", {}),
    ]
    for path, data in posts:
        refused = client.post(path, data={"csrf": csrf, **data}, follow_redirects=False)
        assert refused.status_code == 403, path
    assert shop(client).machinery.store.head() == head
    assert [
        e for e in events(client) if e.type == "ProductCreated" and "Sneaky" in str(e.data)
    ] == []
