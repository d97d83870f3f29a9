"""The admin's order list: everyone's orders under filters, newest first, a page at a time.

Read from the order-history read model (`history`). Pages are keyset pages: a page is "the
orders placed before (or after) this one", so page 2,000 costs what page 1 costs, and an
order placed meanwhile does not shift the list under the admin. Each filter meets an
index that starts with it (status, customer, total; the date range with any of them), and
the count stops at a cap: a label of "10,000+" is worth no scan of 100,000 rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Engine, MetaData, Select, func, literal_column, or_, select

from polyshop.orders.history import OrderHistoryProjection
from polyshop.values.clock import in_utc
from polyshop.values.money import to_cents

_view = OrderHistoryProjection().define_tables(MetaData(), "")[0]

#: Where the count stops ("10,000+ orders").
COUNT_CAP = 10_000
#: Fewer matches than this are sorted once found, rather than met in placed-at order.
FEW = 2_000


@dataclass(frozen=True, slots=True)
class Cursor:
    """An order's place in the list: when it was placed, and its id for ties."""

    placed_at: datetime
    order_id: str

    def __str__(self) -> str:
        return f"{self.placed_at.astimezone(UTC).isoformat()}~{self.order_id}"

    @classmethod
    def parse(cls, text: str) -> Cursor | None:
        """The cursor a page link carries; None for text that is not one."""
        at, _, order_id = text.partition("~")
        try:
            placed_at = datetime.fromisoformat(at)
        except ValueError:
            return None
        if placed_at.tzinfo is None or not order_id or len(order_id) > 36:
            return None
        moment = in_utc(placed_at)  # None for 0001-01-01T00:00+05:00: before year 1 in UTC
        return cls(moment, order_id) if moment is not None else None

    @classmethod
    def of(cls, document: dict[str, Any]) -> Cursor:
        return cls(datetime.fromisoformat(document["placed_at"]), document["order_id"])


@dataclass(frozen=True, slots=True)
class AdminOrderFilter:
    """Which orders: each field None for "any". A customer is `user_id` and/or the orders
    in `order_ids` (a guest's, found by email): orders matching either."""

    status: str | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None
    user_id: str | None = None
    order_ids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class OrdersPage:
    """Documents newest first; whether older and newer orders lie beyond; the count."""

    orders: list[dict[str, Any]]
    has_older: bool
    has_newer: bool
    total: int

    @property
    def capped(self) -> bool:
        return self.total >= COUNT_CAP

    @property
    def older(self) -> Cursor | None:
        return Cursor.of(self.orders[-1]) if self.orders and self.has_older else None

    @property
    def newer(self) -> Cursor | None:
        return Cursor.of(self.orders[0]) if self.orders and self.has_newer else None


def _conditions(where: AdminOrderFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.status is not None:
        conditions.append(_view.c.status == where.status)
    if where.placed_from is not None:
        conditions.append(_view.c.placed_at >= where.placed_from)
    if where.placed_to is not None:
        conditions.append(_view.c.placed_at < where.placed_to)
    if where.min_total is not None:
        conditions.append(_view.c.total_cents >= to_cents(where.min_total))
    if where.max_total is not None:
        conditions.append(_view.c.total_cents <= to_cents(where.max_total))
    customer = []
    if where.user_id is not None:
        customer.append(_view.c.user_id == where.user_id)
    if where.order_ids is not None:
        customer.append(_view.c.order_id.in_(where.order_ids))
    if customer:
        conditions.append(or_(*customer))
    return conditions


def _page_query(
    conditions: list[ColumnElement[bool]],
    before: Cursor | None,
    after: Cursor | None,
    *,
    sort_found: bool = False,
) -> Select[Any]:
    """Newest first from `before` (or the newest); oldest first from `after`. With
    `sort_found`, neither the order nor the cursor's bound uses the placed-at index (see
    `page_orders`)."""
    at, order_id = _view.c.placed_at, _view.c.order_id
    # SQLite's unary plus: the same value, but no index may give the order.
    ordered: Any = literal_column(f"+{_view.name}.placed_at") if sort_found else at
    query = select(_view.c.document).where(*conditions)
    if after is not None:
        return query.where(
            ordered >= after.placed_at, or_(at > after.placed_at, order_id > after.order_id)
        ).order_by(ordered, order_id)
    if before is not None:
        query = query.where(
            ordered <= before.placed_at, or_(at < before.placed_at, order_id < before.order_id)
        )
    return query.order_by(ordered.desc(), order_id.desc())


def page_orders(
    engine: Engine,
    where: AdminOrderFilter,
    *,
    before: Cursor | None = None,
    after: Cursor | None = None,
    limit: int = 50,
) -> OrdersPage:
    """One page of orders under `where`: older than `before`, newer than `after`, or the
    newest; newest first either way."""
    conditions = _conditions(where)
    with engine.connect() as connection:
        counted = select(_view.c.order_id).where(*conditions).limit(COUNT_CAP).subquery()
        total = connection.execute(select(func.count()).select_from(counted)).scalar_one()
        # SQLite plans without knowing how many rows a filter keeps: for a rare total it
        # walks the placed-at index for the order and tests every order (50 ms at
        # 100,000). Few matches are cheaper found through their filter's index and sorted.
        sort_found = engine.dialect.name == "sqlite" and total < FEW
        query = _page_query(conditions, before, after, sort_found=sort_found)
        documents = [dict(row.document) for row in connection.execute(query.limit(limit + 1))]
    more = len(documents) > limit
    documents = documents[:limit]
    if after is not None:
        documents.reverse()
        return OrdersPage(documents, True, more, int(total))
    return OrdersPage(documents, more, before is not None, int(total))
