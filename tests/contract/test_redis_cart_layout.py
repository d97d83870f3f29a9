"""Carts kept in Redis by 0.14 and older (keys without hash tags) survive the upgrade to the
tagged layout a Redis Cluster needs: renamed once, on the first start."""

from __future__ import annotations

import orjson
import pytest
import redis
from pydantic import ValidationError

from polyshop.cart.redis_store import RedisCartStore, adopt_untagged_carts
from polyshop.config import Settings
from polyshop.ttlstore.redis_client import RedisKeys, close_redis, create_redis


def test_a_cart_of_the_untagged_layout_is_adopted_once(redis_url: str, redis_prefix: str):
    client = create_redis(redis_url)
    keys = RedisKeys(redis_prefix)
    line = {"q": 2, "p": 1999, "t": 1.0, "pid": "p1"}
    client.hset(f"{redis_prefix}cart:user:ann", mapping={"MUG-1": orjson.dumps(line)})
    client.hset(f"{redis_prefix}cart:user:ann", "*id", "c1")
    client.set(f"{redis_prefix}cart-rev:user:ann", 41)
    try:
        assert adopt_untagged_carts(client, keys) == 2
        snapshot = RedisCartStore(client, keys, 3600).snapshot("user:ann")
        assert [(x.sku, x.quantity) for x in snapshot.lines] == [("MUG-1", 2)]
        assert (snapshot.revision, snapshot.cart_id) == (41, "c1")
        assert client.exists(f"{redis_prefix}cart:user:ann") == 0
        client.set(f"{redis_prefix}cart-rev:user:bob", 7)  # written by an old worker later
        assert adopt_untagged_carts(client, keys) == 0  # done once per prefix
    finally:
        close_redis(client)


def test_a_key_prefix_with_braces_is_refused():
    with pytest.raises(ValidationError, match="redis_prefix"):
        Settings(redis_prefix="shop{1}:")
    with pytest.raises(ValueError, match="braces"):
        RedisKeys("shop{1}:")


def test_one_owners_keys_share_a_slot_and_owners_spread_over_slots(redis_cluster_url: str):
    client = create_redis(redis_cluster_url, cluster=True)
    try:
        assert isinstance(client, redis.RedisCluster)
        keys = RedisKeys("polyshop-test:layout:")
        slots = {client.keyslot(keys.tagged(kind, "user:ann")) for kind in ("cart", "cart-rev")}
        assert len(slots) == 1
        owners = [f"guest:{i}" for i in range(30)]
        assert len({client.keyslot(keys.tagged("cart", o)) for o in owners}) > 1
    finally:
        close_redis(client)
