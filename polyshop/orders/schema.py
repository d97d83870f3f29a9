"""The orders write side's tables beside the log: idempotency keys and ordered carts.

An order's state is its event stream; `idempotency` only remembers, per user and key, which
request body was accepted and what was answered, so a retry gets the same answer.
`ordered_carts` remembers which cart (by its id, see `cart.ports`) each order was placed
from: its primary key is what makes a cart's contents become at most one order, whatever
keys the requests carry and however many arrive at once.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table

from polyshop.eventstore.schema import Json, metadata

idempotency = Table(
    "orders_idempotency",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("order_id", String(36), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", Json, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

ordered_carts = Table(
    "orders_carts",
    metadata,
    Column("cart_id", String(32), primary_key=True),
    Column("order_id", String(36), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Guest orders by email, to find them when that email registers; `claimed_by` once claimed.
#: `placed_by` is the guest's cart owner, so the session that placed an order may read it.
guest_orders = Table(
    "orders_guests",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("email_key", String(320), nullable=False, index=True),
    Column("placed_by", String(64), nullable=False),
    Column("claimed_by", String(36), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
