"""Inventory state: the rows conditional updates act on."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, Index, Integer, String, Table

from polyshop.eventstore.schema import metadata

stock = Table(
    "inventory_stock",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    # The version of the SKU's inventory stream: every change to the row appends one event,
    # under the row's lock, so the row knows the version without asking the log.
    Column("version", Integer, nullable=False, server_default="0"),
    CheckConstraint("reserved >= 0", name="inventory_reserved_not_negative"),
    CheckConstraint("on_hand >= reserved", name="inventory_never_oversold"),
)
# The admin's low-stock list: SKUs by units available (migration 0010).
Index("ix_inventory_stock_available", stock.c.on_hand - stock.c.reserved, stock.c.sku)

reservations = Table(
    "inventory_reservations",
    metadata,
    Column("holder", String(100), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)
