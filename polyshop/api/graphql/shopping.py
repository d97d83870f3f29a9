"""Shopping: the cart, placing and cancelling orders, sign-up and sign-in, my orders.

The fields live beside their REST counterparts' concerns (`cart.py`, `orders.py`,
`accounts.py`); this module joins them into the two types the schema merges.
"""

from __future__ import annotations

import strawberry

from polyshop.api.graphql.accounts import AccountMutation, AccountQuery
from polyshop.api.graphql.cart import CartMutation, CartQuery
from polyshop.api.graphql.orders import OrderMutation, OrderQuery


@strawberry.type
class ShoppingQuery(CartQuery, OrderQuery, AccountQuery):
    """`cart`, `order`, `me`."""


@strawberry.type
class ShoppingMutation(AccountMutation, CartMutation, OrderMutation):
    """Sessions and sign-in, the cart's lines, placing and cancelling orders."""
