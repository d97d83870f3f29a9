"""Guest orders: found by email when it registers, readable by the session that placed them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders_guests",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("email_key", sa.String(320), nullable=False),
        sa.Column("placed_by", sa.String(64), nullable=False),
        sa.Column("claimed_by", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_orders_guests_email_key", "orders_guests", ["email_key"])


def downgrade() -> None:
    op.drop_index("ix_orders_guests_email_key", "orders_guests")
    op.drop_table("orders_guests")
