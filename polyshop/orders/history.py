"""The order-history read model: one row per order, its document folded from its events.

The fold is the aggregate's own (`domain.fold`), so the read model answers exactly what a
replay of the stream answers; rebuilding it from the log gives identical documents.
Indexed for the questions asked of it: a user's orders newest first, and admins' filters by
status and date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
)

from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.sql_tables import SqlTableProjection, bulk_upsert
from polyshop.eventstore.schema import Json
from polyshop.orders import daily_sales, domain
from polyshop.orders.domain import Order
from polyshop.values.money import to_cents

VIEW = "order_history"


class OrderHistoryProjection(SqlTableProjection):
    name = "order_history"
    # 2: documents name the payment that paid (`paid_payment_id`), and a refund marks it
    # `refunded`, so a refund due shows until it is paid back.
    # 3: guest orders: documents carry `guest_email`, and `OrderClaimed` moves an order to
    # the account that claimed it (`user_id`).
    # 4: an index on totals, for the admin's total range filter (`admin_listing`).
    # 5: the per-day sales roll-up (`daily_sales`), for the dashboard's today.
    version = 5
    event_types = domain.EVENT_TYPES

    def define_tables(self, metadata: MetaData, suffix: str) -> list[Table]:
        return [
            Table(
                f"{VIEW}{suffix}",
                metadata,
                Column("order_id", String(36), primary_key=True),
                Column("user_id", String(36), nullable=False),
                Column("status", String(20), nullable=False),
                Column("total_cents", BigInteger, nullable=False),
                Column("currency", String(3), nullable=False),
                Column("item_count", Integer, nullable=False),
                Column("placed_at", DateTime(timezone=True), nullable=False),
                Column("updated_at", DateTime(timezone=True), nullable=False),
                Column("document", Json, nullable=False),
                Index(f"ix_{VIEW}{suffix}_user", "user_id", "placed_at"),
                Index(f"ix_{VIEW}{suffix}_status", "status", "placed_at"),
                Index(f"ix_{VIEW}{suffix}_placed", "placed_at"),
                Index(f"ix_{VIEW}{suffix}_total", "total_cents", "placed_at"),
            ),
            daily_sales.define_table(metadata, suffix),
        ]

    def adapt_older(self, generation: int, version: int, connection: Any) -> None:
        """Until the rebuild swaps in, an older generation has no per-day roll-up: stand one
        in, grouped from its history rows (as the dashboard asked before version 5)."""
        if version >= 5:
            return
        history = self.tables(generation)[VIEW].name
        dialect = connection.dialect.name
        day = (
            "(placed_at AT TIME ZONE 'UTC')::date" if dialect == "postgresql" else "date(placed_at)"
        )
        connection.exec_driver_sql(f"DROP VIEW IF EXISTS {daily_sales.VIEW}")
        connection.exec_driver_sql(
            f"CREATE VIEW {daily_sales.VIEW} AS SELECT {day} AS day, status, currency, "
            f"count(*) AS orders, sum(total_cents) AS total_cents FROM {history} "
            f"GROUP BY {day}, status, currency"
        )

    def apply(self, events: Sequence[RecordedEvent], generation: int, connection: Any) -> None:
        tables = self.tables(generation)
        target = tables[VIEW]
        ids = {event.stream_id.removeprefix("order-") for event in events}
        current = {
            row.order_id: domain.from_document(row.document)
            for row in connection.execute(
                select(target.c.order_id, target.c.document).where(target.c.order_id.in_(ids))
            )
        }
        # `fold` changes an order in place: its share of a day is taken before.
        before = {order_id: daily_sales.share(order) for order_id, order in current.items()}
        for event in events:
            order_id = event.stream_id.removeprefix("order-")
            order = current.get(order_id)
            if order is not None and event.version <= order.version:
                continue  # already applied (a replayed batch after a crash)
            current[order_id] = domain.fold(
                order, event.type, event.data, event.version, event.recorded_at
            )
        touched = [current[i] for i in ids if i in current]
        bulk_upsert(
            connection,
            target,
            [_row(order) for order in touched],
            key=["order_id"],
            assignments={
                column: f"excluded.{column}"
                for column in (
                    "user_id",
                    "status",
                    "updated_at",
                    "document",
                    "total_cents",
                    "item_count",
                )
            },
        )
        daily_sales.record(connection, tables[daily_sales.VIEW], before, touched)


def _row(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "user_id": order.user_id,
        "status": order.status.value,
        "total_cents": to_cents(order.total),
        "currency": order.currency,
        "item_count": sum(item.quantity for item in order.items),
        "placed_at": order.placed_at,
        "updated_at": order.updated_at or order.placed_at,
        "document": domain.document(order),
    }


_view = OrderHistoryProjection().define_tables(MetaData(), "")[0]


@dataclass(frozen=True, slots=True)
class OrderFilter:
    user_id: str | None = None
    status: str | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None


def list_orders(
    engine: Engine, where: OrderFilter, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Orders newest first with the total matching, through the indexes above."""
    conditions = []
    if where.user_id is not None:
        conditions.append(_view.c.user_id == where.user_id)
    if where.status is not None:
        conditions.append(_view.c.status == where.status)
    if where.placed_from is not None:
        conditions.append(_view.c.placed_at >= where.placed_from)
    if where.placed_to is not None:
        conditions.append(_view.c.placed_at < where.placed_to)
    with engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(_view).where(*conditions)
        ).scalar_one()
        rows = connection.execute(
            select(_view.c.document)
            .where(*conditions)
            .order_by(_view.c.placed_at.desc(), _view.c.order_id)
            .limit(limit)
            .offset(offset)
        )
        documents = [dict(row.document) for row in rows]
    return documents, int(total)


def get_order(engine: Engine, order_id: str) -> dict[str, Any] | None:
    with engine.connect() as connection:
        row = connection.execute(
            select(_view.c.document).where(_view.c.order_id == order_id)
        ).first()
    return dict(row.document) if row is not None else None


def oldest_in_status(
    engine: Engine, status: str, limit: int, cap: int
) -> tuple[list[dict[str, Any]], int]:
    """The `limit` longest-waiting orders in `status` (oldest placed first) and how many
    are in it, counted to `cap` + 1 at most (a dashboard's "10,000+" is worth no scan of a
    million rows), both through the (status, placed_at) index."""
    condition = _view.c.status == status
    with engine.connect() as connection:
        counted = select(_view.c.order_id).where(condition).limit(cap + 1).subquery()
        total = connection.execute(select(func.count()).select_from(counted)).scalar_one()
        rows = connection.execute(
            select(_view.c.document)
            .where(condition)
            .order_by(_view.c.placed_at, _view.c.order_id)
            .limit(limit)
        )
        documents = [dict(row.document) for row in rows]
    return documents, int(total)
