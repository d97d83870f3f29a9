"""The cart over HTTP in both modes (embedded: SQLite file; server: PostgreSQL + Redis):
pricing from the catalog, bad input, the guest-to-account merge and whose cart is whose, and
the number of lines a cart may hold."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from polyshop.api.rest.app import create_app
from polyshop.cart import domain
from polyshop.cart.domain import CartLine
from polyshop.catalog import commands
from polyshop.catalog.domain import ProductDraft, Variant
from polyshop.container import Container
from tests.e2e.shoppers import OPS, create_product, guest, login, make_client, register


def test_a_cart_is_priced_from_the_catalog(client: TestClient):
    create_product(client, "Mug", [("MUG-1", 10)], price=7.10)
    create_product(client, "Tea", [("TEA-1", 10)], price=3.35)
    shopper = guest(client)
    assert shopper.add("mug-1", 3).status_code == 201  # SKUs are case-insensitive
    response = shopper.add("TEA-1", 1)
    assert response.status_code == 201
    cart = response.json()
    assert [(i["sku"], i["quantity"], i["price"], i["subtotal"]) for i in cart["items"]] == [
        ("MUG-1", 3, 7.1, 21.3),
        ("TEA-1", 1, 3.35, 3.35),
    ]
    assert (cart["total"], cart["currency"], cart["item_count"]) == (24.65, "USD", 4)
    assert shopper.cart() == cart


def test_a_price_change_shows_at_once_and_is_flagged(client: TestClient):
    pid = create_product(client, "Lamp", [("LAMP-1", 5)], price=40.00)
    shopper = guest(client)
    shopper.add("LAMP-1", 2)
    assert shopper.cart()["total"] == 80.0  # now cached
    changed = client.patch(f"/api/v1/products/{pid}", json={"price": 35.50}, headers=OPS)
    assert changed.status_code == 200
    deadline = time.monotonic() + 2
    while (cart := shopper.cart())["total"] != 71.0 and time.monotonic() < deadline:
        time.sleep(0.02)
    (item,) = cart["items"]
    assert cart["total"] == 71.0
    assert (item["price"], item["price_when_added"], item["price_changed"]) == (35.5, 40.0, True)
    assert "35.50" in item["notice"]


def test_adding_by_product_id_takes_its_only_variant(client: TestClient):
    single = create_product(client, "Book", [("BOOK-1", 3)])
    several = create_product(client, "Shirt", [("SHIRT-S", 3), ("SHIRT-M", 3)])
    shopper = guest(client)
    added = shopper.post("/api/v1/cart/items", json={"product_id": single, "quantity": 1})
    assert added.status_code == 201
    ambiguous = shopper.post("/api/v1/cart/items", json={"product_id": several, "quantity": 1})
    assert ambiguous.status_code == 422
    assert "SHIRT-M" in ambiguous.json()["detail"]
    assert shopper.lines() == {"BOOK-1": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sku": "CUP-1", "quantity": 0}, "quantity"),
        ({"sku": "CUP-1", "quantity": -1}, "quantity"),
        ({"sku": "CUP-1", "quantity": 10**9}, "quantity"),
        ({"sku": "CUP-1", "quantity": 100}, "quantity"),
        ({"sku": "CUP-1", "quantity": "two"}, "quantity"),
        ({"sku": "CUP-1", "quantity": 1.5}, "quantity"),
        ({"sku": "NOPE-1", "quantity": 1}, "sku"),
        ({"sku": "not a sku!", "quantity": 1}, "sku"),
        ({"quantity": 1}, "body"),
        ({"product_id": "00000000-0000-0000-0000-000000000000", "quantity": 1}, "sku"),
        ({"sku": "CUP-1", "quantity": 1, "price": 0.01}, "price"),
    ],
)
def test_bad_additions_are_refused_and_change_nothing(client: TestClient, body: dict, field: str):
    create_product(client, "Cup", [("CUP-1", 500)])
    shopper = guest(client)
    shopper.add("CUP-1", 1)
    response = shopper.post("/api/v1/cart/items", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json().get("errors", [])} or field == "body"
    assert shopper.lines() == {"CUP-1": 1}


def test_more_than_99_of_one_sku_is_refused(client: TestClient):
    create_product(client, "Pen", [("PEN-1", 500)])
    shopper = guest(client)
    assert shopper.add("PEN-1", 90).status_code == 201
    refused = shopper.add("PEN-1", 10)
    assert refused.status_code == 422
    assert shopper.lines() == {"PEN-1": 90}


def test_the_soft_stock_check_names_what_is_available(client: TestClient):
    create_product(client, "Rare", [("RARE-1", 2)])
    shopper = guest(client)
    response = shopper.add("RARE-1", 3)
    assert response.status_code == 409
    assert response.json()["available"] == 2
    assert "only 2" in response.json()["detail"].lower()
    assert shopper.lines() == {}


def test_a_discontinued_product_cannot_be_added_and_leaves_the_total(client: TestClient):
    pid = create_product(client, "Fad", [("FAD-1", 5)], price=5.0)
    create_product(client, "Staple", [("STAPLE-1", 5)], price=2.0)
    shopper = guest(client)
    shopper.add("FAD-1", 1)
    shopper.add("STAPLE-1", 1)
    assert client.delete(f"/api/v1/products/{pid}", headers=OPS).status_code == 200
    assert guest(client).add("FAD-1", 1).status_code == 422
    deadline = time.monotonic() + 2
    while (cart := shopper.cart())["total"] != 2.0 and time.monotonic() < deadline:
        time.sleep(0.02)
    fad = next(item for item in cart["items"] if item["sku"] == "FAD-1")
    assert (cart["total"], fad["purchasable"]) == (2.0, False)


def test_change_and_remove_lines_and_clear_the_cart(client: TestClient):
    create_product(client, "Sock", [("SOCK-1", 50)])
    create_product(client, "Hat", [("HAT-1", 50)])
    shopper = guest(client)
    shopper.add("SOCK-1", 1)
    shopper.add("HAT-1", 1)
    changed = shopper.patch("/api/v1/cart/items/sock-1", json={"quantity": 4})
    assert changed.status_code == 200
    assert {i["sku"]: i["quantity"] for i in changed.json()["items"]} == {"SOCK-1": 4, "HAT-1": 1}
    assert shopper.patch("/api/v1/cart/items/SOCK-1", json={"quantity": 0}).status_code == 422
    assert shopper.patch("/api/v1/cart/items/NONE-1", json={"quantity": 2}).status_code == 404
    assert shopper.delete("/api/v1/cart/items/HAT-1").status_code == 200
    assert shopper.delete("/api/v1/cart/items/HAT-1").status_code == 404
    assert shopper.lines() == {"SOCK-1": 4}
    assert shopper.delete("/api/v1/cart").status_code == 204
    assert shopper.cart() == {"items": [], "total": 0.0, "currency": "USD", "item_count": 0}


def test_logging_in_merges_the_guest_cart_and_the_guest_cart_is_gone(client: TestClient):
    create_product(client, "Soap", [("SOAP-1", 50)])
    create_product(client, "Towel", [("TOWEL-1", 3)])
    register(client, "ann@example.com").add("SOAP-1", 2)
    visitor = guest(client)
    visitor.add("SOAP-1", 3)
    visitor.add("TOWEL-1", 3)
    ann = login(client, "ann@example.com", via=visitor)
    assert ann.lines() == {"SOAP-1": 5, "TOWEL-1": 3}
    assert visitor.get("/api/v1/cart").status_code == 401  # the guest token is revoked
    # Logging in again from another guest: quantities add, capped by what is available.
    other = guest(client)
    other.add("TOWEL-1", 2)
    assert login(client, "ann@example.com", via=other).lines() == {"SOAP-1": 5, "TOWEL-1": 3}


def test_signing_up_from_a_guest_session_keeps_the_cart(client: TestClient):
    create_product(client, "Kite", [("KITE-1", 5)])
    visitor = guest(client)
    visitor.add("KITE-1", 2)
    assert register(client, "new@example.com", via=visitor).lines() == {"KITE-1": 2}


def test_a_session_reaches_only_its_own_cart(client: TestClient):
    create_product(client, "Ring", [("RING-1", 50)])
    ann, bob = register(client, "ann@example.com"), register(client, "bob@example.com")
    visitor = guest(client)
    ann.add("RING-1", 2)
    assert bob.lines() == {}
    assert visitor.lines() == {}
    # Bob tries to change and remove Ann's line, and to clear "the" cart: only his changes.
    assert bob.patch("/api/v1/cart/items/RING-1", json={"quantity": 9}).status_code == 404
    assert bob.delete("/api/v1/cart/items/RING-1").status_code == 404
    assert bob.delete("/api/v1/cart").status_code == 204
    assert visitor.delete("/api/v1/cart").status_code == 204
    assert ann.lines() == {"RING-1": 2}
    # Ann's cart follows Ann to a new session, not Bob.
    assert login(client, "ann@example.com").lines() == {"RING-1": 2}
    assert bob.get("/api/v1/me").json()["email"] == "bob@example.com"


def test_cart_calls_need_a_session(client: TestClient):
    create_product(client, "Bell", [("BELL-1", 5)])
    anonymous = client.post("/api/v1/cart/items", json={"sku": "BELL-1", "quantity": 1})
    assert anonymous.status_code == 401
    forged = client.get("/api/v1/cart", headers={"Authorization": "Bearer forged-token"})
    assert forged.status_code == 401


def test_an_abandoned_cart_expires(backend: str, container_for: Callable[..., Container]):
    container = container_for(backend, cart_ttl=1.0)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        create_product(client, "Fig", [("FIG-1", 5)])
        shopper = guest(client)
        shopper.add("FIG-1", 2)
        assert shopper.lines() == {"FIG-1": 2}
        time.sleep(1.3)
        assert shopper.lines() == {}


def import_items(client: TestClient, count: int, prefix: str = "ITEM") -> list[str]:
    """`count` one-variant products in one transaction (as the HTTP route would make them)."""
    container: Container = client.container  # type: ignore[attr-defined]
    skus = [f"{prefix}-{i:03d}" for i in range(count)]
    commands.import_products(
        container.machinery.store,
        [
            (
                ProductDraft(
                    name=f"Item {code}",
                    description="An item for tests.",
                    brand="Acme",
                    category="test/things",
                    price=Decimal("1.10") + i,
                    variants=(Variant(code),),
                ),
                {code: 50},
            )
            for i, code in enumerate(skus)
        ],
    )
    return skus


def test_the_line_past_the_limit_is_refused_naming_it_and_changes_nothing(client: TestClient):
    skus = import_items(client, domain.MAX_LINES + 1)
    shopper = guest(client)
    for code in skus[:-1]:
        assert shopper.add(code).status_code == 201
    full = shopper.cart()
    assert len(full["items"]) == 250

    refused = shopper.add(skus[-1])
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert (problem["type"], problem["max_lines"]) == ("/problems/cart-full", 250)
    assert problem["errors"][0]["field"] == "sku"
    assert "at most 250 different items" in problem["detail"]
    assert shopper.cart() == full
    # More of a line the cart holds is still an add, and leaves room for nothing new.
    more = shopper.add(skus[0], 2)
    assert more.status_code == 201
    assert more.json()["items"][0]["quantity"] == 3
    assert shopper.add(skus[-1]).status_code == 422


def test_the_number_of_lines_is_a_setting(backend: str, container_for: Callable[..., Container]):
    with make_client(container_for, backend, cart_max_lines=3) as client:
        skus = import_items(client, 4)
        shopper = guest(client)
        for code in skus[:3]:
            assert shopper.add(code).status_code == 201
        refused = shopper.add(skus[3])
        assert (refused.status_code, refused.json()["max_lines"]) == (422, 3)
        assert set(shopper.lines()) == set(skus[:3])


def test_a_guest_cart_merged_at_login_keeps_the_cart_within_its_lines(
    backend: str, container_for: Callable[..., Container]
):
    with make_client(container_for, backend, cart_max_lines=3) as client:
        a, b, c, d = import_items(client, 4)
        ann = register(client, "ann@example.com")
        ann.add(a)
        ann.add(b)
        visitor = guest(client)
        for code in (c, d, a):
            assert visitor.add(code).status_code == 201
        # Ann's lines stay, A gains the guest's unit, and of C and D only C (chosen first)
        # fits.
        assert login(client, "ann@example.com", via=visitor).lines() == {a: 2, b: 1, c: 1}


def test_an_add_answers_the_cart_as_pricing_it_whole_would(client: TestClient):
    skus = import_items(client, 30)
    shopper = guest(client)
    answers = [shopper.add(code, 1 + i % 3).json() for i, code in enumerate(skus)]
    answers += [shopper.add(code, 2).json() for code in skus[::7]]
    last = answers[-1]
    assert shopper.cart() == last
    assert len(last["items"]) == 30
    # Void the kept views: the next read prices every line again from the catalog.
    container: Container = client.container  # type: ignore[attr-defined]
    container.carts.store.drop_views_for({item["product_id"] for item in last["items"]})
    assert shopper.cart() == last
    expected_total = sum(
        (Decimal("1.10") + i) * (1 + i % 3 + (2 if i % 7 == 0 else 0)) for i in range(30)
    )
    assert Decimal(str(last["total"])) == expected_total
    assert last["item_count"] == sum(1 + i % 3 + (2 if i % 7 == 0 else 0) for i in range(30))


def test_pricing_carts_of_any_size_runs_one_statement(client: TestClient):
    """A statement per number of SKUs would be prepared and kept by every pooled connection
    for every cart size it priced: the memory an embedded shop grew by and never gave back."""
    skus = import_items(client, 12)
    shoppers = [guest(client) for _ in skus]
    for size, shopper in enumerate(shoppers, start=1):
        for code in skus[:size]:
            assert shopper.add(code).status_code == 201
    container: Container = client.container  # type: ignore[attr-defined]
    products = {item["product_id"] for item in shoppers[-1].cart()["items"]}
    container.carts.store.drop_views_for(products)  # every cart is priced whole again
    seen: set[str] = set()

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "catalog_variants" in statement and "inventory_stock" in statement:
            seen.add(statement)

    engine = container.machinery.store.read_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for size, shopper in enumerate(shoppers, start=1):
            assert len(shopper.cart()["items"]) == size
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(seen) == 1


@pytest.mark.parametrize("other", ["another line", "the same line"])
def test_a_write_between_reading_the_cart_and_adding_is_never_hidden(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, other: str
):
    """An add patches the view of the revision it read; a write that lands between that
    read and the add (another tab) must show in the next read of the cart."""
    a, b, c = import_items(client, 3)
    shopper = guest(client)
    shopper.add(a)
    shopper.add(a)  # a view is kept now
    product_of = {item["sku"]: item["product_id"] for item in guest_cart(client, [b, c])}
    container: Container = client.container  # type: ignore[attr-defined]
    store = container.carts.store
    real_add = store.add
    meanwhile = c if other == "another line" else b

    def add_after_another_tab(owner: str, line: CartLine, limit: int, max_lines: int) -> int:
        if line.sku == b:
            real_add(owner, replace(line, sku=meanwhile, product_id=product_of[meanwhile]), 99, 9)
        return real_add(owner, line, limit, max_lines)

    monkeypatch.setattr(store, "add", add_after_another_tab)
    added = shopper.add(b)
    monkeypatch.undo()
    expected = {a: 2, b: 1, c: 1} if other == "another line" else {a: 2, b: 2}
    if other == "the same line":  # the answer shows the other tab's unit too
        assert {i["sku"]: i["quantity"] for i in added.json()["items"]} == expected
    assert shopper.lines() == expected
    assert shopper.add(a).json()["items"] == shopper.cart()["items"]
    assert shopper.lines() == {**expected, a: 3}


def guest_cart(client: TestClient, skus: list[str]) -> list[dict]:
    """The items of a new guest's cart holding one of each of `skus`."""
    shopper = guest(client)
    for code in skus:
        shopper.add(code)
    return shopper.cart()["items"]


def test_a_cart_expiring_while_an_item_is_added_shows_only_that_item(
    backend: str, container_for: Callable[..., Container], monkeypatch: pytest.MonkeyPatch
):
    """The add read a view of the old cart; the cart expired before the write, which started
    it again: the old lines must not come back with the view."""
    with make_client(container_for, backend, cart_ttl=1.0) as client:
        a, b = import_items(client, 2)
        shopper = guest(client)
        shopper.add(a)
        shopper.add(a)  # a view is kept now
        store = client.container.carts.store  # type: ignore[attr-defined]
        real_add = store.add

        def add_after_expiry(owner: str, line: CartLine, limit: int, max_lines: int) -> int:
            time.sleep(1.2)
            return real_add(owner, line, limit, max_lines)

        monkeypatch.setattr(store, "add", add_after_expiry)
        added = shopper.add(b)
        monkeypatch.undo()
        assert [(i["sku"], i["quantity"]) for i in added.json()["items"]] == [(b, 1)]
        assert shopper.lines() == {b: 1}
