"""Webhooks over HTTP in both modes: an admin registers a receiver and reads its deliveries
and their attempts; the shop's own background job delivers, signed; a dead letter is
replayed; shoppers cannot reach any of it; bad input is a clear 422 that changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import orjson
import pytest
from fastapi.testclient import TestClient

from polyshop.container import Container
from polyshop.integrations.webhook_rules import SIGNATURE_HEADER, verify
from tests.e2e.shoppers import OPS, create_product, guest, make_client, register
from tests.waiting import eventually
from tests.webhook_receiver import receiver

HOOKS = "/api/v1/admin/webhooks"


@pytest.fixture
def client(backend: str, container_for: Callable[..., Container]) -> Iterator[TestClient]:
    with make_client(
        container_for, backend, webhook_allow_private=True, webhook_interval=0.1
    ) as client:
        yield client


def test_an_admin_registers_a_receiver_that_the_shop_then_calls(client: TestClient):
    with receiver() as site:
        created = client.post(
            HOOKS, json={"url": site.url, "event_types": ["ProductCreated"]}, headers=OPS
        )
        assert created.status_code == 201, created.text
        hook = created.json()
        assert hook["secret"].startswith("whsec_")
        assert hook["event_types"] == ["ProductCreated"]

        create_product(client, "Desk lamp", [("LAMP-1", 3)])
        eventually(lambda: site.calls, "nothing was delivered", 10)
        (call,) = site.calls
        assert verify(hook["secret"], call.headers[SIGNATURE_HEADER], call.body, time.time())
        assert orjson.loads(call.body)["data"]["name"] == "Desk lamp"

    listed = client.get(HOOKS, headers=OPS).json()["webhooks"]
    assert [w["id"] for w in listed] == [hook["id"]]
    assert "secret" not in listed[0]
    listed_deliveries = f"{HOOKS}/{hook['id']}/deliveries"
    eventually(
        lambda: client.get(listed_deliveries, headers=OPS).json()["deliveries"],
        "no delivery listed",
        10,
    )
    (delivery,) = client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=OPS).json()["deliveries"]
    eventually(
        lambda: (
            client.get(f"/api/v1/admin/webhook-deliveries/{delivery['id']}", headers=OPS).json()[
                "status"
            ]
            == "delivered"
        ),
        "the delivery never counted as delivered",
        10,
    )
    detail = client.get(f"/api/v1/admin/webhook-deliveries/{delivery['id']}", headers=OPS).json()
    assert [a["status_code"] for a in detail["log"]] == [200]
    assert client.delete(f"{HOOKS}/{hook['id']}", headers=OPS).status_code == 204
    assert client.get(f"{HOOKS}/{hook['id']}", headers=OPS).status_code == 404


def test_a_delivery_the_receiver_lost_is_replayed_with_the_same_event_id(client: TestClient):
    deliveries = "/api/v1/admin/webhook-deliveries"
    with receiver() as site:
        hook = client.post(HOOKS, json={"url": site.url, "event_types": ["ProductCreated"]},
                           headers=OPS).json()  # fmt: skip
        create_product(client, "Desk lamp", [("LAMP-1", 3)])
        eventually(lambda: client.get(deliveries, params={"status": "delivered"}, headers=OPS)
                   .json()["deliveries"], "nothing delivered", 10)  # fmt: skip
        (delivery,) = client.get(deliveries, headers=OPS).json()["deliveries"]
        assert delivery["webhook_id"] == hook["id"]

        replayed = client.post(f"{deliveries}/{delivery['id']}/replay", headers=OPS)
        assert replayed.status_code == 200, replayed.text
        eventually(lambda: len(site.calls) == 2, "the replay never arrived", 10)
        first, again = site.calls
        assert first.headers["Polyshop-Event-Id"] == again.headers["Polyshop-Event-Id"]
        assert first.body == again.body
    missing = client.post(f"{deliveries}/999999/replay", headers=OPS)
    assert missing.status_code == 404
    assert client.get(deliveries, params={"status": "lost"}, headers=OPS).status_code == 422


def test_a_receiver_on_the_shops_own_network_is_refused_unless_allowed(
    backend: str, container_for: Callable[..., Container]
):
    with make_client(container_for, backend) as client:
        for url, why in [
            ("http://127.0.0.1:8080/hook", "private address"),
            ("http://169.254.169.254/latest/meta-data", "private address"),
            ("https://no-such-host.invalid/hook", "cannot resolve"),
        ]:
            answer = client.post(HOOKS, json={"url": url}, headers=OPS)
            assert answer.status_code == 422, answer.text
            assert answer.json()["title"] == "Receiver refused"
            assert why in answer.json()["detail"]
        assert client.get(HOOKS, headers=OPS).json() == {"webhooks": []}


def test_shoppers_cannot_reach_webhooks(client: TestClient):
    shopper = register(client, "ann@example.com")
    anonymous = guest(client)
    for method, path in [
        ("GET", HOOKS),
        ("POST", HOOKS),
        ("GET", "/api/v1/admin/webhook-deliveries"),
        ("POST", "/api/v1/admin/webhook-deliveries/1/replay"),
    ]:
        answer = shopper.call(method, path, json={"url": "http://127.0.0.1:9/x"})
        assert answer.status_code == 403, (method, path, answer.text)
        assert anonymous.call(method, path).status_code == 401
    assert client.get(HOOKS, headers=OPS).json() == {"webhooks": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/hook"}, "url"),
        ({"url": "https://user:pw@example.com/hook"}, "url"),
        ({"url": "https://example.com/hook", "event_types": ["order.placed"]}, "event_types.0"),
        ({"url": "https://example.com/hook", "description": "x" * 201}, "description"),
        ({"url": "https://example.com/hook", "extra": 1}, "extra"),
        ({"event_types": []}, "url"),
    ],
)
def test_a_bad_registration_is_refused_and_changes_nothing(
    client: TestClient, body: dict, field: str
):
    answer = client.post(HOOKS, json=body, headers=OPS)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in answer.json()["errors"]}
    assert client.get(HOOKS, headers=OPS).json() == {"webhooks": []}
