"""Carts in Redis, laid out as designed:

- `cart:{owner}`: a hash, one field per SKU holding `{q, p, t, pid}` (quantity, unit price in
  cents when added, time added, product id), and the field `*id` holding the cart's id (no
  SKU has a `*`); its TTL is refreshed on every write;
- `cart-rev:{owner}`: the cart's revision, bumped by every change (same TTL);
- `cart-view:{owner}`: the priced cart as JSON behind its revision, short TTL;
- `cart-products:product_id`: the owners whose carts hold the product, so a price change
  can void exactly their views.

The braces are hash tags: one owner's three keys share a slot on a Redis Cluster, so the
scripts and transactions that touch them together run there as on one server. The product
index lives in other slots and is never written inside a script; it is added to before the
cart, so it names at least every owner whose cart holds the product (an extra owner costs a
revision bump, a missing one a stale price).

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
from polyshop.ttlstore.redis_client import (
    LuaScript,
    Pipeline,
    RedisClient,
    RedisKeys,
    unavailable_as_store_error,
)

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
  if lines >= tonumber(ARGV[8]) then return -1000000 end
  line = {q = wanted, p = tonumber(ARGV[3]), t = tonumber(ARGV[4]), pid = ARGV[5]}
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(line))
redis.call('HSETNX', KEYS[1], '*id', ARGV[9])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
bump(KEYS[2], ARGV[7])
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
    def __init__(self, client: RedisClient, keys: RedisKeys, ttl: float) -> None:
        self._redis = client
        self._keys = keys
        self._ttl_ms = int(ttl * 1000)
        self._add = LuaScript(client, _ADD)
        self._set_quantity = LuaScript(client, _SET_QUANTITY)
        self._snapshot = LuaScript(client, _SNAPSHOT)
        self._clear = LuaScript(client, _CLEAR)
        self._consume = LuaScript(client, _CONSUME)
        self._bump_revision = LuaScript(client, _BUMP)

    def _cart(self, owner: str) -> list[str]:
        """The owner's cart and revision keys (one hash slot), the scripts' KEYS[1..2]."""
        return [self._keys.tagged("cart", owner), self._keys.tagged("cart-rev", owner)]

    def _whole(self, owner: str) -> list[str]:
        """The owner's cart, revision and priced-view keys (one hash slot)."""
        return [*self._cart(owner), self._keys.tagged("cart-view", owner)]

    def snapshot(self, owner: str) -> CartSnapshot:
        with unavailable_as_store_error():
            flat, revision = self._snapshot(keys=self._cart(owner), args=[_new_id()])
        fields = dict(zip(flat[::2], flat[1::2], strict=True))
        cart_id = fields.pop(_ID, b"").decode()
        lines = [_line(sku.decode(), orjson.loads(value)) for sku, value in fields.items()]
        return CartSnapshot(lines, int(revision or 0), cart_id if lines else "")

    def add(self, owner: str, line: CartLine, limit: int, max_lines: int) -> int:
        args = [
            line.sku,
            line.quantity,
            line.unit_price_cents,
            round(line.added_at, 3),
            line.product_id,
            limit,
            self._ttl_ms,
            max_lines,
            _new_id(),
        ]
        with unavailable_as_store_error():
            # The index first, in a round trip of its own: a cluster pipeline keeps no
            # order between nodes, and the index must never miss a cart that holds it.
            index = self._redis.pipeline(transaction=False)
            self._index(index, owner, [line.product_id])
            index.execute()
            quantity = int(self._add(self._cart(owner), args))
        if quantity == _FULL:
            raise CartFull(max_lines)
        if quantity < 0:
            raise QuantityLimit(line.sku, -1 - quantity)
        return quantity

    def set_quantity(self, owner: str, sku: str, quantity: int) -> bool:
        with unavailable_as_store_error():
            found = self._set_quantity(keys=self._cart(owner), args=[sku, quantity, self._ttl_ms])
        return bool(found)

    def put(self, owner: str, lines: Iterable[CartLine]) -> None:
        entries = list(lines)
        if not entries:
            return
        cart = self._keys.tagged("cart", owner)
        with unavailable_as_store_error():
            index = self._redis.pipeline(transaction=False)
            self._index(index, owner, {line.product_id for line in entries})
            index.execute()
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(cart, mapping={line.sku: _value(line) for line in entries})
            pipe.hsetnx(cart, _ID, _new_id())
            pipe.pexpire(cart, self._ttl_ms)
            self._bump(pipe, owner)
            pipe.execute()

    def remove(self, owner: str, sku: str) -> bool:
        with unavailable_as_store_error():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hdel(self._keys.tagged("cart", owner), sku)
            self._bump(pipe, owner)
            removed, *_ = pipe.execute()
        return bool(removed)

    def clear(self, *owners: str) -> None:
        if not owners:
            return
        with unavailable_as_store_error():
            pipe = self._redis.pipeline(transaction=False)
            for owner in owners:
                self._clear.queue(pipe, self._whole(owner), [self._ttl_ms])
            pipe.execute()

    def consume(self, ordered: Sequence[OrderedCart]) -> None:
        if not ordered:
            return
        with unavailable_as_store_error():
            pipe = self._redis.pipeline(transaction=False)
            for cart in ordered:
                args = [
                    cart.cart_id,
                    _new_id(),
                    self._ttl_ms,
                    *(x for line in cart.quantities.items() for x in line),
                ]
                self._consume.queue(pipe, self._whole(cart.owner), args)
            pipe.execute()

    def cached_view(self, owner: str) -> bytes | None:
        _, revision_key, view_key = self._whole(owner)
        with unavailable_as_store_error():
            revision, view = self._redis.mget([revision_key, view_key])
        if not isinstance(view, bytes):  # None: nothing cached (the client never decodes to str)
            return None
        stamp, _, body = view.partition(b"\n")
        return body if stamp == (revision or b"0") else None

    def cache_view(self, owner: str, view: bytes, revision: int, ttl: float) -> None:
        with unavailable_as_store_error():
            self._redis.set(
                self._keys.tagged("cart-view", owner),
                b"%d\n%b" % (revision, view),
                px=int(ttl * 1000),
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
                pipe.delete(self._keys.tagged("cart-view", owner))
            pipe.execute()

    def _index(self, pipe: Pipeline, owner: str, product_ids: Iterable[str]) -> None:
        """Queue: `owner` holds these products (see the module's docstring)."""
        for product_id in product_ids:
            products = self._keys("cart-products", product_id)
            pipe.sadd(products, owner)
            pipe.pexpire(products, self._ttl_ms)

    def _bump(self, pipe: Pipeline, owner: str) -> None:
        self._bump_revision.queue(pipe, self._cart(owner)[1:], [self._ttl_ms])


#: Set once the carts of an older layout have been renamed (`adopt_untagged_carts`).
_LAYOUT = "cart-layout"


def adopt_untagged_carts(client: RedisClient, keys: RedisKeys) -> int:
    """Rename the cart keys written before they carried hash tags (0.14 and older, always on
    a single server: a cluster never held them), once per prefix; answers how many. Carts
    live for weeks: an upgrade must not empty them."""
    if not isinstance(client, redis.Redis) or client.get(keys(_LAYOUT)) == b"tagged":
        return 0
    renamed = 0
    for kind in ("cart", "cart-rev", "cart-view"):
        head = keys(kind, "")
        for raw in client.scan_iter(match=head + "*", count=1000):
            name = raw.decode()
            owner = name[len(head) :]
            if "{" not in owner:  # a tagged key's owner starts with one
                renamed += bool(client.renamenx(name, keys.tagged(kind, owner)))
    client.set(keys(_LAYOUT), b"tagged")
    return renamed


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
