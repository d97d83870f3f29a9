"""Carts in Redis, laid out as designed:

- `cart:{owner}`: a hash, one field per SKU holding `{q, p, t, pid}` (quantity, unit price in
  cents when added, time added, product id), and the field `*id` holding the cart's id (no
  SKU has a `*`); its TTL is refreshed on every write;
- `cart-rev:{owner}`: the cart's revision, bumped by every change (same TTL);
- `cart-view:{owner}`: the priced cart as JSON behind its revision, short TTL;
- `cart-products:{product_id}`: the owners whose carts hold the product, so a price change
  can void exactly their views.

Read-modify-write steps (add with a limit, set a quantity) are Lua scripts: atomic on the
server, one round trip, no WATCH retries when two tabs add at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import redis

from polyshop.cart.domain import CartFull, CartLine, QuantityLimit
from polyshop.cart.ports import CartSnapshot, OrderedCart
from polyshop.ttlstore.redis_client import RedisKeys, unavailable_as_store_error

# A revision is bumped on every change. A cart's first revision comes from the server's
# clock (microseconds), as in the embedded store: a cart that expired and started again
# never reaches a revision that a priced view kept from its earlier life could carry.
_BUMPING = """
local function bump(key, ttl)
  if redis.call('EXISTS', key) == 0 then
    local now = redis.call('TIME')
    redis.call('SET', key, now[1] .. string.format('%06d', tonumber(now[2])))
  end
  redis.call('INCR', key)
  redis.call('PEXPIRE', key, ttl)
end
"""

_BUMP = _BUMPING + "bump(KEYS[1], ARGV[1])"

_ADD = (
    _BUMPING
    + """
local current = redis.call('HGET', KEYS[1], ARGV[1])
local wanted = tonumber(ARGV[2])
local line
if current then
  line = cjson.decode(current)
  if line.q + wanted > tonumber(ARGV[6]) then return -1 - line.q end
  line.q = line.q + wanted
else
  if wanted > tonumber(ARGV[6]) then return -1 end
  local lines = redis.call('HLEN', KEYS[1]) - redis.call('HEXISTS', KEYS[1], '*id')
  if lines >= tonumber(ARGV[9]) then return -1000000 end
  line = {q = wanted, p = tonumber(ARGV[3]), t = tonumber(ARGV[4]), pid = ARGV[5]}
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(line))
redis.call('HSETNX', KEYS[1], '*id', ARGV[10])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
bump(KEYS[2], ARGV[7])
redis.call('SADD', KEYS[3], ARGV[8])
redis.call('PEXPIRE', KEYS[3], ARGV[7])
return line.q
"""
)

#: What `_ADD` answers when a new line would pass the cart's number of lines (a quantity
#: answer is never this low: quantities are capped far below).
_FULL = -1000000

_SET_QUANTITY = (
    _BUMPING
    + """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local line = cjson.decode(current)
line.q = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(line))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
bump(KEYS[2], ARGV[3])
return 1
"""
)


# Reading and emptying a cart, each in one command: a MULTI/EXEC pipeline costs the client
# a reply to parse per queued command, and these run on every checkout.
# A cart written before carts had ids gets one when first read.
_SNAPSHOT = """
if redis.call('HLEN', KEYS[1]) > 0 then redis.call('HSETNX', KEYS[1], '*id', ARGV[1]) end
return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2])}
"""

# Consume an ordered cart (see `CartStore.consume`): ARGV = ordered id, new id, TTL, then
# SKU and quantity pairs.
_CONSUME = (
    _BUMPING
    + """
if redis.call('HGET', KEYS[1], '*id') ~= ARGV[1] then return 0 end
for i = 4, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current then
    local line = cjson.decode(current)
    line.q = line.q - tonumber(ARGV[i + 1])
    if line.q > 0 then
      redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(line))
    else
      redis.call('HDEL', KEYS[1], ARGV[i])
    end
  end
end
if redis.call('HLEN', KEYS[1]) > 1 then
  redis.call('HSET', KEYS[1], '*id', ARGV[2])
else
  redis.call('DEL', KEYS[1])
end
redis.call('DEL', KEYS[3])
bump(KEYS[2], ARGV[3])
return 1
"""
)

_CLEAR = (
    _BUMPING
    + """
redis.call('DEL', KEYS[1], KEYS[3])
bump(KEYS[2], ARGV[1])
"""
)


class RedisCartStore:
    def __init__(self, client: redis.Redis, keys: RedisKeys, ttl: float) -> None:
        self._redis = client
        self._keys = keys
        self._ttl_ms = int(ttl * 1000)
        self._add = client.register_script(_ADD)
        self._set_quantity = client.register_script(_SET_QUANTITY)
        self._snapshot = client.register_script(_SNAPSHOT)
        self._clear = client.register_script(_CLEAR)
        self._consume = client.register_script(_CONSUME)
        self._bump_revision = client.register_script(_BUMP)

    def snapshot(self, owner: str) -> CartSnapshot:
        with unavailable_as_store_error():
            flat, revision = self._snapshot(
                keys=[self._keys("cart", owner), self._keys("cart-rev", owner)], args=[_new_id()]
            )
        fields = dict(zip(flat[::2], flat[1::2], strict=True))
        cart_id = fields.pop(_ID, b"").decode()
        lines = [_line(sku.decode(), orjson.loads(value)) for sku, value in fields.items()]
        return CartSnapshot(lines, int(revision or 0), cart_id if lines else "")

    def add(self, owner: str, line: CartLine, limit: int, max_lines: int) -> int:
        with unavailable_as_store_error():
            quantity = int(
                self._add(
                    keys=[
                        self._keys("cart", owner),
                        self._keys("cart-rev", owner),
                        self._keys("cart-products", line.product_id),
                    ],
                    args=[
                        line.sku,
                        line.quantity,
                        line.unit_price_cents,
                        round(line.added_at, 3),
                        line.product_id,
                        limit,
                        self._ttl_ms,
                        owner,
                        max_lines,
                        _new_id(),
                    ],
                )
            )
        if quantity == _FULL:
            raise CartFull(max_lines)
        if quantity < 0:
            raise QuantityLimit(line.sku, -1 - quantity)
        return quantity

    def set_quantity(self, owner: str, sku: str, quantity: int) -> bool:
        with unavailable_as_store_error():
            found = self._set_quantity(
                keys=[self._keys("cart", owner), self._keys("cart-rev", owner)],
                args=[sku, quantity, self._ttl_ms],
            )
        return bool(found)

    def put(self, owner: str, lines: Iterable[CartLine]) -> None:
        entries = list(lines)
        if not entries:
            return
        cart = self._keys("cart", owner)
        with unavailable_as_store_error():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(cart, mapping={line.sku: _value(line) for line in entries})
            pipe.hsetnx(cart, _ID, _new_id())
            pipe.pexpire(cart, self._ttl_ms)
            self._bump(pipe, owner)
            for product_id in {line.product_id for line in entries}:
                products = self._keys("cart-products", product_id)
                pipe.sadd(products, owner)
                pipe.pexpire(products, self._ttl_ms)
            pipe.execute()

    def remove(self, owner: str, sku: str) -> bool:
        with unavailable_as_store_error():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hdel(self._keys("cart", owner), sku)
            self._bump(pipe, owner)
            removed, *_ = pipe.execute()
        return bool(removed)

    def clear(self, *owners: str) -> None:
        if not owners:
            return
        with unavailable_as_store_error():
            pipe = self._redis.pipeline(transaction=False)
            for owner in owners:
                self._clear(
                    keys=[
                        self._keys("cart", owner),
                        self._keys("cart-rev", owner),
                        self._keys("cart-view", owner),
                    ],
                    args=[self._ttl_ms],
                    client=pipe,
                )
            pipe.execute()

    def consume(self, ordered: Sequence[OrderedCart]) -> None:
        if not ordered:
            return
        with unavailable_as_store_error():
            pipe = self._redis.pipeline(transaction=False)
            for cart in ordered:
                self._consume(
                    keys=[
                        self._keys("cart", cart.owner),
                        self._keys("cart-rev", cart.owner),
                        self._keys("cart-view", cart.owner),
                    ],
                    args=[
                        cart.cart_id,
                        _new_id(),
                        self._ttl_ms,
                        *(x for line in cart.quantities.items() for x in line),
                    ],
                    client=pipe,
                )
            pipe.execute()

    def cached_view(self, owner: str) -> bytes | None:
        with unavailable_as_store_error():
            revision, view = self._redis.mget(
                [self._keys("cart-rev", owner), self._keys("cart-view", owner)]
            )
        if not isinstance(view, bytes):  # None: nothing cached (the client never decodes to str)
            return None
        stamp, _, body = view.partition(b"\n")
        return body if stamp == (revision or b"0") else None

    def cache_view(self, owner: str, view: bytes, revision: int, ttl: float) -> None:
        with unavailable_as_store_error():
            self._redis.set(
                self._keys("cart-view", owner), b"%d\n%b" % (revision, view), px=int(ttl * 1000)
            )

    def drop_views_for(self, product_ids: Iterable[str]) -> None:
        wanted = list(product_ids)
        if not wanted:
            return
        with unavailable_as_store_error():
            pipe = self._redis.pipeline(transaction=False)
            for product_id in wanted:
                pipe.smembers(self._keys("cart-products", product_id))
            owners: set[bytes] = set().union(*pipe.execute())
            if not owners:
                return
            pipe = self._redis.pipeline(transaction=False)
            for raw in owners:
                owner = raw.decode()
                self._bump(pipe, owner)
                pipe.delete(self._keys("cart-view", owner))
            pipe.execute()

    def _bump(self, pipe: redis.client.Pipeline, owner: str) -> None:
        self._bump_revision(keys=[self._keys("cart-rev", owner)], args=[self._ttl_ms], client=pipe)


#: The cart hash's field that holds the cart's id.
_ID = b"*id"


def _new_id() -> str:
    return uuid.uuid4().hex


def _value(line: CartLine) -> bytes:
    return orjson.dumps(
        {
            "q": line.quantity,
            "p": line.unit_price_cents,
            "t": round(line.added_at, 3),
            "pid": line.product_id,
        }
    )


def _line(sku: str, data: dict[str, Any]) -> CartLine:
    return CartLine(
        sku=sku,
        product_id=str(data["pid"]),
        quantity=int(data["q"]),
        unit_price_cents=int(data["p"]),
        added_at=float(data["t"]),
    )
