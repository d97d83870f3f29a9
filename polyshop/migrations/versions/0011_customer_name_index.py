"""Customer search by the start of a name: an index on the lowercased name.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (lower(name), email_key): a name prefix is a range of it, so the admin's customer
    # search walks two indexes (email, name) and stops at its bound instead of reading every
    # user. The expression is `sql_customers`' own, spelled the same on both databases.
    op.create_index(
        "ix_accounts_users_name_lower",
        "accounts_users",
        [sa.text("lower(name)"), sa.text("email_key")],
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_users_name_lower", "accounts_users")
