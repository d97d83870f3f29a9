"""Stock rows carry their inventory stream's version.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inventory_stock") as table:
        table.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        """
        UPDATE inventory_stock SET version = latest.version
        FROM (SELECT stream_id, max(version) AS version FROM events
              WHERE stream_type = 'inventory' GROUP BY stream_id) AS latest
        WHERE latest.stream_id = 'inventory-' || inventory_stock.sku
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("inventory_stock") as table:
        table.drop_column("version")
