"""The product graph as the read path and the co-view job see it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from polyshop.analytics.ports import CoViews


class RecommendationGraph(Protocol):
    def neighbors(self, product_id: str, k: int = ...) -> dict[str, list[tuple[str, float]]]:
        """The best neighbours per signal ("bought", "viewed"), best first."""

    def neighbors_many(
        self, product_ids: Sequence[str], k: int = ...
    ) -> dict[str, dict[str, list[tuple[str, float]]]]:
        """`neighbors` of each product, by product id, read at once."""

    def viewed_until(self) -> datetime | None: ...

    def add_co_views(self, co_views: CoViews, until: datetime) -> None: ...

    def reset_viewed(self) -> None: ...
