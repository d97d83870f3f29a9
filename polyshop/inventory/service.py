"""The inventory's door for the faces: read a SKU's stock, adjust it with a reason.

Reserving, committing and releasing stock happen inside an order's transaction (the orders
context calls `stock` in its own unit of work); what a person does to stock directly comes
through here, each call one transaction of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Engine

from polyshop.eventstore.ports import EventStore
from polyshop.inventory import ledger, sql_levels, stock
from polyshop.inventory.stock import InvalidAdjustment, StockLevel, UnknownSku
from polyshop.runtime import correlation
from polyshop.values.sku import InvalidSku, normalize_sku

__all__ = [
    "Adjusted",
    "InvalidAdjustment",
    "Inventory",
    "StockLevel",
    "StockPage",
    "StockQuery",
    "UnknownSku",
]


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

    def adjust(self, sku: str, delta: int, reason: str, *, actor: str | None = None) -> Adjusted:
        """Add or remove units on hand, never below what is reserved, in one transaction.
        `actor` (an admin's `Viewer.actor`) is recorded as who did it, for the ledger.
        Raises UnknownSku (naming `sku` as given) or InvalidAdjustment."""
        code = _code(sku)
        try:
            with correlation.acting_as(actor), self._store.unit_of_work() as uow:
                level = stock.adjust(uow, code, delta, reason)
        except UnknownSku as exc:
            raise UnknownSku(sku) from exc
        return Adjusted(level, uow.position)

    def list_stock(self, query: StockQuery) -> StockPage:
        """A page of SKUs with their stock, by SKU or fewest available first, those
        starting with `query.prefix` (any letter case; text no SKU starts with finds none)."""
        prefix = query.prefix.strip().upper()
        if prefix and not _PREFIX.fullmatch(prefix):
            return StockPage([], 0, query)
        offset = (query.page - 1) * query.per_page
        with self._database.connect() as connection:
            rows = sql_levels.list_levels(
                connection,
                prefix,
                low_first=query.low_first,
                limit=query.per_page,
                offset=offset,
            )
            total = sql_levels.count_levels(connection, prefix, COUNT_CAP)
        return StockPage([StockLevel(*row) for row in rows], total, query)

    def get_ledger(
        self, sku: str, *, before_version: int | None = None, limit: int = 50
    ) -> list[ledger.LedgerLine]:
        """The SKU's stock ledger, newest first: at most `limit` (1 to 200) lines below
        `before_version` (None: from the newest). Raises UnknownSku."""
        code = self.get_stock(sku).sku
        events = self._store.read_stream_backwards(
            stock.stream_id(code), before_version=before_version, limit=max(1, min(limit, 200))
        )
        return [ledger.line(event) for event in events]


#: What a SKU prefix may be: the start of a SKU (`values.sku`).
_PREFIX = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,63}")
#: The SKU list counts up to here ("10,000+"): exact counts of millions cost too much.
COUNT_CAP = 10_000
#: Pages of the SKU list reach this far; beyond it, a prefix narrows the list.
MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class StockQuery:
    """Which page of the SKU list: `page` from 1 (at most MAX_PAGE), `per_page` 1 to 100."""

    prefix: str = ""
    low_first: bool = False
    page: int = 1
    per_page: int = 50

    def __post_init__(self) -> None:
        if not 1 <= self.page <= MAX_PAGE or not 1 <= self.per_page <= 100:
            raise ValueError(f"page 1 to {MAX_PAGE}, per_page 1 to 100")


@dataclass(frozen=True, slots=True)
class StockPage:
    """One page of SKUs; `total` counts at most COUNT_CAP (`capped` says it stopped)."""

    levels: list[StockLevel]
    total: int
    query: StockQuery

    @property
    def capped(self) -> bool:
        return self.total >= COUNT_CAP

    @property
    def pages(self) -> int:
        return max(1, min(MAX_PAGE, -(-self.total // self.query.per_page)))


def _code(sku: str) -> str:
    """The SKU as stored; a string that cannot be one names no stock."""
    try:
        return normalize_sku(sku)
    except InvalidSku as exc:
        raise UnknownSku(sku) from exc
