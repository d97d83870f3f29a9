"""Carts in the embedded TTL database (see `ttlstore.sql`): a row per line, a row per cart
holding its revision and expiry. Every change is one short write transaction.

The statements on the paths every shopper takes (add, read, clear) are built once and kept
few: the TTL file has one writer at a time, and each statement inside its transaction is a
moment when a busy process may hand the interpreter to another thread while the write lock
waits.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, bindparam, case, delete, exists, func, select, update
from sqlalchemy.dialects.sqlite import insert

from polyshop.cart.domain import CartFull, CartLine, QuantityLimit
from polyshop.cart.ports import CartSnapshot, OrderedCart
from polyshop.ttlstore.sql import (
    TtlDatabase,
    cart_lines,
    cart_views,
    carts,
    unavailable_as_store_error,
)

_LIVE_CART = select(carts.c.revision, carts.c.cart_id).where(
    carts.c.owner == bindparam("owner"), carts.c.expires_at > bindparam("now")
)
_LINES = select(cart_lines).where(cart_lines.c.owner == bindparam("owner"))
_QUANTITY = select(cart_lines.c.quantity).where(
    cart_lines.c.owner == bindparam("owner"), cart_lines.c.sku == bindparam("sku")
)
# Add units to a line, or start it; nothing happens (no row returned) past the limit.
_ADD_UNITS = (
    insert(cart_lines)
    .values(
        owner=bindparam("owner"),
        sku=bindparam("sku"),
        product_id=bindparam("product_id"),
        quantity=bindparam("quantity"),
        unit_price_cents=bindparam("unit_price_cents"),
        added_at=bindparam("added_at"),
    )
    .on_conflict_do_update(
        index_elements=[cart_lines.c.owner, cart_lines.c.sku],
        set_={"quantity": cart_lines.c.quantity + bindparam("quantity")},
        where=cart_lines.c.quantity + bindparam("quantity") <= bindparam("limit"),
    )
    .returning(cart_lines.c.quantity)
)
_LINE_COUNT = select(func.count()).where(cart_lines.c.owner == bindparam("owner"))
_DROP_LINES = delete(cart_lines).where(cart_lines.c.owner == bindparam("owner"))
_DROP_VIEW = delete(cart_views).where(cart_views.c.owner == bindparam("owner"))
# Lines of an expired cart the sweeper has not removed yet go before the cart is revived.
_DROP_EXPIRED_LINES = _DROP_LINES.where(
    exists().where(carts.c.owner == bindparam("owner"), carts.c.expires_at <= bindparam("now"))
)
# Refresh the cart's expiry and bump its revision (a new cart's revision starts from the
# clock, so a cart swept and started again never reuses a revision an old cached view
# could carry). A new or expired cart gets a new id; a live one keeps its own.
_TOUCH = (
    insert(carts)
    .values(
        owner=bindparam("owner"),
        revision=bindparam("first"),
        expires_at=bindparam("until"),
        cart_id=bindparam("cart_id"),
    )
    .on_conflict_do_update(
        index_elements=[carts.c.owner],
        set_={
            "revision": carts.c.revision + 1,
            "expires_at": bindparam("until"),
            "cart_id": case(
                (carts.c.expires_at <= bindparam("now"), bindparam("cart_id")),
                else_=func.coalesce(carts.c.cart_id, bindparam("cart_id")),
            ),
        },
    )
)
# Consuming an ordered cart: only while it still has the id the order was placed from.
_CONSUMED_CART = (
    update(carts)
    .where(
        carts.c.owner == bindparam("of"),
        carts.c.cart_id == bindparam("ordered_id"),
        carts.c.expires_at > bindparam("now"),
    )
    .values(revision=carts.c.revision + 1, cart_id=bindparam("new_id"))
)
_TAKE_ORDERED = (
    update(cart_lines)
    .where(cart_lines.c.owner == bindparam("of"), cart_lines.c.sku == bindparam("line"))
    .values(quantity=cart_lines.c.quantity - bindparam("ordered"))
)
_DROP_EMPTY_LINES = delete(cart_lines).where(
    cart_lines.c.owner == bindparam("owner"), cart_lines.c.quantity <= 0
)


class SqlCartStore:
    def __init__(self, database: TtlDatabase, ttl: float) -> None:
        self._db = database
        self._ttl = ttl

    def snapshot(self, owner: str) -> CartSnapshot:
        with unavailable_as_store_error(), self._db.reader.connect() as connection:
            cart = connection.execute(_LIVE_CART, {"owner": owner, "now": time.time()}).first()
            if cart is None:
                return CartSnapshot([], 0)
            rows = connection.execute(_LINES, {"owner": owner})
            lines = [
                CartLine(r.sku, r.product_id, r.quantity, r.unit_price_cents, r.added_at)
                for r in rows
            ]
        return CartSnapshot(lines, cart.revision, cart.cart_id if lines else "")

    def add(self, owner: str, line: CartLine, limit: int, max_lines: int) -> int:
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            self._touch(connection, owner)
            params = {"owner": owner, "sku": line.sku}
            if connection.execute(_QUANTITY, params).first() is None and (
                connection.execute(_LINE_COUNT, params).scalar_one() >= max_lines
            ):
                raise CartFull(max_lines)  # rolls the touch back
            quantity = None
            if line.quantity <= limit:
                quantity = connection.execute(
                    _ADD_UNITS, {"owner": owner, "limit": limit, **_row(line)}
                ).scalar()
            if quantity is None:
                current = connection.execute(_QUANTITY, {"owner": owner, "sku": line.sku})
                raise QuantityLimit(line.sku, current.scalar() or 0)  # rolls the touch back
        return int(quantity)

    def set_quantity(self, owner: str, sku: str, quantity: int) -> bool:
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            if self._live_revision(connection, owner) is None:
                return False
            changed = connection.execute(
                update(cart_lines)
                .where(cart_lines.c.owner == owner, cart_lines.c.sku == sku)
                .values(quantity=quantity)
            ).rowcount
            if changed:
                self._touch(connection, owner)
        return bool(changed)

    def put(self, owner: str, lines: Iterable[CartLine]) -> None:
        rows = [{"owner": owner, **_row(line)} for line in lines]
        if not rows:
            return
        statement = insert(cart_lines)
        statement = statement.on_conflict_do_update(
            index_elements=[cart_lines.c.owner, cart_lines.c.sku],
            set_={"quantity": statement.excluded.quantity},
        )
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            self._touch(connection, owner)
            connection.execute(statement, rows)

    def remove(self, owner: str, sku: str) -> bool:
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            if self._live_revision(connection, owner) is None:
                return False
            removed = connection.execute(
                delete(cart_lines).where(cart_lines.c.owner == owner, cart_lines.c.sku == sku)
            ).rowcount
            self._touch(connection, owner)
        return bool(removed)

    def clear(self, *owners: str) -> None:
        # The cart row stays, its revision bumped: a view priced before the clear must not
        # match a revision the emptied cart could reach again.
        if not owners:
            return
        each = [{"owner": owner} for owner in owners]
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            connection.execute(_DROP_LINES, each)
            connection.execute(_DROP_VIEW, each)
            connection.execute(_TOUCH, [self._touched(owner) for owner in owners])

    def consume(self, ordered: Sequence[OrderedCart]) -> None:
        if not ordered:
            return
        now = time.time()
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            for cart in ordered:
                renewed = connection.execute(
                    _CONSUMED_CART,
                    {"of": cart.owner, "ordered_id": cart.cart_id, "now": now, "new_id": _id()},
                ).rowcount
                if not renewed:
                    continue  # consumed already, or expired
                connection.execute(
                    _TAKE_ORDERED,
                    [
                        {"of": cart.owner, "line": sku, "ordered": quantity}
                        for sku, quantity in cart.quantities.items()
                    ],
                )
                connection.execute(_DROP_EMPTY_LINES, {"owner": cart.owner})
                connection.execute(_DROP_VIEW, {"owner": cart.owner})

    def cached_view(self, owner: str) -> bytes | None:
        now = time.time()
        query = (
            select(cart_views.c.body)
            .join(carts, carts.c.owner == cart_views.c.owner)
            .where(
                cart_views.c.owner == owner,
                cart_views.c.revision == carts.c.revision,
                cart_views.c.expires_at > now,
                carts.c.expires_at > now,
            )
        )
        with unavailable_as_store_error(), self._db.reader.connect() as connection:
            body = connection.execute(query).scalar()
        return body.encode() if body is not None else None

    def cache_view(self, owner: str, view: bytes, revision: int, ttl: float) -> None:
        values = {"revision": revision, "body": view.decode(), "expires_at": time.time() + ttl}
        statement = insert(cart_views).values(owner=owner, **values)
        statement = statement.on_conflict_do_update(
            index_elements=[cart_views.c.owner], set_=values
        )
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            connection.execute(statement)

    def drop_views_for(self, product_ids: Iterable[str]) -> None:
        wanted = list(product_ids)
        if not wanted:
            return
        owners = select(cart_lines.c.owner).where(cart_lines.c.product_id.in_(wanted))
        with unavailable_as_store_error(), self._db.writer.begin() as connection:
            connection.execute(
                update(carts).where(carts.c.owner.in_(owners)).values(revision=carts.c.revision + 1)
            )
            connection.execute(delete(cart_views).where(cart_views.c.owner.in_(owners)))

    def _live_revision(self, connection: Connection, owner: str) -> int | None:
        return connection.execute(_LIVE_CART, {"owner": owner, "now": time.time()}).scalar()

    def _touch(self, connection: Connection, owner: str) -> None:
        """Refresh the cart's expiry and bump its revision; an expired cart starts empty."""
        connection.execute(_DROP_EXPIRED_LINES, {"owner": owner, "now": time.time()})
        connection.execute(_TOUCH, self._touched(owner))

    def _touched(self, owner: str) -> dict[str, object]:
        now = time.time()
        return {
            "owner": owner,
            "first": time.time_ns() // 1000,
            "now": now,
            "until": now + self._ttl,
            "cart_id": _id(),
        }


def _id() -> str:
    return uuid.uuid4().hex


def _row(line: CartLine) -> dict[str, object]:
    return {
        "sku": line.sku,
        "product_id": line.product_id,
        "quantity": line.quantity,
        "unit_price_cents": line.unit_price_cents,
        "added_at": line.added_at,
    }
