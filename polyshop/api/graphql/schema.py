"""The schema: each context's queries, mutations and subscriptions joined into one.

`schema.graphql` at the repository's root is this schema printed; a test fails when the two
differ, so the file a client reads is the one the server runs.
"""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from polyshop.api.graphql.admin import AdminMutation, AdminQuery
from polyshop.api.graphql.catalog import CatalogQuery
from polyshop.api.graphql.errors import ProblemErrors
from polyshop.api.graphql.limits import QueryLimits
from polyshop.api.graphql.shopping import ShoppingMutation, ShoppingQuery
from polyshop.api.graphql.subscriptions import OrderSubscription

Query = merge_types("Query", (CatalogQuery, ShoppingQuery, AdminQuery))
Mutation = merge_types("Mutation", (ShoppingMutation, AdminMutation))
Subscription = merge_types("Subscription", (OrderSubscription,))

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[ProblemErrors, QueryLimits],
)
