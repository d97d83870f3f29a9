"""The webhooks' tables: registrations, their deliveries with each attempt, and how far the
fan-out has read the log. Operational state, not read models: a rebuild never touches them,
so no delivery is ever made twice by one."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from polyshop.eventstore.schema import Json, Position, metadata

#: Autoincrementing ids: SQLite assigns them only to a column declared INTEGER.
RowId = BigInteger().with_variant(Integer(), "sqlite")

webhooks = Table(
    "integrations_webhooks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("event_types", Json, nullable=False),
    Column("description", String(200), nullable=False),
    Column("secret", String(100), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("from_position", Position, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

deliveries = Table(
    "integrations_webhook_deliveries",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("webhook_id", String(36), nullable=False),
    Column("position", Position, nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("body", Text, nullable=False),
    # pending | delivered | dead | cancelled
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_status", Integer),
    Column("last_error", String(500)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    UniqueConstraint("webhook_id", "position", name="integrations_deliveries_once"),
)
Index("ix_integrations_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)
Index("ix_integrations_deliveries_webhook", deliveries.c.webhook_id, deliveries.c.id)

attempts = Table(
    "integrations_webhook_attempts",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("delivery_id", RowId, nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("error", String(500)),
    Column("ms", Integer, nullable=False),
)

cursor = Table(
    "integrations_webhook_cursor",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("position", Position, nullable=False),
)
