"""The inventory's door for the faces: read a SKU's stock, adjust it with a reason.

Reserving, committing and releasing stock happen inside an order's transaction (the orders
context calls `stock` in its own unit of work); what a person does to stock directly comes
through here, each call one transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from polyshop.eventstore.ports import EventStore
from polyshop.inventory import stock
from polyshop.inventory.stock import InvalidAdjustment, StockLevel, UnknownSku
from polyshop.values.sku import InvalidSku, normalize_sku

__all__ = ["Adjusted", "InvalidAdjustment", "Inventory", "StockLevel", "UnknownSku"]


@dataclass(frozen=True, slots=True)
class Adjusted:
    """The stock after an adjustment, and the log position that recorded it."""

    level: StockLevel
    position: int


class Inventory:
    def __init__(self, store: EventStore, database: Engine) -> None:
        """`database`: a reader of the write database (not a replica): stock is read where
        it is changed."""
        self._store = store
        self._database = database

    def get_stock(self, sku: str) -> StockLevel:
        """On hand, reserved and available units of a SKU (any letter case), read from the
        write model: strongly consistent. Raises UnknownSku (naming `sku` as given)."""
        with self._database.connect() as connection:
            level = stock.get_stock(connection, _code(sku))
        if level is None:
            raise UnknownSku(sku)
        return level

    def low_stock(self, threshold: int, limit: int = 20) -> list[StockLevel]:
        """SKUs running out (at most `threshold` available), fewest available first, at
        most `limit` (bounded: 1 to 100), read from the write model through an index."""
        with self._database.connect() as connection:
            return stock.low_stock(connection, threshold, max(1, min(limit, 100)))

    def adjust(self, sku: str, delta: int, reason: str) -> Adjusted:
        """Add or remove units on hand, never below what is reserved, in one transaction.
        Raises UnknownSku (naming `sku` as given) or InvalidAdjustment."""
        code = _code(sku)
        try:
            with self._store.unit_of_work() as uow:
                level = stock.adjust(uow, code, delta, reason)
        except UnknownSku as exc:
            raise UnknownSku(sku) from exc
        return Adjusted(level, uow.position)


def _code(sku: str) -> str:
    """The SKU as stored; a string that cannot be one names no stock."""
    try:
        return normalize_sku(sku)
    except InvalidSku as exc:
        raise UnknownSku(sku) from exc
