"""The CSV import's bounds, on both backends: two imports run at once in a process and a
third is refused (429, nothing of it imported), and finished jobs are forgotten oldest
first once more than `keep` are remembered."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from polyshop.catalog.service import Catalog, NewProduct
from tests.e2e.admin_catalog_steps import shop, signs_in, skus_created, token

HEADER = "product,name,brand,category,price,sku,stock\n"


class HeldCatalog:
    """The shop's catalog, each product waiting for `go`: imports that stay running."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.go = threading.Event()

    def create_product(self, product: NewProduct) -> Any:
        assert self.go.wait(20)
        return self.catalog.create_product(product)


def upload(client: TestClient, sku: str) -> Any:
    csv = f"{HEADER}p,Item {sku},Acme,kitchen,3.00,{sku},1\n"
    return client.post(
        "/admin/products/import",
        data={"csrf": token(client)},
        files={"file": ("items.csv", csv.encode(), "text/csv")},
        follow_redirects=False,
    )


def finished(client: TestClient, location: str) -> None:
    deadline = time.monotonic() + 20
    while "Import report" not in client.get(location).text:
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.1)


def test_a_third_import_waits_for_one_of_two_and_old_reports_are_forgotten(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    signs_in(client, "boss@example.com")
    imports = shop(client).catalog_admin.imports
    held = HeldCatalog(shop(client).catalog)
    monkeypatch.setattr(imports, "_catalog", held)
    monkeypatch.setattr(imports, "_keep", 1)

    first, second = upload(client, "LIM-1"), upload(client, "LIM-2")
    assert [first.status_code, second.status_code] == [303, 303]
    third = upload(client, "LIM-3")
    assert third.status_code == 429
    assert "Nothing was imported: 2 imports are running already" in third.text

    held.go.set()
    finished(client, first.headers["location"])
    finished(client, second.headers["location"])
    fourth = upload(client, "LIM-4")
    assert fourth.status_code == 303, fourth.text
    finished(client, fourth.headers["location"])
    assert {"LIM-1", "LIM-2", "LIM-4"} <= skus_created(client)
    assert "LIM-3" not in skus_created(client)
    # Two finished jobs when the fourth started, one kept: the first report is forgotten.
    assert client.get(first.headers["location"]).status_code == 404
    assert client.get(second.headers["location"]).status_code == 200
    client.cookies.clear()
