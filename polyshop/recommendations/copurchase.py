"""Bought together: a projection of OrderPlaced events into the product graph.

Kept in the event store's database with its checkpoint, so each order counts exactly once,
and rebuilt like any read model: a new generation replays the log beside the serving one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import MetaData, Table, select

from polyshop.eventstore.events import RecordedEvent
from polyshop.eventstore.projections.sql_tables import SqlTableProjection
from polyshop.orders.domain import ORDER_PLACED
from polyshop.recommendations.schema import graph_tables
from polyshop.recommendations.scoring import co_occurrences
from polyshop.recommendations.sql_graph import add_together, refresh_top


class CoPurchaseProjection(SqlTableProjection):
    name = "bought_together"
    version = 2  # 2: neighbours scored by the asymmetric cosine, unshrunk (`scoring.pair_score`)
    event_types = frozenset({ORDER_PLACED})

    def define_tables(self, metadata: MetaData, suffix: str) -> list[Table]:
        return list(graph_tables(metadata, "rec_bought", suffix).values())

    def apply(self, events: Sequence[RecordedEvent], generation: int, connection: Any) -> None:
        baskets = ([item["product_id"] for item in e.data["items"]] for e in events)
        counts, pairs = co_occurrences(baskets)
        add_together(connection, self._graph(generation), counts, pairs)

    def refresh_statistics(self, generation: int, connection: Any) -> None:
        """After a bulk catch-up (a rebuild above all): every neighbour list recomputed from
        the final counts, so a rebuilt graph carries none of the incremental drift."""
        super().refresh_statistics(generation, connection)
        graph = self._graph(generation)
        products = list(connection.execute(select(graph["counts"].c.product_id)).scalars())
        refresh_top(connection, graph, products)

    def _graph(self, generation: int) -> dict[str, Table]:
        tables = self.tables(generation)
        return {view.removeprefix("rec_bought_"): table for view, table in tables.items()}
