"""The event log and projection checkpoints.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    json = JSONB() if postgres else sa.JSON()
    if postgres:
        op.execute("CREATE SEQUENCE events_position_seq")
        position = sa.Column(
            "position",
            sa.BigInteger(),
            primary_key=True,
            server_default=sa.text("nextval('events_position_seq')"),
        )
    else:
        position = sa.Column("position", sa.Integer(), primary_key=True)
    op.create_table(
        "events",
        position,
        sa.Column("stream_id", sa.String(200), nullable=False),
        sa.Column("stream_type", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("schema_version", sa.SmallInteger(), nullable=False),
        sa.Column("data", json, nullable=False),
        sa.Column("metadata", json, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("stream_id", "version", name="events_stream_version_key"),
    )
    if postgres:
        op.execute("ALTER SEQUENCE events_position_seq OWNED BY events.position")
        # The id of the appending transaction: lets operators see which commit wrote what.
        op.execute("ALTER TABLE events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id()")
    op.create_table(
        "projections",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("generation", sa.Integer(), primary_key=True),
        sa.Column("projection_version", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("failed_position", sa.BigInteger()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("projections")
    op.drop_table("events")
