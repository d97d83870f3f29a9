"""Low stock: SKUs by units available (on hand - reserved), for the admin dashboard.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (available, sku): the list's own order, so a page of the 10 fewest is read off the
    # index even when 100,000 SKUs are sold out, with no sort of them all.
    op.create_index(
        "ix_inventory_stock_available",
        "inventory_stock",
        [sa.text("(on_hand - reserved)"), sa.text("sku")],
    )


def downgrade() -> None:
    op.drop_index("ix_inventory_stock_available", "inventory_stock")
