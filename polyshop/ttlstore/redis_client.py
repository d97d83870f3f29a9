"""One Redis client for every Redis-backed port, tuned to fail fast when Redis is down.

Short timeouts and a single retry: the retry reconnects a pooled connection that died with a
restarted server (so service recovers by itself), and a dead server costs a request a refused
connect, not seconds of backoff.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from polyshop.ttlstore.errors import StoreUnavailable


def create_redis(url: str, *, max_connections: int = 64) -> redis.Redis:
    # A blocking pool: a burst of more threads than connections waits its turn (briefly)
    # instead of failing with "Too many connections".
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=2,
        socket_connect_timeout=0.5,
        socket_timeout=1.0,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=15,
    )
    return redis.Redis(connection_pool=pool)


def close_redis(client: redis.Redis) -> None:
    """Close the client and its pool (a pool handed to the client is not closed with it)."""
    client.close()
    client.connection_pool.disconnect()


@contextmanager
def unavailable_as_store_error() -> Iterator[None]:
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise StoreUnavailable(f"redis: {exc}") from exc


class RedisKeys:
    """Builds keys under one prefix, so shops (and test runs) sharing a server never collide."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)
