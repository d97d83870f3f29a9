"""Reserve, commit, release and adjust stock, inside the caller's unit of work.

Every change is a conditional UPDATE (`... WHERE on_hand - reserved >= :qty`), and the
table's check constraints refuse a row with more reserved than on hand. Reservations decide
who gets the last unit while holding the rows' locks (`SELECT ... FOR UPDATE`, taken before
anything is read), so there is no window in which two buyers both see it available; the
conditional UPDATE that writes the decision checks it once more. SKUs are always locked in
sorted order, so two transactions locking overlapping SKUs cannot deadlock. Each change
appends an inventory event carrying the resulting figures: the audit trail of stock, and
what the product read model learns availability from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Update

from polyshop.eventstore.events import EventMetadata, NewEvent, StreamAppend
from polyshop.eventstore.ports import UnitOfWork
from polyshop.eventstore.upcasting import Upcasters
from polyshop.inventory import sql_stock
from polyshop.inventory.sql_stock import expired_holders

__all__ = ["expired_holders"]  # the order expiry's query, with the rest of stock's API

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
    #: The SKU's inventory stream version these figures are at (0: not read with them).
    #: Not part of equality: two readings of the same figures are the same level.
    version: int = field(default=0, compare=False)

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


def _level(connection: Connection, sku: str) -> StockLevel | None:
    figures = sql_stock.level(connection, sku)
    return StockLevel(sku, *figures) if figures else None


def get_stock(connection: Connection, sku: str) -> StockLevel | None:
    return _level(connection, sku)


def levels(connection: Connection, skus: Sequence[str]) -> list[StockLevel]:
    """The current figures (and version) of those of `skus` that have stock, in one read
    that locks nothing: what a checkout's screening compares a cart against."""
    return [StockLevel(*row) for row in sql_stock.levels(connection, skus)]


def low_stock(connection: Connection, threshold: int, limit: int) -> list[StockLevel]:
    """SKUs with at most `threshold` units available, fewest first, at most `limit`."""
    return [StockLevel(*row) for row in sql_stock.low_stock(connection, threshold, limit)]


def _apply(
    uow: UnitOfWork, change: Update, params: dict[str, Any], event_type: str, **data: Any
) -> StockLevel | None:
    sku = params["s"]
    schema = ADJUSTED_SCHEMA if event_type == STOCK_ADJUSTED else 1
    event = NewEvent(event_type, {"sku": sku, **data}, schema)
    row = uow.change_and_append(change, params, stream_id(sku), STREAM_TYPE, event)
    return None if row is None else StockLevel(sku, row.on_hand, row.reserved, row.version)


def initialize(uow: UnitOfWork, levels: Mapping[str, int], reason: str = "initial stock") -> None:
    """Start keeping stock for new SKUs, in one statement for the rows and one for the events."""
    start_keeping(uow, levels)
    uow.append_many(first_events(levels, reason))


def start_keeping(uow: UnitOfWork, levels: Mapping[str, int]) -> None:
    """The stock rows of new SKUs; their first events (`first_events`) must be appended in
    the same unit of work. For importers that order the log themselves."""
    if any(on_hand < 0 for on_hand in levels.values()):
        raise InvalidAdjustment("initial stock cannot be negative")
    if levels:
        sql_stock.insert_stock(uow.connection, levels)


def first_events(levels: Mapping[str, int], reason: str = "initial stock") -> list[StreamAppend]:
    """Each new SKU's first inventory event: its stock on hand."""
    return [
        StreamAppend(
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


def adjust(
    uow: UnitOfWork, sku: str, delta: int, reason: str, *, returned: bool = False
) -> StockLevel:
    """Add or remove units on hand; never below what is reserved, never negative.

    `returned` marks units of a paid order coming back (cancelled or refunded), so that
    what reads sales from stock (the `popular` sort) takes them off again.
    """
    level = _apply(
        uow,
        sql_stock.ADJUST,
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


@dataclass(frozen=True, slots=True)
class Hold:
    """One holder's request to reserve: every line or none."""

    holder: str
    lines: Mapping[str, int]
    #: Who asked, for the events; None: the ambient request's.
    metadata: EventMetadata | None = None


def reserve(
    uow: UnitOfWork, holder: str, lines: Mapping[str, int], expires_at: datetime
) -> list[StockLevel]:
    """Reserve every line or none: raise InsufficientStock naming each SKU that falls short.

    On failure the caller's transaction must roll back (the unit of work does when the
    exception leaves it), which undoes the lines already reserved.
    """
    booked = reserve_many(uow, [Hold(holder, lines)], expires_at)
    if holder in booked.refused:
        raise InsufficientStock(booked.refused[holder])
    return [booked.levels[sku] for sku in sorted(lines)]


@dataclass(frozen=True, slots=True)
class Booked:
    """What `reserve_many` did: the holds refused (with the SKUs each fell short on) and
    the resulting level of every SKU touched."""

    refused: dict[str, list[str]]
    levels: dict[str, StockLevel]


def reserve_many(uow: UnitOfWork, holds: Sequence[Hold], expires_at: datetime) -> Booked:
    """Reserve each hold all or nothing, first come first served, in a few statements.

    Every SKU the holds name is locked at once, in SKU order (one global lock order: two
    writers locking overlapping SKUs cannot deadlock), and the holds are granted against
    what those locked rows say is available: the check happens under the lock, against
    what is already reserved. A refused hold changes nothing. The granted units are then
    written with one conditional UPDATE per SKU, which re-checks what it adds.
    """
    if any(q <= 0 for hold in holds for q in hold.lines.values()):
        raise ValueError("quantities must be positive")
    skus = sorted({sku for hold in holds for sku in hold.lines})
    locked = {
        row.sku: [row.on_hand, row.reserved, row.version]
        for row in sql_stock.lock(uow.connection, skus)
    }
    start = {sku: (figures[1], figures[2]) for sku, figures in locked.items()}
    refused: dict[str, list[str]] = {}
    appends: list[StreamAppend] = []
    held: list[dict[str, Any]] = []
    for hold in holds:
        short = [
            sku
            for sku in sorted(hold.lines)
            if sku not in locked or locked[sku][0] - locked[sku][1] < hold.lines[sku]
        ]
        if short:
            refused[hold.holder] = short
            continue
        for sku in sorted(hold.lines):
            appends.append(_hold_line(locked[sku], sku, hold, expires_at))
            held.append(
                {
                    "holder": hold.holder,
                    "sku": sku,
                    "quantity": hold.lines[sku],
                    "expires_at": expires_at,
                }
            )
    changes = [
        {"s": sku, "q": figures[1] - start[sku][0], "v": start[sku][1], "n": figures[2]}
        for sku, figures in locked.items()
        if figures[2] != start[sku][1]
    ]
    if changes:
        sql_stock.book(uow.connection, changes, held)
        uow.append_many(appends)
    levels = {sku: StockLevel(sku, *figures) for sku, figures in locked.items()}
    return Booked(refused, levels)


def _hold_line(figures: list[int], sku: str, hold: Hold, expires_at: datetime) -> StreamAppend:
    """Add one granted line to the locked row's figures ([on hand, reserved, version]) and
    return its StockReserved event, at the version the row had."""
    quantity = hold.lines[sku]
    figures[1] += quantity
    event = NewEvent(
        STOCK_RESERVED,
        {
            "sku": sku,
            "holder": hold.holder,
            "quantity": quantity,
            "expires_at": expires_at.isoformat(),
            "on_hand": figures[0],
            "reserved": figures[1],
            "available": figures[0] - figures[1],
        },
    )
    append = StreamAppend(stream_id(sku), STREAM_TYPE, [event], figures[2], hold.metadata)
    figures[2] += 1
    return append


def commit(uow: UnitOfWork, holder: str) -> list[StockLevel]:
    """The reserved units leave the shelf (the order is paid or shipped)."""
    return _settle(uow, holder, take=True)


def release(uow: UnitOfWork, holder: str) -> list[StockLevel]:
    """The reserved units become available again (cancelled or expired)."""
    return _settle(uow, holder, take=False)


def _settle(uow: UnitOfWork, holder: str, *, take: bool) -> list[StockLevel]:
    levels = []
    for sku, quantity in sql_stock.held(uow.connection, holder):
        level = _apply(
            uow,
            sql_stock.TAKE if take else sql_stock.RELEASE,
            {"s": sku, "q": quantity},
            RESERVATION_COMMITTED if take else RESERVATION_RELEASED,
            holder=holder,
            quantity=quantity,
        )
        if level is None:  # a reservation always has its stock row; never expected
            raise UnknownSku(sku)
        levels.append(level)
    sql_stock.drop_reservations(uow.connection, holder)
    return levels
