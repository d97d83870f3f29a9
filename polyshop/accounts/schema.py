"""The accounts write model: one row per user, unique by casefolded email."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, func

from polyshop.eventstore.schema import Json, metadata

users = Table(
    "accounts_users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("addresses", Json, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Customer search by the start of a name (migration 0011): a range of lower(name).
Index("ix_accounts_users_name_lower", func.lower(users.c.name), users.c.email_key)
