"""The schema: each context's queries, mutations and subscriptions joined into one.

`schema.graphql` at the repository's root is this schema printed (`polyshop graphql-schema`);
a test fails when the two differ, so the file a client reads is the one the server runs.
"""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from polyshop.api.graphql.catalog import CatalogQuery
from polyshop.api.graphql.errors import ProblemErrors

Query = merge_types("Query", (CatalogQuery,))

schema = strawberry.Schema(query=Query, extensions=[ProblemErrors])
