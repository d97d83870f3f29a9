"""Admin queries and mutations: catalog writes, images, stock, the order lifecycle, the
read models. Every field checks the admin role (or the operator token) first."""

from __future__ import annotations

import strawberry


@strawberry.type
class AdminQuery:
    @strawberry.field(description="PLACEHOLDER: replaced by the admin queries.")
    def admin_placeholder(self) -> bool:
        return True


@strawberry.type
class AdminMutation:
    @strawberry.mutation(description="PLACEHOLDER: replaced by the admin mutations.")
    def admin_placeholder(self) -> bool:
        return True
