"""A shopper's whole visit in server mode on a three-node Redis Cluster (PostgreSQL for the
rest): sessions, the login throttle, a guest cart merged at sign-in, a price change voiding
the cart's priced view and checkout emptying the cart. Each step touches keys of several
owners and products, spread over the cluster's slots."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from polyshop.container import Container
from tests.e2e.shoppers import (
    OPS,
    ORDER_BODY,
    PASSWORD,
    Shopper,
    create_product,
    guest,
    login,
    make_client,
    register,
)


@pytest.fixture
def client(container_for: Callable[..., Container], redis_cluster_url: str) -> Iterator[TestClient]:
    prefix = f"polyshop-test:{uuid.uuid4().hex[:12]}:"
    with make_client(
        container_for,
        "postgres",
        redis_url=redis_cluster_url,
        redis_cluster=True,
        redis_prefix=prefix,
    ) as client:
        client.prefix = prefix  # type: ignore[attr-defined]
        yield client


def test_a_visit_from_browsing_to_order_runs_on_a_redis_cluster(
    client: TestClient, redis_cluster_url: str
):
    lamp = create_product(client, "Lamp", [("LAMP-1", 5)], price=40.00)
    create_product(client, "Bulb", [("BULB-1", 50)], price=3.00)
    register(client, "ann@example.com")
    visitor = guest(client)
    assert visitor.add("LAMP-1", 2).status_code == 201
    assert visitor.add("BULB-1", 4).status_code == 201
    ann = login(client, "ann@example.com", via=visitor)
    assert ann.lines() == {"LAMP-1": 2, "BULB-1": 4}
    assert visitor.get("/api/v1/cart").status_code == 401  # signing in ended the guest session

    changed = client.patch(f"/api/v1/products/{lamp}", json={"price": 35.50}, headers=OPS)
    assert changed.status_code == 200
    deadline = time.monotonic() + 5
    while (cart := ann.cart())["total"] != 83.0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cart["total"] == 83.0  # 2 at 35.50 and 4 at 3.00

    placed = ann.post(
        "/api/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert placed.status_code == 201, placed.text
    assert ann.cart()["items"] == []

    cluster = redis.RedisCluster.from_url(redis_cluster_url)
    try:
        nodes = {
            node.name
            for node in cluster.get_nodes()
            if cluster.keys(f"{client.prefix}*", target_nodes=node)  # type: ignore[attr-defined]
        }
    finally:
        cluster.close()
    assert len(nodes) > 1, "the shop's keys all landed on one node"


def test_the_login_throttle_counts_on_a_redis_cluster(client: TestClient):
    register(client, "bob@example.com")
    answers = [
        Shopper(client, None)
        .post("/api/v1/auth/login", json={"email": "bob@example.com", "password": "wrong " * 3})
        .status_code
        for _ in range(12)
    ]
    assert answers[0] == 401
    assert 429 in answers
    refused = Shopper(client, None).post(
        "/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 429
