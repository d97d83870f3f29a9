"""Checkout's own tables: the answers kept per idempotency key, and the carts ordered.

Statements are built once at import: under a flash sale, constructing a statement per order
costs more than running it. Batch reads take the unit of work's connection (they must see
what the batch's transaction sees); single lookups after a refusal read the primary, never a
replica (they look for what committed a moment ago).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, tuple_, update

from polyshop.orders.schema import guest_orders, idempotency, ordered_carts

_REMEMBER = insert(idempotency)
_RECORD_CART = insert(ordered_carts)
_ORDER_OF_CART = select(ordered_carts.c.cart_id, ordered_carts.c.order_id)
_EARLIER = select(
    idempotency.c.user_id,
    idempotency.c.key,
    idempotency.c.request_hash,
    idempotency.c.status_code,
    idempotency.c.response,
)
#: A recorded answer, as `_EARLIER` reads it: user_id, key, request_hash, status_code, response.
Answer = Row[Any, Any, Any, Any, Any]


def earlier_answers(
    connection: Connection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Answer]:
    """Answers already recorded for any of these (user, key) pairs."""
    statement = _EARLIER.where(tuple_(idempotency.c.user_id, idempotency.c.key).in_(list(keys)))
    return {(row.user_id, row.key): row for row in connection.execute(statement)}


def orders_of_carts(connection: Connection, cart_ids: Iterable[str]) -> dict[str, str]:
    """The order each of these carts became, for those ordered already."""
    statement = _ORDER_OF_CART.where(ordered_carts.c.cart_id.in_(list(cart_ids)))
    return {row.cart_id: row.order_id for row in connection.execute(statement)}


def remember(connection: Connection, answers: Sequence[dict[str, Any]]) -> None:
    """Keep each answer under its (user, key): a retry is answered, never placed again."""
    connection.execute(_REMEMBER, list(answers))


def record_carts(connection: Connection, carts: Sequence[dict[str, Any]]) -> None:
    """Record each cart with its order: the primary key refuses a second order of it."""
    connection.execute(_RECORD_CART, list(carts))


def order_of_cart(engine: Engine, cart_id: str) -> str | None:
    with engine.connect() as connection:
        row = connection.execute(_ORDER_OF_CART.where(ordered_carts.c.cart_id == cart_id)).first()
    return None if row is None else str(row.order_id)


def earlier_answer(engine: Engine, user_id: str, key: str) -> Answer | None:
    with engine.connect() as connection:
        return connection.execute(
            _EARLIER.where(idempotency.c.user_id == user_id, idempotency.c.key == key)
        ).first()


def record_guests(connection: Connection, guests: Sequence[dict[str, Any]]) -> None:
    """Remember guest orders by email (see `schema.guest_orders`)."""
    if guests:
        connection.execute(insert(guest_orders), list(guests))


def guest_order(engine: Engine, order_id: str) -> Row[Any, Any] | None:
    """A guest order's row (`placed_by`, `claimed_by`), None for any other order."""
    with engine.connect() as connection:
        return connection.execute(
            select(guest_orders.c.placed_by, guest_orders.c.claimed_by).where(
                guest_orders.c.order_id == order_id
            )
        ).first()


def unclaimed_guest_orders(engine: Engine, email_key: str, placed_by: str) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(guest_orders.c.order_id)
            .where(
                guest_orders.c.email_key == email_key,
                guest_orders.c.placed_by == placed_by,
                guest_orders.c.claimed_by.is_(None),
            )
            .order_by(guest_orders.c.created_at)
        )
        return [str(row.order_id) for row in rows]


def guest_orders_by_email(engine: Engine, email_key: str, limit: int) -> list[str]:
    """The ids of (at most `limit`) orders placed as a guest with this email, claimed or
    not, newest first: an admin looking for a customer finds their guest orders too."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(guest_orders.c.order_id)
            .where(guest_orders.c.email_key == email_key)
            .order_by(guest_orders.c.created_at.desc())
            .limit(limit)
        )
        return [str(row.order_id) for row in rows]


def mark_claimed(engine: Engine, order_id: str, user_id: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(guest_orders)
            .where(guest_orders.c.order_id == order_id)
            .values(claimed_by=user_id)
        )
