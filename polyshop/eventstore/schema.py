"""The event log's tables, shared by both SQL adapters and by the migrations."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Sequence,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-assigns rowids to a column declared exactly INTEGER PRIMARY KEY.
Position = BigInteger().with_variant(Integer(), "sqlite")

POSITION_SEQUENCE = "events_position_seq"

events = Table(
    "events",
    metadata,
    Column("position", Position, Sequence(POSITION_SEQUENCE), primary_key=True),
    Column("stream_id", String(200), nullable=False),
    Column("stream_type", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(200), nullable=False),
    Column("schema_version", SmallInteger, nullable=False),
    Column("data", Json, nullable=False),
    Column("metadata", Json, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("stream_id", "version", name="events_stream_version_key"),
)

# One row per generation of each projection: the active one serves reads, a newer one may be
# rebuilding beside it. The checkpoint (`position`) lives here, next to the read model.
projections = Table(
    "projections",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("generation", Integer, primary_key=True),
    Column("projection_version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("state", String(20), nullable=False),
    Column("error", Text),
    Column("failed_position", BigInteger),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
