"""The inventory's SQL: the stock and reservation rows, and the conditional statements that
change them.

The no-oversell guarantee lives in these statements as much as in `stock`'s rules: every
change is a conditional UPDATE (`... WHERE on_hand - reserved >= :qty`) that bumps the SKU's
stream version and returns the figures its event records, and holds lock every row they need
in one statement, in SKU order. Prepared once at import: they are built per call nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Update, bindparam, delete, insert, select, update

from polyshop.inventory.schema import reservations, stock
from polyshop.runtime.bulk import insert_rows


def _change(condition: ColumnElement[bool] | None = None, **values: Any) -> Update:
    """An UPDATE of one SKU's row that bumps its stream version and returns the figures its
    event records (see `UnitOfWork.change_and_append`)."""
    where = stock.c.sku == bindparam("s")
    return (
        update(stock)
        .where(where if condition is None else where & condition)
        .values(version=stock.c.version + 1, **values)
        .returning(
            stock.c.on_hand,
            stock.c.reserved,
            (stock.c.on_hand - stock.c.reserved).label("available"),
            stock.c.version,
        )
    )


#: Parameters `s` (the SKU) and `d` (units on hand to add): never below what is reserved.
ADJUST = _change(
    stock.c.on_hand + bindparam("d") >= stock.c.reserved, on_hand=stock.c.on_hand + bindparam("d")
)
#: Parameters `s` and `q`: reserved units leave the shelf.
TAKE = _change(reserved=stock.c.reserved - bindparam("q"), on_hand=stock.c.on_hand - bindparam("q"))
#: Parameters `s` and `q`: reserved units become available again.
RELEASE = _change(reserved=stock.c.reserved - bindparam("q"))


_HOLD = insert(reservations)
# Holds lock every row they need in one statement, in SKU order.
_LOCK = (
    select(stock.c.sku, stock.c.on_hand, stock.c.reserved, stock.c.version)
    .where(stock.c.sku.in_(bindparam("skus", expanding=True)))
    .order_by(stock.c.sku)
    .with_for_update()
)
# What the granted holds add to one SKU: `q` units over `n - v` events. Conditional all the
# same: the row must be as it was locked and able to cover what is added.
_BOOK = (
    update(stock)
    .where(
        stock.c.sku == bindparam("s"),
        stock.c.version == bindparam("v"),
        stock.c.on_hand - stock.c.reserved >= bindparam("q"),
    )
    .values(reserved=stock.c.reserved + bindparam("q"), version=bindparam("n"))
)


def level(connection: Connection, sku: str) -> tuple[int, int] | None:
    """The SKU's (on hand, reserved), or None when no stock is kept for it."""
    row = connection.execute(
        select(stock.c.on_hand, stock.c.reserved).where(stock.c.sku == sku)
    ).first()
    return (row.on_hand, row.reserved) if row else None


_LEVELS = select(stock.c.sku, stock.c.on_hand, stock.c.reserved, stock.c.version).where(
    stock.c.sku.in_(bindparam("skus", expanding=True))
)


def levels(connection: Connection, skus: Sequence[str]) -> list[tuple[str, int, int, int]]:
    """(sku, on hand, reserved, version) of those of `skus` that have a stock row."""
    rows = connection.execute(_LEVELS, {"skus": list(skus)}).all()
    return [(r.sku, r.on_hand, r.reserved, r.version) for r in rows]


def insert_stock(connection: Connection, levels: Mapping[str, int]) -> None:
    """The rows of new SKUs, with their units on hand and nothing reserved, at version 1."""
    insert_rows(
        connection,
        stock,
        [{"sku": s, "on_hand": n, "reserved": 0, "version": 1} for s, n in levels.items()],
    )


def lock(connection: Connection, skus: Sequence[str]) -> Iterable[Any]:
    """Lock the rows of `skus` in SKU order, in one statement; rows of (sku, on_hand,
    reserved, version)."""
    return connection.execute(_LOCK, {"skus": list(skus)})


def book(connection: Connection, changes: list[dict[str, Any]], held: list[dict[str, Any]]) -> None:
    """Write granted holds: per SKU `{s, q, v, n}` (add `q` reserved, from version `v` to `n`),
    and the reservation rows. The rows were locked by `lock`, so each UPDATE matches."""
    result = connection.execute(_BOOK, changes)
    if result.rowcount != len(changes):  # a locked row moved: never expected
        raise RuntimeError("stock rows changed under their lock")
    connection.execute(_HOLD, held)


def held(connection: Connection, holder: str) -> list[tuple[str, int]]:
    """What `holder` reserves: (sku, quantity), in SKU order."""
    rows = connection.execute(
        select(reservations.c.sku, reservations.c.quantity)
        .where(reservations.c.holder == holder)
        .order_by(reservations.c.sku)
    ).all()
    return [(r.sku, r.quantity) for r in rows]


def drop_reservations(connection: Connection, holder: str) -> None:
    connection.execute(delete(reservations).where(reservations.c.holder == holder))


def expired_holders(connection: Connection, now: datetime, limit: int = 100) -> list[str]:
    rows = connection.execute(
        select(reservations.c.holder)
        .where(reservations.c.expires_at < now)
        .group_by(reservations.c.holder)
        .limit(limit)
    ).all()
    return [r.holder for r in rows]


#: Units available, as the low-stock index (`ix_inventory_stock_available`) spells it: the
#: planner uses an expression index only for the very same expression.
AVAILABLE = stock.c.on_hand - stock.c.reserved


def low_stock(connection: Connection, threshold: int, limit: int) -> list[tuple[str, int, int]]:
    """(sku, on hand, reserved) of SKUs with at most `threshold` available, fewest first:
    a range scan of the available-units index, stopped after `limit` rows."""
    rows = connection.execute(
        select(stock.c.sku, stock.c.on_hand, stock.c.reserved)
        .where(threshold >= AVAILABLE)
        .order_by(AVAILABLE, stock.c.sku)
        .limit(limit)
    ).all()
    return [(r.sku, r.on_hand, r.reserved) for r in rows]
