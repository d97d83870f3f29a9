"""The embedded TTL store: tables with an expiry column, in a database file of their own.

Kept apart from the event log's file so cart writes never queue behind the log's single
writer. Rows past `expires_at` are invisible to every read and deleted by a sweeper.
Expiry is in epoch seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog
from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
)
from sqlalchemy.exc import OperationalError

from polyshop.runtime.periodic import Periodic
from polyshop.runtime.sqlite_files import create_sqlite_engine
from polyshop.ttlstore.errors import StoreUnavailable

log = structlog.get_logger(__name__)

metadata = MetaData()

sessions = Table(
    "ttl_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("body", Text, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

carts = Table(
    "ttl_carts",
    metadata,
    Column("owner", String(80), primary_key=True),
    Column("revision", Integer, nullable=False),  # bumped by every change: cached views
    Column("expires_at", Float, nullable=False, index=True),  # of older revisions are void
    Column("cart_id", String(32)),  # replaced when an order consumes the cart (cart.ports)
)

cart_lines = Table(
    "ttl_cart_lines",
    metadata,
    Column("owner", String(80), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("product_id", String(36), nullable=False, index=True),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_cents", Integer, nullable=False),
    Column("added_at", Float, nullable=False),
)

cart_views = Table(
    "ttl_cart_views",
    metadata,
    Column("owner", String(80), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("expires_at", Float, nullable=False),
)

counters = Table(
    "ttl_counters",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)


@dataclass
class TtlDatabase:
    """The TTL store's SQLite file: a queued single writer and a pool of readers."""

    writer: Engine
    reader: Engine

    @classmethod
    def open(cls, path: Path) -> TtlDatabase:
        writer = create_sqlite_engine(path, writer=True)
        metadata.create_all(writer)
        _add_cart_ids(writer)
        return cls(writer, create_sqlite_engine(path, writer=False))

    def close(self) -> None:
        self.writer.dispose()
        self.reader.dispose()


def _add_cart_ids(writer: Engine) -> None:
    """A file written before carts had ids gets the column, and each cart an id."""
    with writer.begin() as connection:
        columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(ttl_carts)")}
        if "cart_id" in columns:
            return
        connection.exec_driver_sql("ALTER TABLE ttl_carts ADD COLUMN cart_id VARCHAR(32)")
        connection.exec_driver_sql("UPDATE ttl_carts SET cart_id = lower(hex(randomblob(16)))")


@contextmanager
def unavailable_as_store_error() -> Iterator[None]:
    """A locked or unreadable database file answers like a Redis outage: retry shortly."""
    try:
        yield
    except OperationalError as exc:
        raise StoreUnavailable(f"ttl store: {str(exc.orig).splitlines()[0]}") from exc


def purge_expired(database: TtlDatabase, now: float | None = None) -> int:
    """Delete every expired row; returns how many went."""
    moment = time.time() if now is None else now
    removed = 0
    with database.writer.begin() as connection:
        expired = carts.c.expires_at <= moment
        owners = connection.execute(carts.select().where(expired)).fetchall()
        if owners:
            connection.execute(
                delete(cart_lines).where(cart_lines.c.owner.in_([o.owner for o in owners]))
            )
            connection.execute(
                delete(cart_views).where(cart_views.c.owner.in_([o.owner for o in owners]))
            )
        for table in (carts, sessions, cart_views, counters):
            removed += connection.execute(
                delete(table).where(table.c.expires_at <= moment)
            ).rowcount
    return removed


def sweeper(database: TtlDatabase, interval: float = 60.0) -> Periodic:
    """Purges expired rows every `interval` seconds."""

    def sweep() -> None:
        if removed := purge_expired(database):
            log.debug("ttl sweep", removed=removed)

    return Periodic("ttl-sweeper", interval, sweep)
