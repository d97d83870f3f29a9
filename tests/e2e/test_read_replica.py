"""Server mode reading from a real streaming replica (a primary and a hot standby started
for this test, see `tests/postgres_replica.py`): reads go to the replica; a request that
asks for `min_position` reads its own write even while the replica's replay is paused; a
replica that trails past POLYSHOP_REPLICA_MAX_LAG is skipped; a replica killed with kill -9
is noticed and its reads taken by the primary; the lag shows in /readyz, /metrics and
`polyshop projections status`; a replica started again serves again."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from polyshop.cli import main
from polyshop.container import Container
from tests.e2e.shoppers import create_product, make_client
from tests.postgres_replica import Replicated, start_replicated
from tests.waiting import eventually

#: Long enough that a replica paused just after catching up still serves, under load.
MAX_LAG = 5.0


@pytest.fixture
def replicated() -> Iterator[tuple[Replicated, str]]:
    pair = start_replicated()
    name = f"shop_{uuid.uuid4().hex[:8]}"
    pair.primary.sql(f"CREATE DATABASE {name}")
    try:
        yield pair, name
    finally:
        pair.stop()


def replica(client: TestClient) -> dict:
    (state,) = client.get("/readyz").json()["replicas"]
    return state


def test_reads_follow_the_replica_and_never_miss_a_write_of_ones_own(
    replicated: tuple[Replicated, str], container_for: Callable[..., Container]
):
    pair, name = replicated
    urls = {
        "database_url": pair.primary.url_for(name),
        "read_database_url": pair.standby.url_for(name),
    }
    with make_client(
        container_for, "postgres", **urls, replica_max_lag=MAX_LAG, replica_check_interval=0.1
    ) as client:
        first = create_product(client, "Lamp", [("LAMP-1", 3)])
        eventually(
            lambda: client.get(f"/api/v1/products/{first}").status_code == 200,
            "the product never read",
            30,
        )
        eventually(lambda: replica(client)["lag_bytes"] == 0, "the replica never caught up", 30)
        assert client.get("/readyz").json()["checks"]["read_replica"] == "ok"

        pair.standby.sql("SELECT pg_wal_replay_pause()")
        created = client.post(
            "/api/v1/products",
            json={"name": "Desk", "description": "Oak.", "brand": "Acme",
                  "category": "home/desks", "price": 120, "variants": [{"sku": "DESK-1"}]},
            headers={"Authorization": "Bearer test-ops-token"},
        ).json()  # fmt: skip
        second, position = created["product_id"], created["position"]
        # Its own write, asked for by position: the primary answers while the replica trails.
        mine = client.get(f"/api/v1/products/{second}", params={"min_position": position})
        assert mine.status_code == 200, mine.text
        # A read that asked for nothing is the replica's, as long as it trails by little.
        assert client.get(f"/api/v1/products/{second}").status_code == 404
        eventually(
            lambda: replica(client)["lag_seconds"] > MAX_LAG,
            "the paused replica never counted as lagging",
            30,
        )
        assert client.get("/readyz").json()["checks"]["read_replica"].startswith("error")
        assert client.get(f"/api/v1/products/{second}").status_code == 200  # skipped
        metrics = client.get("/metrics").text
        assert 'polyshop_replica_up{replica="' in metrics
        assert "polyshop_replica_lag_bytes" in metrics

        pair.standby.sql("SELECT pg_wal_replay_resume()")
        unread = [create_product(client, f"Chair {n}", [(f"CHAIR-{n}", 1)]) for n in range(5)]
        eventually(
            lambda: replica(client)["lag_seconds"] == 0, "the resumed replica never caught up", 30
        )
        assert client.get("/readyz").json()["status"] == "ready"
        for _ in range(20):  # the pool holds connections to the replica
            assert client.get("/api/v1/products", params={"limit": 5}).status_code == 200

        pair.standby.kill()  # kill -9
        for product in unread:  # never read (nor cached) before: each one a database read
            assert client.get(f"/api/v1/products/{product}").status_code == 200
        eventually(
            lambda: not replica(client)["up"], "the killed replica never counted as down", 30
        )
        assert client.get("/readyz").json()["status"] == "degraded"
        status = CliRunner().invoke(
            main,
            ["projections", "status"],
            env={f"POLYSHOP_{k.upper()}": v for k, v in urls.items()},
        )
        assert "DOWN" in status.output, status.output

        pair.standby.start()
        eventually(
            lambda: replica(client)["up"] and replica(client)["lag_seconds"] == 0,
            "the restarted replica never served again",
            30,
        )
        assert client.get(f"/api/v1/products/{second}").status_code == 200
