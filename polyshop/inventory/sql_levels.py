"""The admin's list of stock rows: by SKU, or fewest available first, a page at a time.

A SKU prefix is a range of the primary key (`sku >= 'TEE' AND sku < 'TEF'`: SKUs are upper
case ASCII and compared byte by byte, as SQLite and PostgreSQL's C collation do), so a
search reads only the rows it shows. Fewest available first walks the index on units
available (`ix_inventory_stock_available`, the dashboard's low-stock index: the very
expression it is built on). Counts stop at a cap: at millions of SKUs an exact count
would cost more than the page it labels.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from polyshop.inventory.schema import stock

#: Units available, spelled as the index on it is.
AVAILABLE = stock.c.on_hand - stock.c.reserved


def _prefix_range(prefix: str) -> list[ColumnElement[bool]]:
    if not prefix:
        return []
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return [stock.c.sku >= prefix, stock.c.sku < after]


def list_levels(
    connection: Connection, prefix: str, *, low_first: bool, limit: int, offset: int
) -> list[tuple[str, int, int]]:
    """(sku, on hand, reserved) of one page of SKUs starting with `prefix` (upper case)."""
    order: list[Any] = [AVAILABLE, stock.c.sku] if low_first else [stock.c.sku]
    rows = connection.execute(
        select(stock.c.sku, stock.c.on_hand, stock.c.reserved)
        .where(*_prefix_range(prefix))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    ).all()
    return [(row.sku, row.on_hand, row.reserved) for row in rows]


def count_levels(connection: Connection, prefix: str, cap: int) -> int:
    """How many SKUs start with `prefix`, counting at most `cap`."""
    inner = select(stock.c.sku).where(*_prefix_range(prefix)).limit(cap).subquery()
    return int(connection.execute(select(func.count()).select_from(inner)).scalar_one())
