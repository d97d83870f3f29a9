"""One node of a three-node Redis Cluster killed (kill -9): the carts whose slots it served
answer StoreUnavailable at once (the API's 503 with Retry-After), and every other cart keeps
working, reads and script-driven writes alike: no call waits on the dead node unless its
own keys live there."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from polyshop.cart.domain import CartLine
from polyshop.cart.redis_store import RedisCartStore
from polyshop.ttlstore.errors import StoreUnavailable
from polyshop.ttlstore.redis_client import RedisKeys, close_redis, create_redis
from tests.redis_cluster import start_cluster


def test_a_dead_node_fails_only_the_carts_it_holds(tmp_path: Path):
    cluster = start_cluster(tmp_path)
    client = create_redis(cluster.url, cluster=True)
    keys = RedisKeys("polyshop-test:node-down:")
    carts = RedisCartStore(client, keys, 3600)
    try:
        owners = [f"guest:{i}" for i in range(40)]
        for owner in owners:
            carts.add(owner, CartLine("MUG-1", "p1", 1, 999, time.time()), 99, 250)
        port_of = {o: client.get_node_from_key(keys.tagged("cart", o)).port for o in owners}
        dead = cluster.ports[1]
        cluster.processes[1].kill()
        cluster.processes[1].wait()

        for owner in owners:
            started = time.monotonic()
            if port_of[owner] == dead:
                with pytest.raises(StoreUnavailable):
                    carts.snapshot(owner)
            else:
                assert [x.quantity for x in carts.snapshot(owner).lines] == [1]
                assert carts.set_quantity(owner, "MUG-1", 3)
                assert [x.quantity for x in carts.snapshot(owner).lines] == [3]
            assert time.monotonic() - started < 1.0
        assert dead in port_of.values()
        assert len(set(port_of.values())) == 3
    finally:
        close_redis(client)
        cluster.stop()
