"""Webhooks: registrations, deliveries with their attempts, the fan-out's cursor.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    json = JSONB() if postgres else sa.JSON()
    row_id = sa.BigInteger() if postgres else sa.Integer()
    op.create_table(
        "integrations_webhooks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("event_types", json, nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("from_position", row_id, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "integrations_webhook_deliveries",
        sa.Column("id", row_id, primary_key=True, autoincrement=True),
        sa.Column("webhook_id", sa.String(36), nullable=False),
        sa.Column("position", row_id, nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.Integer()),
        sa.Column("last_error", sa.String(500)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("webhook_id", "position", name="integrations_deliveries_once"),
    )
    op.create_index(
        "ix_integrations_deliveries_due",
        "integrations_webhook_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        "ix_integrations_deliveries_webhook",
        "integrations_webhook_deliveries",
        ["webhook_id", "id"],
    )
    _attempts_and_cursor(row_id)


def _attempts_and_cursor(row_id: sa.types.TypeEngine[int]) -> None:
    op.create_table(
        "integrations_webhook_attempts",
        sa.Column("id", row_id, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", row_id, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("error", sa.String(500)),
        sa.Column("ms", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_integrations_webhook_attempts_delivery_id",
        "integrations_webhook_attempts",
        ["delivery_id"],
    )
    cursor = op.create_table(
        "integrations_webhook_cursor",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("position", row_id, nullable=False),
    )
    # The fan-out's row exists from the start: registrations and the fan-out lock it.
    op.bulk_insert(cursor, [{"name": "fan-out", "position": 0}])


def downgrade() -> None:
    op.drop_table("integrations_webhook_cursor")
    op.drop_table("integrations_webhook_attempts")
    op.drop_table("integrations_webhook_deliveries")
    op.drop_table("integrations_webhooks")
