"""The orders write side's one table beside the log: idempotency keys and their answers.

An order's state is its event stream; this table only remembers, per user and key, which
request body was accepted and what was answered, so a retry gets the same answer.
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
