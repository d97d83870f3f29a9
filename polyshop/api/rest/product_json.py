"""The REST API's JSON of product pages, browse pages and recommendations, handed to the
catalog and recommendation services (which keep pages as the bytes sent) by the composition
root. The API models stay the one definition of these bodies and of their documented schema.
"""

from __future__ import annotations

from typing import Any

from polyshop.api.rest.models.analytics import RecommendationOut, RecommendationsOut
from polyshop.api.rest.models.catalog import ProductOut
from polyshop.api.rest.pagination import Page, PageParams
from polyshop.recommendations.service import Recommendation


class RestProductJson:
    """`catalog.service.ProductJson` as `ProductOut` and `ProductsOut` write it."""

    def page(self, document: dict[str, Any]) -> bytes:
        return ProductOut.of(document).model_dump_json().encode()

    def listing(self, pages: list[bytes], total: int, page: int, limit: int) -> bytes:
        # `ProductsOut`, written from pages already rendered: the envelope after the list.
        where = PageParams.model_construct(page=page, limit=limit).envelope(total)
        envelope = Page(**where).model_dump_json().encode()
        return b'{"products":[' + b",".join(pages) + b"]," + envelope[1:]


def recommendations_json(product_id: str, found: list[Recommendation]) -> bytes:
    """`RecommendationsOut` of a product's recommendations."""
    return (
        RecommendationsOut(
            product_id=product_id,
            recommendations=[
                RecommendationOut(product=ProductOut.of(r.document), score=r.score, reason=r.reason)
                for r in found
            ],
        )
        .model_dump_json()
        .encode()
    )
