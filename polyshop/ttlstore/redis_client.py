"""One Redis client for every Redis-backed port, tuned to fail fast when Redis is down: a
single server, or a Redis Cluster found from any one of its nodes.

Short timeouts and a single retry: the retry reconnects a pooled connection that died with a
restarted server (so service recovers by itself), and a dead server costs a request a refused
connect, not seconds of backoff.

On a cluster, the keys one script or transaction touches must share a hash slot: the stores
name them with `RedisKeys.tagged`, whose `{owner}` part alone decides the slot; scripts are
`LuaScript`s, which never need every node to answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.exceptions import ClusterDownError, NoScriptError, RedisClusterException
from redis.retry import Retry

from polyshop.ttlstore.errors import StoreUnavailable

#: A single server's client or a cluster's: the stores use the commands both have.
RedisClient = redis.Redis | RedisCluster
Pipeline = redis.client.Pipeline | redis.cluster.ClusterPipeline

_TIMEOUTS: dict[str, Any] = {
    "socket_connect_timeout": 0.5,
    "socket_timeout": 1.0,
    "health_check_interval": 15,
}


def create_redis(url: str, *, cluster: bool = False, max_connections: int = 64) -> RedisClient:
    if cluster:
        # Each node gets a pool of its own; the client follows MOVED answers and refreshes
        # its slot map when a node fails over.
        return RedisCluster.from_url(
            url, max_connections=max_connections, retry=Retry(NoBackoff(), 1), **_TIMEOUTS
        )
    # A blocking pool: a burst of more threads than connections waits its turn (briefly)
    # instead of failing with "Too many connections".
    pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=2, retry=Retry(NoBackoff(), 1), **_TIMEOUTS
    )
    return redis.Redis(connection_pool=pool)


def close_redis(client: RedisClient) -> None:
    """Close the client and its pools (a pool handed to the client is not closed with it)."""
    client.close()
    if isinstance(client, redis.Redis):
        client.connection_pool.disconnect()


@contextmanager
def unavailable_as_store_error() -> Iterator[None]:
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError, ClusterDownError) as exc:
        raise StoreUnavailable(f"redis: {exc}") from exc
    except RedisClusterException as exc:  # no node of the cluster serves the slot
        raise StoreUnavailable(f"redis cluster: {exc}") from exc


class LuaScript:
    """A Lua script run by its SHA1, sent whole when the node that runs it lacks it.

    redis-py's own `Script` loads a missing script with SCRIPT LOAD, which a cluster client
    sends to every primary: one node down would then fail the scripts of every other node's
    keys. EVAL loads the script on the one node that needs it, and is what a pipeline sends
    (a cluster pipeline cannot load scripts at all).
    """

    def __init__(self, client: RedisClient, text: str) -> None:
        self._client = client
        self.text = text
        # Redis names scripts by SHA1; no security rests on it.
        self.sha = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()

    def __call__(self, keys: Sequence[str], args: Sequence[Any] = ()) -> Any:
        try:
            return self._client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return self._client.eval(self.text, len(keys), *keys, *args)

    def queue(self, pipe: Pipeline, keys: Sequence[str], args: Sequence[Any] = ()) -> None:
        # `execute_command`: a cluster pipeline has no usable `eval` of its own.
        pipe.execute_command("EVAL", self.text, len(keys), *keys, *args)


class RedisKeys:
    """Builds keys under one prefix, so shops (and test runs) sharing a server never collide."""

    def __init__(self, prefix: str) -> None:
        if "{" in prefix or "}" in prefix:
            raise ValueError("a Redis key prefix holds no braces: they would pick the hash slot")
        self.prefix = prefix

    def __call__(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def tagged(self, kind: str, owner: str) -> str:
        """`kind`'s key for `owner`, hash-tagged by the owner: on a cluster, every key of one
        owner lives in one slot, so one script or transaction may touch them all."""
        return f"{self.prefix}{kind}:{{{owner}}}"
