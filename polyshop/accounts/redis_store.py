"""Sessions and attempt counters in Redis: one key each, expiry by Redis itself.

A session read is one GETEX, which returns the session and slides its expiry together.
"""

from __future__ import annotations

import orjson

from polyshop.accounts.ports import Session
from polyshop.ttlstore.redis_client import (
    LuaScript,
    RedisClient,
    RedisKeys,
    unavailable_as_store_error,
)


class RedisSessionStore:
    def __init__(self, client: RedisClient, keys: RedisKeys) -> None:
        self._redis = client
        self._keys = keys

    def put(self, token_hash: str, session: Session, ttl: float) -> None:
        body = orjson.dumps({"id": session.id, "uid": session.user_id, "c": session.created_at})
        with unavailable_as_store_error():
            self._redis.set(self._keys("session", token_hash), body, px=int(ttl * 1000))

    def get(self, token_hash: str, ttl: float) -> Session | None:
        with unavailable_as_store_error():
            body = self._redis.getex(self._keys("session", token_hash), px=int(ttl * 1000))
        if body is None:
            return None
        data = orjson.loads(body)
        return Session(id=data["id"], user_id=data["uid"], created_at=data["c"])

    def revoke(self, token_hash: str) -> None:
        with unavailable_as_store_error():
            self._redis.delete(self._keys("session", token_hash))


_UNDO = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return count
"""


class RedisAttemptCounter:
    def __init__(self, client: RedisClient, keys: RedisKeys) -> None:
        self._redis = client
        self._keys = keys
        self._undo = LuaScript(client, _UNDO)

    def hit(self, key: str, window: float) -> tuple[int, float]:
        name = self._keys("throttle", key)
        with unavailable_as_store_error():
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(name)
            pipe.pexpire(name, int(window * 1000), nx=True)
            pipe.pttl(name)
            count, _, left = pipe.execute()
        return int(count), max(0, left) / 1000

    def peek(self, key: str) -> tuple[int, float]:
        name = self._keys("throttle", key)
        with unavailable_as_store_error():
            pipe = self._redis.pipeline(transaction=False)
            pipe.get(name)
            pipe.pttl(name)
            count, left = pipe.execute()
        return (int(count), max(0, left) / 1000) if count is not None else (0, 0.0)

    def undo(self, key: str) -> None:
        with unavailable_as_store_error():
            self._undo(keys=[self._keys("throttle", key)])

    def reset(self, key: str) -> None:
        with unavailable_as_store_error():
            self._redis.delete(self._keys("throttle", key))
