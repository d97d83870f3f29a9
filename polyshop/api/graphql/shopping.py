"""Shopping: the cart, placing and cancelling orders, sign-up and sign-in, my orders."""

from __future__ import annotations

import strawberry


@strawberry.type
class ShoppingQuery:
    @strawberry.field(description="PLACEHOLDER: replaced by the shopping queries.")
    def shopping_placeholder(self) -> bool:
        return True


@strawberry.type
class ShoppingMutation:
    @strawberry.mutation(description="PLACEHOLDER: replaced by the shopping mutations.")
    def shopping_placeholder(self) -> bool:
        return True
