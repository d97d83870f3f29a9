"""Catalog queries: products from the product read model's documents."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from polyshop.api.graphql.context import GraphQLContext, blocking


@strawberry.type(description="A product as the catalog's read model holds it.")
class Product:
    id: strawberry.ID
    name: str
    description: str
    brand: str
    category: str
    status: str

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Product:
        return cls(
            id=strawberry.ID(doc["id"]),
            name=doc["name"],
            description=doc["description"],
            brand=doc["brand"],
            category=doc["category"],
            status=doc["status"],
        )


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="One product by id; null when there is none.")
    async def product(
        self, info: Info[GraphQLContext, None], id: strawberry.ID, min_position: int | None = None
    ) -> Product | None:
        await info.context.read_at("product_documents", min_position)
        doc = await blocking(info.context.container.catalog.product_document, str(id))
        return Product.of(doc) if doc is not None else None
