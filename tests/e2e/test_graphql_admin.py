"""GraphQL admin fields on both databases: only admins (the operator token or an admin
user) reach them, and they write through the same services and rules as REST: products
read back through REST, stock, the order lifecycle, images, and REST's refusals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from polyshop.accounts import commands
from polyshop.accounts.domain import Role
from polyshop.container import Container
from tests.e2e.admin_catalog_steps import events
from tests.e2e.graphql import gql
from tests.e2e.shoppers import (
    OPS,
    Shopper,
    create_product,
    login,
    make_client,
    register,
    webhook,
)
from tests.e2e.test_media_http import jpeg
from tests.e2e.test_orders_http import log_size, place

OPERATOR = "test-ops-token"
PRODUCT = {
    "name": "Trail Runner",
    "description": "A light shoe.",
    "brand": "Acme",
    "category": "Shoes/Running",
    "price": 89.9,
    "tags": ["outdoor"],
    "attributes": {"material": "mesh"},
    "variants": [
        {"sku": "tra-42", "size": "42", "stock": 5},
        {"sku": "TRA-43", "size": "43", "priceAdjustment": 5},
    ],
}
CREATE = """mutation($input: ProductInput!) { createProduct(input: $input) {
  __typename ... on ProductWritten { productId position }
  ... on Problem { type status: httpStatus detail }
  ... on ValidationError { errors { field message } } } }"""
LIFECYCLE = """
  __typename ... on OrderChanged { position order { id status trackingNumber
    events { type actor } } }
  ... on Problem { type status: httpStatus detail } ... on ValidationError { errors { field } }"""
#: One operation of every kind, with the root field each answers on.
MUTATIONS = {
    "createProduct": 'createProduct(input: {name: "X", brand: "B", category: "c", '
    'price: 1, variants: [{sku: "NEW-1"}]})',
    "updateProduct": 'updateProduct(id: "$PID", input: {price: 1})',
    "discontinueProduct": 'discontinueProduct(id: "$PID")',
    "adjustStock": 'adjustStock(sku: "LAMP-1", delta: 100, reason: "found")',
    "startImageUpload": 'startImageUpload(productId: "$PID", contentType: "image/jpeg")',
    "attachImageUpload": 'attachImageUpload(productId: "$PID", uploadId: "u1")',
    "updateImage": 'updateImage(productId: "$PID", imageId: "i1", alt: "x")',
    "removeImage": 'removeImage(productId: "$PID", imageId: "i1")',
    "shipOrder": 'shipOrder(id: "$OID", trackingNumber: "1Z")',
    "deliverOrder": 'deliverOrder(id: "$OID")',
    "refundOrder": 'refundOrder(id: "$OID")',
}
QUERIES = {
    "inventory": 'inventory(sku: "LAMP-1") { onHand }',
    "orders": "orders { totalCount edges { node { id } } }",
    "projections": "projections { name }",
}


def admin(client: TestClient, operation: str, **variables: Any) -> dict[str, Any]:
    """The operation's `data`, asked with the operator token."""
    data: dict[str, Any] = gql(client, operation, variables, token=OPERATOR)["data"]
    return data


def paid_order(client: TestClient, email: str = "ann@example.com") -> tuple[Shopper, str]:
    """A customer's order of one LAMP-1 (40.00), paid through the signed webhook."""
    customer = register(client, email)
    assert customer.add("LAMP-1", 1).status_code == 201
    order_id = place(customer).json()["order_id"]
    paid = webhook(
        client, {"order_id": order_id, "payment_id": "pay-1", "amount": 40.0, "status": "succeeded"}
    )
    assert paid.status_code == 200, paid.text
    return customer, order_id


def mutate(client: TestClient, field: str, token: str | None, pid: str, oid: str) -> dict:
    """`field` called on product `pid` or order `oid`: its typename, problem type and status."""
    call = MUTATIONS[field].replace("$PID", pid).replace("$OID", oid)
    body = gql(
        client,
        f"mutation {{ {call} {{ __typename ... on Problem {{ type status: httpStatus }} }} }}",
        token=token,
    )
    return body["data"][field]


def test_anonymous_and_customers_are_refused_every_admin_field_and_nothing_changes(client):
    pid = create_product(client, "Lamp", [("LAMP-1", 5)], price=40.0)
    customer, oid = paid_order(client)
    before = log_size(client)
    head = client.container.machinery.store.last_position()  # type: ignore[attr-defined]

    for token, status, kind in ((None, 401, "unauthenticated"), (customer.token, 403, "forbidden")):
        for field in MUTATIONS:
            answer = mutate(client, field, token, pid, oid)
            assert answer == {
                "__typename": "NotAllowed",
                "type": f"/problems/{kind}",
                "status": status,
            }, field
        for field, selection in QUERIES.items():
            body = gql(client, f"{{ {selection} }}", token=token, expect_errors=True)
            assert body["data"] is None, field
            (error,) = body["errors"]
            assert (error["path"], error["extensions"]["status"]) == ([field], status)

    assert log_size(client) == before
    stock = client.get("/api/v1/inventory/LAMP-1", headers=OPS).json()
    assert (stock["on_hand"], stock["reserved"]) == (4, 0)  # the paid unit left; no +100
    # the order history is a read model: read it once it holds the payment
    order = customer.get(f"/api/v1/orders/{oid}", params={"min_position": head}).json()
    assert (order["status"], order["tracking_number"]) == ("paid", None)
    assert client.get(f"/api/v1/products/{pid}").json()["status"] == "active"


def test_an_admin_user_and_the_operator_reach_the_admin_fields(client):
    register(client, "boss@example.com")
    commands.set_role(client.container.machinery.store, "boss@example.com", Role.ADMIN)  # type: ignore[attr-defined]
    boss = login(client, "boss@example.com")

    for token in (boss.token, OPERATOR):
        names = {
            p["name"]
            for p in gql(client, "{ projections { name } }", token=token)["data"]["projections"]
        }
        assert {"order_history", "product_documents"} <= names
    projections = gql(
        client,
        "{ projections { name state position head lagEvents lagSeconds error } }",
        token=boss.token,
    )["data"]["projections"]
    rest = client.get("/api/v1/admin/projections", headers=OPS).json()["projections"]
    assert [p["name"] for p in projections] == [p["name"] for p in rest]
    assert all(p["state"] in {"catching_up", "live"} and p["error"] is None for p in projections)


def test_a_product_created_changed_and_discontinued_reads_back_through_rest(client):
    created = admin(client, CREATE, input=PRODUCT)["createProduct"]
    assert created["__typename"] == "ProductWritten"
    pid = created["productId"]

    doc = client.get(f"/api/v1/products/{pid}", params={"min_position": created["position"]}).json()
    assert (doc["name"], doc["category"], doc["price"], doc["attributes"]) == (
        "Trail Runner",
        "shoes/running",
        89.9,
        {"material": "mesh"},
    )
    assert [(v["sku"], v["price"], v["available"]) for v in doc["variants"]] == [
        ("TRA-42", 89.9, 5),
        ("TRA-43", 94.9, 0),
    ]

    update = """mutation($id: ID!) { updateProduct(id: $id, input: {price: 79.5, name: "Runner II",
      variants: [{sku: "TRA-44", stock: 2}]}) { ... on ProductWritten { position } } }"""
    updated = admin(client, update, id=pid)["updateProduct"]
    doc = client.get(f"/api/v1/products/{pid}", params={"min_position": updated["position"]}).json()
    assert (doc["name"], doc["price"]) == ("Runner II", 79.5)
    assert [v["sku"] for v in doc["variants"]] == ["TRA-42", "TRA-43", "TRA-44"]

    discontinue = (
        "mutation($id: ID!) { discontinueProduct(id: $id) { ... on ProductWritten { position } } }"
    )
    gone = admin(client, discontinue, id=pid)["discontinueProduct"]
    doc = client.get(f"/api/v1/products/{pid}", params={"min_position": gone["position"]}).json()
    assert doc["status"] == "discontinued"


def test_an_admins_catalog_and_stock_writes_name_the_admin_as_rest_and_the_pages_do(client):
    register(client, "boss@example.com")
    commands.set_role(client.container.machinery.store, "boss@example.com", Role.ADMIN)  # type: ignore[attr-defined]
    boss = login(client, "boss@example.com")
    boss_id = boss.get("/api/v1/me").json()["id"]
    created = gql(client, CREATE, {"input": PRODUCT}, token=boss.token)["data"]["createProduct"]
    adjust = 'mutation { adjustStock(sku: "TRA-42", delta: 3, reason: "found") { __typename } }'
    assert gql(client, adjust, token=boss.token)["data"]["adjustStock"]["__typename"] == (
        "StockAdjusted"
    )

    ledger = client.container.inventory.get_ledger("TRA-42", limit=1)  # type: ignore[attr-defined]
    assert [(line.actor, line.reason, line.on_hand_delta) for line in ledger] == [
        (f"user:{boss_id}", "found", 3)
    ]
    made = [e for e in events(client) if e.type == "ProductCreated"]
    assert made[-1].data["product_id"] == created["productId"]
    assert made[-1].metadata.actor == f"user:{boss_id}"


def test_a_taken_sku_is_a_conflict_naming_it_and_writes_nothing(client):
    create_product(client, "Lamp", [("LAMP-1", 5)])
    before = log_size(client)
    taken = {**PRODUCT, "variants": [{"sku": "lamp-1"}, {"sku": "NEW-1"}]}

    answer = admin(client, CREATE, input=taken)["createProduct"]
    rest = client.post(
        "/api/v1/products",
        json={**taken, "variants": [{"sku": "lamp-1"}, {"sku": "NEW-2"}]},
        headers=OPS,
    ).json()

    assert answer["__typename"] == "Conflict"
    assert (
        (answer["type"], answer["status"])
        == (rest["type"], 409)
        == ("/problems/duplicate-sku", 409)
    )
    assert "LAMP-1" in answer["detail"]
    assert log_size(client) == before


@pytest.mark.parametrize(
    ("change", "field", "rest_field"),
    [
        ({"price": 1.234}, "price", "price"),
        ({"category": "a/b/c/d/e/f/g"}, "category", "category"),
        (
            {"variants": [{"sku": "OK-1", "priceAdjustment": -0.001}]},
            "variants.0.priceAdjustment",
            "variants.0.price_adjustment",
        ),
        ({"variants": [{"sku": "OK-1", "stock": -1}]}, "variants.0.stock", "variants.0.stock"),
        ({"variants": []}, "variants", "variants"),
    ],
)
def test_invalid_input_is_a_validation_error_naming_the_field_with_rests_message(
    client, change, field, rest_field
):
    before = log_size(client)
    answer = admin(client, CREATE, input={**PRODUCT, **change})["createProduct"]
    rest_body = {**PRODUCT, **change}
    rest_body["variants"] = [
        {("price_adjustment" if k == "priceAdjustment" else k): v for k, v in variant.items()}
        for variant in rest_body["variants"]
    ]
    rest = client.post("/api/v1/products", json=rest_body, headers=OPS).json()

    assert answer["__typename"] == "ValidationError", answer
    assert (answer["type"], answer["status"]) == ("/problems/validation-error", 422)
    assert [e["field"] for e in answer["errors"]] == [field]
    assert [e["field"] for e in rest["errors"]] == [rest_field]
    assert answer["errors"][0]["message"] == rest["errors"][0]["message"]
    assert log_size(client) == before


def test_stock_is_read_and_adjusted_and_refused_as_rest_refuses(client):
    create_product(client, "Lamp", [("LAMP-1", 5)], price=40.0)
    paid_order(client)
    register(client, "bob@example.com").add("LAMP-1", 1)
    adjust = """mutation($sku: String!, $delta: Int!, $reason: String!) {
      adjustStock(sku: $sku, delta: $delta, reason: $reason) {
        __typename ... on StockAdjusted { sku onHand reserved available position }
        ... on Problem { type status: httpStatus detail }
        ... on ValidationError { errors { field } } } }"""

    added = admin(client, adjust, sku="lamp-1", delta=6, reason="delivery")["adjustStock"]
    assert (added["onHand"], added["reserved"]) == (10, 0)
    level = admin(client, '{ inventory(sku: "LAMP-1") { sku onHand reserved available } }')
    assert level["inventory"] == {
        "sku": "LAMP-1",
        "onHand": 10,
        "reserved": 0,
        "available": 10,
    }
    assert client.get("/api/v1/inventory/LAMP-1", headers=OPS).json()["on_hand"] == 10

    blank = admin(client, adjust, sku="LAMP-1", delta=1, reason="  ")["adjustStock"]
    assert blank["errors"] == [{"field": "reason"}]
    refused = admin(client, adjust, sku="LAMP-1", delta=-11, reason="x")["adjustStock"]
    rest = client.post(
        "/api/v1/inventory/LAMP-1/adjust", json={"delta": -11, "reason": "x"}, headers=OPS
    ).json()
    assert (refused["__typename"], refused["type"], refused["detail"]) == (
        "Conflict",
        rest["type"],
        rest["detail"],
    )
    unknown = admin(client, adjust, sku="NOPE-1", delta=1, reason="x")["adjustStock"]
    assert unknown["type"] == "/problems/sku-not-found"
    missing = gql(
        client, '{ inventory(sku: "NOPE-1") { onHand } }', token=OPERATOR, expect_errors=True
    )
    assert missing["errors"][0]["extensions"]["status"] == 404


def test_an_admin_ships_delivers_and_refunds_an_order_and_finds_it_by_filters(client):
    create_product(client, "Lamp", [("LAMP-1", 5)], price=40.0)
    customer, oid = paid_order(client)
    me = customer.get("/api/v1/me").json()["id"]
    listing = """query($status: String, $user: String, $at: Int) {
      orders(status: $status, userId: $user, minPosition: $at, first: 10) {
        totalCount edges { node { id status total } } } }"""

    head = client.container.machinery.store.head()  # type: ignore[attr-defined]
    paid = admin(client, listing, status="paid", user=me, at=head)["orders"]
    assert [e["node"] for e in paid["edges"]] == [{"id": oid, "status": "paid", "total": 40.0}]

    ship = 'mutation($id: ID!) { shipOrder(id: $id, trackingNumber: "1Z999") {' + LIFECYCLE + "} }"
    shipped = admin(client, ship, id=oid)["shipOrder"]
    assert (shipped["order"]["status"], shipped["order"]["trackingNumber"]) == ("shipped", "1Z999")
    assert shipped["order"]["events"][-1] == {"type": "OrderShipped", "actor": "operator"}
    seen = customer.get(
        f"/api/v1/orders/{oid}", params={"min_position": shipped["position"]}
    ).json()
    assert seen["status"] == "shipped"

    deliver = "mutation($id: ID!) { deliverOrder(id: $id) {" + LIFECYCLE + "} }"
    assert admin(client, deliver, id=oid)["deliverOrder"]["order"]["status"] == "delivered"
    refund = 'mutation($id: ID!) { refundOrder(id: $id, reason: "broken") {' + LIFECYCLE + "} }"
    refunded = admin(client, refund, id=oid)["refundOrder"]
    assert refunded["order"]["status"] == "refunded"

    found = admin(client, listing, status="refunded", at=refunded["position"])["orders"]
    assert [e["node"]["id"] for e in found["edges"]] == [oid]
    assert admin(client, listing, status="paid")["orders"]["totalCount"] == 0
    wrong = gql(client, listing, {"status": "lost"}, token=OPERATOR, expect_errors=True)
    assert wrong["errors"][0]["extensions"]["status"] == 422
    assert "status" in wrong["errors"][0]["message"]


def test_an_invalid_transition_is_a_conflict_with_the_facts_rest_gives(client):
    create_product(client, "Lamp", [("LAMP-1", 5)], price=40.0)
    customer = register(client, "ann@example.com")
    customer.add("LAMP-1", 1)
    unpaid = place(customer).json()["order_id"]
    before = log_size(client)

    deliver = "mutation($id: ID!) { deliverOrder(id: $id) {" + LIFECYCLE + "} }"
    answer = admin(client, deliver, id=unpaid)["deliverOrder"]
    rest = client.post(f"/api/v1/orders/{unpaid}/deliver", headers=OPS).json()

    assert answer["__typename"] == "Conflict"
    assert (answer["type"], answer["status"], answer["detail"]) == (
        "/problems/invalid-transition",
        409,
        rest["detail"],
    )
    ship = 'mutation($id: ID!) { shipOrder(id: $id, trackingNumber: "") {' + LIFECYCLE + "} }"
    assert admin(client, ship, id=unpaid)["shipOrder"]["errors"] == [{"field": "trackingNumber"}]
    assert log_size(client) == before


START = """mutation($p: ID!, $t: String!) { startImageUpload(productId: $p, contentType: $t) {
  __typename ... on ImageUploadStarted { uploadId url headers }
  ... on Problem { type detail } ... on ValidationError { errors { field } } } }"""
ATTACH = """mutation($p: ID!, $u: String!) {
  attachImageUpload(productId: $p, uploadId: $u, alt: "front") { __typename
    ... on ImageAttached { position image { id alt primary renditions { width } } }
    ... on Problem { type } } }"""
EDIT = """mutation($p: ID!, $i: ID!, $primary: Boolean) {
  updateImage(productId: $p, imageId: $i, alt: "the front", primary: $primary) {
    ... on ImageChanged { position } ... on ValidationError { errors { field } } } }"""
REMOVE = """mutation($p: ID!, $i: ID!) {
  removeImage(productId: $p, imageId: $i) { ... on ImageChanged { position } } }"""


def images(client: TestClient, pid: str, position: int) -> list[tuple[str, str]]:
    doc = client.get(f"/api/v1/products/{pid}", params={"min_position": position}).json()
    return [(image["id"], image["alt"]) for image in doc["images"]]


@pytest.fixture
def signing(backend: str, container_for: Callable[..., Container]) -> Iterator[TestClient]:
    """A shop that signs its own upload URLs (on both backends; S3's are media tests')."""
    with make_client(container_for, backend, media_signing_key="k" * 32) as client:
        yield client


def test_an_image_goes_up_through_the_upload_url_then_is_edited_and_removed(signing):
    client = signing
    pid = create_product(client, "Poster", [("POSTER-1", 5)])
    wrong = admin(client, START, p=pid, t="image/gif")["startImageUpload"]
    assert wrong["errors"] == [{"field": "contentType"}]
    ticket = admin(client, START, p=pid, t="image/jpeg")["startImageUpload"]
    assert ticket["__typename"] == "ImageUploadStarted", ticket
    put = client.put(ticket["url"], content=jpeg(), headers=ticket["headers"])
    assert put.status_code == 204, put.text

    attached = admin(client, ATTACH, p=pid, u=ticket["uploadId"])["attachImageUpload"]
    image = attached["image"]
    assert (image["alt"], image["primary"]) == ("front", True)
    assert {r["width"] for r in image["renditions"]} == {160, 320, 640}  # of an 800 px jpeg
    assert images(client, pid, attached["position"]) == [(image["id"], "front")]
    again = admin(client, ATTACH, p=pid, u=ticket["uploadId"])["attachImageUpload"]
    assert again == {"__typename": "NotFound", "type": "/problems/upload-not-found"}

    edited = admin(client, EDIT, p=pid, i=image["id"], primary=True)["updateImage"]
    assert images(client, pid, edited["position"]) == [(image["id"], "the front")]
    not_primary = admin(client, EDIT, p=pid, i=image["id"], primary=False)["updateImage"]
    assert not_primary["errors"] == [{"field": "primary"}]

    removed = admin(client, REMOVE, p=pid, i=image["id"])["removeImage"]
    assert images(client, pid, removed["position"]) == []
