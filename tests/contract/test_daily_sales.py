"""The per-day sales roll-up against both databases: orders placed on different UTC days,
moved through their lifecycle in batches (a replayed batch among them), add up to exactly
what a recount of the order history gives, day by day, and the dashboard's figures follow."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from polyshop.accounts.domain import Viewer
from polyshop.container import Container
from polyshop.eventstore.events import EventMetadata, RecordedEvent
from polyshop.orders import daily_sales
from polyshop.orders import domain as orders
from polyshop.orders.history import VIEW, OrderHistoryProjection

GENERATION = 900
MONDAY = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
ADMIN = Viewer(user_id=None, is_admin=True)


class Log:
    """Order events as the log would hold them, each at a chosen time."""

    def __init__(self) -> None:
        self.position = 0
        self.versions: Counter[str] = Counter()

    def event(self, order_id: str, type_: str, data: dict[str, Any], at: datetime) -> RecordedEvent:
        self.position += 1
        self.versions[order_id] += 1
        return RecordedEvent(
            position=self.position,
            stream_id=orders.stream_id(order_id),
            stream_type=orders.ORDER_STREAM,
            version=self.versions[order_id],
            type=type_,
            schema_version=1,
            data=data,
            metadata=EventMetadata(),
            recorded_at=at,
        )

    def placed(self, order_id: str, price: str, quantity: int, at: datetime) -> RecordedEvent:
        item = orders.OrderItem("SKU-1", "p1", "Lamp", quantity, Decimal(price))
        new = orders.placed_event(
            order_id, "u1", [item], "USD", {"country": "DE"}, "pm_card", at + timedelta(hours=1)
        )
        return self.event(order_id, new.type, new.data, at)


def recount(container: Container, projection: OrderHistoryProjection) -> set[tuple[Any, ...]]:
    """(day, status, currency, orders, cents) straight from the history rows."""
    history = projection.tables(GENERATION)[VIEW]
    with container.machinery.store.write_engine.connect() as connection:
        rows = connection.execute(
            select(history.c.placed_at, history.c.status, history.c.currency, history.c.total_cents)
        ).all()
    counts: Counter[tuple[Any, ...]] = Counter()
    cents: Counter[tuple[Any, ...]] = Counter()
    for placed_at, status, currency, total in rows:
        key = (placed_at.astimezone(UTC).date(), status, currency)
        counts[key] += 1
        cents[key] += total
    return {(*key, counts[key], cents[key]) for key in counts}


def rolled_up(container: Container, projection: OrderHistoryProjection) -> set[tuple[Any, ...]]:
    table = projection.tables(GENERATION)[daily_sales.VIEW]
    with container.machinery.store.write_engine.connect() as connection:
        rows = connection.execute(
            select(
                table.c.day, table.c.status, table.c.currency, table.c.orders, table.c.total_cents
            ).where(table.c.orders != 0)
        ).all()
        leftovers = connection.execute(
            select(func.count())
            .select_from(table)
            .where(table.c.orders == 0, table.c.total_cents != 0)
        ).scalar_one()
    assert leftovers == 0  # a day's status with no orders left has no money left either
    return {tuple(row) for row in rows}


def lifecycle() -> tuple[list[RecordedEvent], list[RecordedEvent]]:
    """Four orders over two UTC days, then paid, shipped, cancelled and refunded."""
    log = Log()
    tuesday = MONDAY + timedelta(hours=1)  # 00:30 UTC the next day
    first = [
        log.placed("a", "10.00", 1, MONDAY),
        log.placed("b", "25.50", 2, MONDAY),
        log.placed("c", "7.25", 4, tuesday),
        log.placed("d", "99.99", 1, tuesday),
    ]
    later = tuesday + timedelta(hours=5)
    second = [
        log.event("a", orders.ORDER_PAID, {"payment_id": "p", "amount": "10.00"}, later),
        log.event("b", orders.ORDER_PAID, {"payment_id": "q", "amount": "51.00"}, later),
        log.event("b", orders.ORDER_SHIPPED, {"tracking_number": "T"}, later),
        log.event("c", orders.ORDER_CANCELLED, {"reason": "no", "stock": "release"}, later),
        log.event("d", orders.ORDER_PAID, {"payment_id": "r", "amount": "99.99"}, later),
        log.event(
            "d",
            orders.ORDER_REFUNDED,
            {"amount": "99.99", "reason": "damaged", "restock": True},
            later,
        ),
    ]
    return first, second


def test_the_roll_up_equals_a_recount_day_by_day_through_the_lifecycle(container: Container):
    projection = OrderHistoryProjection()
    tuesday = MONDAY + timedelta(hours=1)
    first, second = lifecycle()
    engine = container.machinery.store.write_engine
    with engine.begin() as connection:
        projection.setup(GENERATION, connection)
        projection.apply(first, GENERATION, connection)
    with engine.begin() as connection:
        projection.apply(second[:3], GENERATION, connection)
    with engine.begin() as connection:
        projection.apply(second, GENERATION, connection)  # the first three again: a replay

    expected = {
        (MONDAY.date(), "paid", "USD", 1, 1000),
        (MONDAY.date(), "shipped", "USD", 1, 5100),
        (tuesday.date(), "cancelled", "USD", 1, 2900),
        (tuesday.date(), "refunded", "USD", 1, 9999),
    }
    assert rolled_up(container, projection) == recount(container, projection) == expected

    with engine.begin() as connection:
        projection.activate(GENERATION, connection)
    monday: date = MONDAY.date()
    sales = container.orders.sales_on(ADMIN, monday, monday)
    assert (sales.orders, sales.paid_orders, sales.revenue) == (2, 2, {"USD": Decimal("61.00")})
    both = container.orders.sales_on(ADMIN, monday, tuesday.date())
    assert (both.orders, both.paid_orders, both.revenue) == (4, 2, {"USD": Decimal("61.00")})
    assert (
        container.orders.sales_on(
            ADMIN, monday - timedelta(days=1), monday - timedelta(days=1)
        ).orders
        == 0
    )


def test_an_older_history_serves_the_dashboard_until_its_rebuild_swaps_in(container: Container):
    """Version 4 had no roll-up: the dashboard's figures come from its rows meanwhile."""
    projection = OrderHistoryProjection()
    first, second = lifecycle()
    engine = container.machinery.store.write_engine
    with engine.begin() as connection:
        projection.setup(GENERATION, connection)
        projection.apply(first + second, GENERATION, connection)
        projection.activate(GENERATION, connection)
        # As version 4 left it: history rows, no roll-up table and no view of one.
        connection.exec_driver_sql(f"DROP VIEW {daily_sales.VIEW}")
        projection.tables(GENERATION)[daily_sales.VIEW].drop(connection)
        projection.adapt_older(GENERATION, 4, connection)

    monday: date = MONDAY.date()
    sales = container.orders.sales_on(ADMIN, monday, monday)
    assert (sales.orders, sales.paid_orders, sales.revenue) == (2, 2, {"USD": Decimal("61.00")})
    tuesday = container.orders.sales_on(
        ADMIN, monday + timedelta(days=1), monday + timedelta(days=1)
    )
    assert (tuesday.orders, tuesday.paid_orders, tuesday.revenue) == (2, 0, {})
