"""Catalog write model and inventory.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = JSONB() if op.get_bind().dialect.name == "postgresql" else sa.JSON()
    op.create_table(
        "catalog_products",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("brand", sa.String(100), nullable=False),
        sa.Column("category", sa.String(300), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("tags", json, nullable=False),
        sa.Column("attributes", json, nullable=False),
        sa.Column("images", json, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "catalog_variants",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column(
            "product_id", sa.String(36), sa.ForeignKey("catalog_products.id"), nullable=False
        ),
        sa.Column("size", sa.String(50)),
        sa.Column("color", sa.String(50)),
        sa.Column("price_adjustment_cents", sa.BigInteger(), nullable=False),
    )
    op.create_index("catalog_variants_product_id_idx", "catalog_variants", ["product_id"])
    op.create_table(
        "inventory_stock",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.CheckConstraint("reserved >= 0", name="inventory_reserved_not_negative"),
        sa.CheckConstraint("on_hand >= reserved", name="inventory_never_oversold"),
    )
    op.create_table(
        "inventory_reservations",
        sa.Column("holder", sa.String(100), primary_key=True),
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "inventory_reservations_expires_at_idx", "inventory_reservations", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_table("inventory_reservations")
    op.drop_table("inventory_stock")
    op.drop_table("catalog_variants")
    op.drop_table("catalog_products")
