"""Units sold and revenue per product over time: a projection of order events.

Orders are few next to views (thousands a day, not millions), and this read model must
count each order exactly once, so it lives beside the log in the event store's database and
moves with the projection's checkpoint in one transaction. A cancelled or refunded order
writes negative rows at the time it was undone: a bucket shows what was sold *net* then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
)

from polyshop.analytics.domain import TimeRange
from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.sql_tables import SqlTableProjection, bulk_upsert
from polyshop.orders import domain as orders
from polyshop.values.money import from_cents, to_cents

VIEW = "product_sales"
PLACED = "placed"
#: Cancelled or refunded: either takes the order off, once (a paid order may be cancelled
#: and then refunded; its units must not go twice).
UNDONE = "undone"
UNDOING = frozenset({orders.ORDER_CANCELLED, orders.ORDER_REFUNDED})


class SalesProjection(SqlTableProjection):
    name = "product_sales"
    version = 1
    event_types = frozenset({orders.ORDER_PLACED, *UNDOING})

    def define_tables(self, metadata: MetaData, suffix: str) -> list[Table]:
        return [
            Table(
                f"{VIEW}{suffix}",
                metadata,
                Column("order_id", String(36), primary_key=True),
                Column("sku", String(64), primary_key=True),
                Column("kind", String(10), primary_key=True),
                Column("product_id", String(36), nullable=False),
                Column("units", Integer, nullable=False),
                Column("revenue_cents", BigInteger, nullable=False),
                # Milliseconds since the epoch: buckets are plain arithmetic on every database.
                Column("at_ms", BigInteger, nullable=False),
                Index(f"ix_{VIEW}{suffix}_product", "product_id", "at_ms"),
            )
        ]

    def apply(self, events: Sequence[RecordedEvent], generation: int, connection: Any) -> None:
        table = self.tables(generation)[VIEW]
        rows: list[dict[str, Any]] = []
        placed: dict[str, list[dict[str, Any]]] = {}
        taken_off: set[str] = set()
        undoing = {e.stream_id.removeprefix("order-") for e in events if e.type in UNDOING}
        if undoing:
            for row in connection.execute(
                select(table).where(table.c.order_id.in_(undoing))
            ).mappings():
                if row["kind"] == UNDONE:
                    taken_off.add(row["order_id"])
                    continue
                # Plain str keys: column names come back as a str subclass JSON encoders refuse.
                placed.setdefault(row["order_id"], []).append({str(k): v for k, v in row.items()})
        for event in events:
            at = _ms(event.recorded_at)
            if event.type == orders.ORDER_PLACED:
                order_id = event.data["order_id"]
                items = [
                    {
                        "order_id": order_id,
                        "sku": item["sku"],
                        "kind": PLACED,
                        "product_id": item["product_id"],
                        "units": item["quantity"],
                        "revenue_cents": to_cents(Decimal(item["unit_price"])) * item["quantity"],
                        "at_ms": at,
                    }
                    for item in event.data["items"]
                ]
                placed[order_id] = items
                rows.extend(items)
            else:
                order_id = event.stream_id.removeprefix("order-")
                if order_id in taken_off:
                    continue
                taken_off.add(order_id)
                for item in placed.get(order_id, []):
                    rows.append(
                        {
                            **item,
                            "kind": UNDONE,
                            "units": -item["units"],
                            "revenue_cents": -item["revenue_cents"],
                            "at_ms": at,
                        }
                    )
        bulk_upsert(
            connection,
            table,
            rows,
            key=["order_id", "sku", "kind"],
            assignments={"units": "excluded.units"},  # a replayed batch writes the same rows
        )


_view = SalesProjection().define_tables(MetaData(), "")[0]


def sales_series(
    engine: Engine, product_id: str, rng: TimeRange
) -> dict[datetime, tuple[int, Decimal]]:
    """Net units and revenue per bucket start (empty buckets left out)."""
    width = rng.bucket.seconds * 1000
    bucket = (_view.c.at_ms - _view.c.at_ms % width).label("bucket")
    with engine.connect() as connection:
        rows = connection.execute(
            select(bucket, func.sum(_view.c.units), func.sum(_view.c.revenue_cents))
            .where(
                _view.c.product_id == product_id,
                _view.c.at_ms >= _ms(rng.start),
                _view.c.at_ms < _ms(rng.end),
            )
            .group_by(bucket)
        ).all()
    return {
        datetime.fromtimestamp(b / 1000, UTC): (int(units), from_cents(int(cents)))
        for b, units, cents in rows
    }


def orders_with(engine: Engine, product_id: str, start: datetime, end: datetime) -> int:
    """How many orders placed in [start, end) held the product (the funnel's last step)."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count(func.distinct(_view.c.order_id))).where(
                    _view.c.product_id == product_id,
                    _view.c.kind == PLACED,
                    _view.c.at_ms >= _ms(start),
                    _view.c.at_ms < _ms(end),
                )
            ).scalar_one()
        )


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)
