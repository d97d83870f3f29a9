"""Orders placed per UTC day, by status and currency: the dashboard's "today" in one row read.

Kept by the order-history projection in the same transaction as the history rows (and so
rebuilt with them): each batch moves an order's contribution from its old (day, status,
currency, total) to its new one. Summing the orders of a busy day at every dashboard view
would read every one of them; this answers from a handful of rows whatever the day's volume.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date
from typing import Any

from sqlalchemy import BigInteger, Column, Date, Engine, MetaData, String, Table, func, select

from polyshop.eventstore.projections.sql_tables import bulk_upsert
from polyshop.orders.domain import Order
from polyshop.values.money import to_cents

VIEW = "order_sales_daily"

#: One order's share of a day: (day, status, currency) and its total in cents.
Share = tuple[tuple[date, str, str], int]


def define_table(metadata: MetaData, suffix: str) -> Table:
    return Table(
        f"{VIEW}{suffix}",
        metadata,
        Column("day", Date, primary_key=True),
        Column("status", String(20), primary_key=True),
        Column("currency", String(3), primary_key=True),
        Column("orders", BigInteger, nullable=False),
        Column("total_cents", BigInteger, nullable=False),
    )


def share(order: Order) -> Share:
    day = order.placed_at.astimezone(UTC).date()
    return (day, order.status.value, order.currency), to_cents(order.total)


def record(
    connection: Any,
    table: Table,
    before: Mapping[str, Share],
    after: Iterable[Order],
) -> None:
    """Move each order's share from what it was (`before`, by order id; absent for a new
    order) to what it is now; unchanged orders cost nothing."""
    orders: Counter[tuple[date, str, str]] = Counter()
    cents: Counter[tuple[date, str, str]] = Counter()
    for order in after:
        new_key, new_cents = share(order)
        old = before.get(order.id)
        if old is not None:
            old_key, old_cents = old
            if (old_key, old_cents) == (new_key, new_cents):
                continue
            orders[old_key] -= 1
            cents[old_key] -= old_cents
        orders[new_key] += 1
        cents[new_key] += new_cents
    rows = [
        {
            "day": key[0],
            "status": key[1],
            "currency": key[2],
            "orders": orders[key],
            "total_cents": cents[key],
        }
        for key in orders.keys() | cents.keys()
        if orders[key] or cents[key]
    ]
    bulk_upsert(
        connection,
        table,
        sorted(rows, key=lambda row: (row["day"], row["status"], row["currency"])),
        key=["day", "status", "currency"],
        assignments={
            "orders": f"{table.name}.orders + excluded.orders",
            "total_cents": f"{table.name}.total_cents + excluded.total_cents",
        },
    )


_view = define_table(MetaData(), "")


def sales_on(engine: Engine, first: date, last: date) -> list[tuple[str, str, int, int]]:
    """(status, currency, orders, total cents) of the orders placed on the UTC days from
    `first` to `last` inclusive."""
    query = (
        select(
            _view.c.status,
            _view.c.currency,
            func.sum(_view.c.orders),
            func.sum(_view.c.total_cents),
        )
        .where(_view.c.day >= first, _view.c.day <= last)
        .group_by(_view.c.status, _view.c.currency)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [(row[0], row[1], int(row[2] or 0), int(row[3] or 0)) for row in rows if row[2]]
