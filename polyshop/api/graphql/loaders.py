"""The catalog's DataLoaders: what a list of products expands is read once for all of them.

Each loader lives for one operation (`GraphQLContext.loader`), and each batch is ONE service
call for every key the operation asked for at that tick, run on a worker thread: a page of
fifty products asking for their recommendations is one `recommend_many`, not fifty reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from polyshop.api.graphql.context import GraphQLContext, blocking
from polyshop.recommendations.service import Recommendation

Document = dict[str, Any]
#: (product id, how many at most).
RecommendationKey = tuple[str, int]


def documents(context: GraphQLContext) -> DataLoader[str, Document | None]:
    """Product documents by id (None for an unknown id), read in one query per batch."""
    catalog = context.container.catalog

    async def load(ids: Sequence[str]) -> list[Document | None]:
        found = await blocking(catalog.product_documents, list(ids))
        context.shown.show(list(found.values()))
        return [found.get(i) for i in ids]

    return context.loader("product_documents", lambda: DataLoader(load_fn=load))


def recommendations(
    context: GraphQLContext,
) -> DataLoader[RecommendationKey, list[Recommendation]]:
    """Each product's recommendations for the caller (never what its cart holds), ranked as
    REST's recommendations route ranks them; empty for a product there is none of."""
    recommender, token = context.container.recommender, context.token

    def batch(keys: Sequence[RecommendationKey]) -> dict[RecommendationKey, list[Recommendation]]:
        # One call per distinct limit: the first ranks every product at once and caches
        # the rankings, so a second limit picks from memory.
        found: dict[RecommendationKey, list[Recommendation]] = {}
        for limit in sorted({limit for _, limit in keys}):
            ids = [product_id for product_id, wanted in keys if wanted == limit]
            for product_id, chosen in recommender.recommend_many(ids, limit, token).items():
                found[product_id, limit] = chosen or []
        return found

    async def load(keys: Sequence[RecommendationKey]) -> list[list[Recommendation]]:
        found = await blocking(batch, keys)
        context.shown.show([r.document for chosen in found.values() for r in chosen])
        return [found.get(key, []) for key in keys]

    return context.loader("recommendations", lambda: DataLoader(load_fn=load))
