"""Reserve, commit, release and adjust stock, inside the caller's unit of work.

Every change is a conditional UPDATE (`... WHERE on_hand - reserved >= :qty`): the database
row lock, not a read-then-write in Python, decides who gets the last unit, so there is no
window in which two buyers both see it available. SKUs are always touched in sorted order,
so two transactions locking overlapping SKUs cannot deadlock. Each change appends an
inventory event carrying the resulting figures: the audit trail of stock, and what the
product read model learns availability from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Update, bindparam, delete, insert, select, update

from polyshop.eventstore.events import NewEvent
from polyshop.eventstore.ports import UnitOfWork
from polyshop.eventstore.upcasting import Upcasters
from polyshop.inventory.schema import reservations, stock

STREAM_TYPE = "inventory"
STOCK_ADJUSTED = "InventoryAdjusted"
STOCK_RESERVED = "StockReserved"
RESERVATION_COMMITTED = "ReservationCommitted"
RESERVATION_RELEASED = "ReservationReleased"


class InsufficientStock(Exception):
    """Some SKUs cannot cover the request; nothing was reserved."""

    def __init__(self, skus: list[str]) -> None:
        self.skus = skus
        super().__init__(f"not enough stock for: {', '.join(skus)}")


class UnknownSku(Exception):
    def __init__(self, sku: str) -> None:
        self.sku = sku
        super().__init__(f"no stock is kept for SKU {sku!r}")


class InvalidAdjustment(Exception):
    pass


@dataclass(frozen=True, slots=True)
class StockLevel:
    sku: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


#: Version 2 of InventoryAdjusted says whether the units came back from an order
#: (`returned`); version 1 said so only in the reason the order lifecycle wrote.
ADJUSTED_SCHEMA = 2
_RETURN_REASON = re.compile(r"order \S+ (OrderCancelled|OrderRefunded)")


def register_upcasters(upcasters: Upcasters) -> None:
    @upcasters.register(STOCK_ADJUSTED, 1)
    def returned_from_reason(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "returned": bool(_RETURN_REASON.fullmatch(data.get("reason", "")))}


def stream_id(sku: str) -> str:
    return f"inventory-{sku}"


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


_RESERVE = _change(
    stock.c.on_hand - stock.c.reserved >= bindparam("q"),
    reserved=stock.c.reserved + bindparam("q"),
)
_ADJUST = _change(
    stock.c.on_hand + bindparam("d") >= stock.c.reserved, on_hand=stock.c.on_hand + bindparam("d")
)
_TAKE = _change(
    reserved=stock.c.reserved - bindparam("q"), on_hand=stock.c.on_hand - bindparam("q")
)
_RELEASE = _change(reserved=stock.c.reserved - bindparam("q"))


_HOLD = insert(reservations)


def _level(connection: Connection, sku: str) -> StockLevel | None:
    row = connection.execute(
        select(stock.c.on_hand, stock.c.reserved).where(stock.c.sku == sku)
    ).first()
    return StockLevel(sku, row.on_hand, row.reserved) if row else None


def get_stock(connection: Connection, sku: str) -> StockLevel | None:
    return _level(connection, sku)


def _apply(
    uow: UnitOfWork, change: Update, params: dict[str, Any], event_type: str, **data: Any
) -> StockLevel | None:
    sku = params["s"]
    schema = ADJUSTED_SCHEMA if event_type == STOCK_ADJUSTED else 1
    event = NewEvent(event_type, {"sku": sku, **data}, schema)
    row = uow.change_and_append(change, params, stream_id(sku), STREAM_TYPE, event)
    return None if row is None else StockLevel(sku, row.on_hand, row.reserved)


def initialize(uow: UnitOfWork, levels: Mapping[str, int], reason: str = "initial stock") -> None:
    """Start keeping stock for new SKUs, in one statement for the rows and one for the events."""
    if any(on_hand < 0 for on_hand in levels.values()):
        raise InvalidAdjustment("initial stock cannot be negative")
    if not levels:
        return
    uow.connection.execute(
        insert(stock),
        [{"sku": s, "on_hand": n, "reserved": 0, "version": 1} for s, n in levels.items()],
    )
    uow.start_streams(
        [
            (
                stream_id(sku),
                STREAM_TYPE,
                [
                    NewEvent(
                        STOCK_ADJUSTED,
                        {
                            "sku": sku,
                            "delta": on_hand,
                            "reason": reason,
                            "returned": False,
                            "on_hand": on_hand,
                            "reserved": 0,
                            "available": on_hand,
                        },
                        ADJUSTED_SCHEMA,
                    )
                ],
            )
            for sku, on_hand in levels.items()
        ]
    )


def adjust(
    uow: UnitOfWork, sku: str, delta: int, reason: str, *, returned: bool = False
) -> StockLevel:
    """Add or remove units on hand; never below what is reserved, never negative.

    `returned` marks units of a paid order coming back (cancelled or refunded), so that
    what reads sales from stock (the `popular` sort) takes them off again.
    """
    level = _apply(
        uow,
        _ADJUST,
        {"s": sku, "d": delta},
        STOCK_ADJUSTED,
        delta=delta,
        reason=reason,
        returned=returned,
    )
    if level is None:
        current = _level(uow.connection, sku)
        if current is None:
            raise UnknownSku(sku)
        raise InvalidAdjustment(
            f"{sku} has {current.on_hand} on hand with {current.reserved} reserved; "
            f"removing {-delta} would leave too few"
        )
    return level


def reserve(
    uow: UnitOfWork, holder: str, lines: Mapping[str, int], expires_at: datetime
) -> list[StockLevel]:
    """Reserve every line or none: raise InsufficientStock naming each SKU that falls short.

    On failure the caller's transaction must roll back (the unit of work does when the
    exception leaves it), which undoes the lines already reserved.
    """
    if any(q <= 0 for q in lines.values()):
        raise ValueError("quantities must be positive")
    # Everything that needs no stock row lock goes first, so the locks taken below are held
    # for as few statements as possible: a hot SKU's throughput is one over that hold time.
    uow.connection.execute(
        _HOLD,
        [
            {"holder": holder, "sku": s, "quantity": lines[s], "expires_at": expires_at}
            for s in sorted(lines)
        ],
    )
    short: list[str] = []
    levels: list[StockLevel] = []
    for sku in sorted(lines):  # one global lock order: no deadlocks between overlapping carts
        level = _apply(
            uow,
            _RESERVE,
            {"s": sku, "q": lines[sku]},
            STOCK_RESERVED,
            holder=holder,
            quantity=lines[sku],
            expires_at=expires_at.isoformat(),
        )
        if level is None:
            short.append(sku)
        else:
            levels.append(level)
    if short:
        raise InsufficientStock(short)
    return levels


def _held(connection: Connection, holder: str) -> list[tuple[str, int]]:
    rows = connection.execute(
        select(reservations.c.sku, reservations.c.quantity)
        .where(reservations.c.holder == holder)
        .order_by(reservations.c.sku)
    ).all()
    return [(r.sku, r.quantity) for r in rows]


def commit(uow: UnitOfWork, holder: str) -> list[StockLevel]:
    """The reserved units leave the shelf (the order is paid or shipped)."""
    return _settle(uow, holder, take=True)


def release(uow: UnitOfWork, holder: str) -> list[StockLevel]:
    """The reserved units become available again (cancelled or expired)."""
    return _settle(uow, holder, take=False)


def _settle(uow: UnitOfWork, holder: str, *, take: bool) -> list[StockLevel]:
    levels = []
    for sku, quantity in _held(uow.connection, holder):
        level = _apply(
            uow,
            _TAKE if take else _RELEASE,
            {"s": sku, "q": quantity},
            RESERVATION_COMMITTED if take else RESERVATION_RELEASED,
            holder=holder,
            quantity=quantity,
        )
        if level is None:  # a reservation always has its stock row; never expected
            raise UnknownSku(sku)
        levels.append(level)
    uow.connection.execute(delete(reservations).where(reservations.c.holder == holder))
    return levels


def expired_holders(connection: Connection, now: datetime, limit: int = 100) -> list[str]:
    rows = connection.execute(
        select(reservations.c.holder)
        .where(reservations.c.expires_at < now)
        .group_by(reservations.c.holder)
        .limit(limit)
    ).all()
    return [r.holder for r in rows]
