"""The OpenAPI document tells the truth, and the inputs it calls invalid are refused.

Each refusal test here is a schemathesis finding (see test_openapi_schemathesis.py) written
down plainly: the server took what its document called invalid, and changed the shop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from polyshop.api.rest.app import create_app
from polyshop.container import Container
from tests.e2e.shoppers import OPS, create_product, register


@pytest.fixture
def document(container_for: Callable[..., Container]) -> dict[str, Any]:
    with TestClient(create_app(container_for("sqlite"), start_projections=False)) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return document["paths"][path][method]


def test_every_error_answer_is_a_problem_document(document: dict[str, Any]):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400 or path == "/readyz":
                    continue
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_routes_declare_the_statuses_and_callers_they_have(document: dict[str, Any]):
    create = _operation(document, "post", "/api/v1/products")
    assert {"400", "401", "403", "409", "413", "415", "422", "503"} <= create["responses"].keys()
    assert create["security"] == [{"admin": []}]
    assert _operation(document, "get", "/api/v1/me")["security"] == [{"session": []}]
    assert _operation(document, "get", "/api/v1/orders/{order_id}")["security"] == [
        {"session": []},
        {"admin": []},
        {},  # a guest order's access key
    ]
    assert _operation(document, "get", "/api/v1/orders/{order_id}/events")["security"] == [
        {"session": []},
        {"admin": []},
    ]
    assert {"session", "admin", "paymentSignature"} <= document["components"][
        "securitySchemes"
    ].keys()
    browse = _operation(document, "get", "/api/v1/products")
    assert {"409", "422", "503", "504"} <= browse["responses"].keys()


def test_parameters_say_what_they_mean(document: dict[str, Any]):
    browse = _operation(document, "get", "/api/v1/products")
    parameters = {p["name"]: p for p in browse["parameters"]}
    assert all(p.get("description") for p in parameters.values()), parameters
    assert "any variant costs at least min_price" in parameters["min_price"]["description"]
    key = {p["name"]: p for p in _operation(document, "post", "/api/v1/orders")["parameters"]}
    assert key["Idempotency-Key"]["required"] is True
    assert "decimal string" in document["info"]["description"]


def test_links_lead_from_a_write_to_reading_it(document: dict[str, Any]):
    created = _operation(document, "post", "/api/v1/products")["responses"]["201"]["links"]
    assert created["GetProductDocument"] == {
        "operationId": "get_product_document",
        "description": "The new product's page.",
        "parameters": {
            "min_position": "$response.body#/position",
            "product_id": "$response.body#/product_id",
        },
    }
    placed = _operation(document, "post", "/api/v1/orders")["responses"]["201"]["links"]
    assert placed["GetOrder"]["parameters"]["order_id"] == "$response.body#/order_id"


def test_a_patch_setting_variants_to_null_is_refused_and_changes_nothing(client: TestClient):
    product_id = create_product(client, "Lamp", [("LAMP-1", 3)])

    response = client.patch(
        f"/api/v1/products/{product_id}", json={"name": "Desk lamp", "variants": None}, headers=OPS
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "variants", "message": "cannot be null; leave it out to keep it"}
    ]
    stream = client.container.machinery.store.read_stream(f"product-{product_id}")  # type: ignore[attr-defined]
    assert [event.type for event in stream] == ["ProductCreated"]


@pytest.mark.parametrize("delta", [True, "5"])
def test_a_stock_adjustment_takes_a_json_integer_only(client: TestClient, delta: Any):
    create_product(client, "Lamp", [("LAMP-1", 3)])

    refused = client.post(
        "/api/v1/inventory/LAMP-1/adjust", json={"delta": delta, "reason": "count"}, headers=OPS
    )
    taken = client.post(
        "/api/v1/inventory/LAMP-1/adjust", json={"delta": 2.0, "reason": "count"}, headers=OPS
    )

    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "delta"
    assert taken.status_code == 200, taken.text
    assert taken.json()["on_hand"] == 5  # only the integer 2.0 was applied


@pytest.mark.parametrize("price", ["19.990", "1e1", " 5", "5_0"])
def test_an_amount_string_is_a_plain_decimal_or_refused(client: TestClient, price: str):
    body = {
        "name": "Lamp",
        "brand": "Acme",
        "category": "home/lamps",
        "price": price,
        "variants": [{"sku": "LAMP-1"}],
    }
    response = client.post("/api/v1/products", json=body, headers=OPS)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "price"
    taken = client.post("/api/v1/products", json={**body, "price": "19.90"}, headers=OPS)
    assert taken.status_code == 201, taken.text


@pytest.mark.parametrize("when", ["0.5", "1700000000", "2026-11-25", "2026-11-25T12:00:00"])
def test_times_in_queries_are_rfc3339_with_a_zone(client: TestClient, when: str):
    shopper = register(client, "ann@example.com")
    product_id = create_product(client, "Lamp", [("LAMP-1", 3)])

    orders = shopper.get("/api/v1/orders", params={"placed_from": when})
    views = client.get(
        f"/api/v1/analytics/products/{product_id}/funnel", params={"start": when}, headers=OPS
    )

    assert orders.status_code == 422, orders.text
    assert views.status_code == 422, views.text
    assert views.json()["errors"][0]["field"] == "start"
    zoned = shopper.get("/api/v1/orders", params={"placed_from": "2026-11-25T12:00:00Z"})
    assert zoned.status_code == 200, zoned.text
