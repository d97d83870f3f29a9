"""Recommendations: the viewed-together graph (the bought-together one is a projection).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rec_viewed_counts",
        sa.Column("product_id", sa.String(36), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "rec_viewed_pairs",
        sa.Column("product_id", sa.String(36), primary_key=True),
        sa.Column("other_id", sa.String(36), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "rec_viewed_top",
        sa.Column("product_id", sa.String(36), primary_key=True),
        sa.Column("other_id", sa.String(36), primary_key=True),
        sa.Column("score", sa.Float(), nullable=False),
    )
    op.create_index("ix_rec_viewed_top_score", "rec_viewed_top", ["product_id", "score"])
    op.create_table(
        "rec_viewed_progress",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("until_epoch", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for table in ("rec_viewed_progress", "rec_viewed_top", "rec_viewed_pairs", "rec_viewed_counts"):
        op.drop_table(table)
