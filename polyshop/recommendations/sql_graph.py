"""The product graph in SQL tables (SQLite embedded, PostgreSQL in server mode): counts
added up incrementally, and each touched product's best neighbours recomputed on the spot,
so a read is one indexed range of at most TOP_K rows per signal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, MetaData, Table, delete, func, insert, select

from polyshop.analytics.ports import CoViews
from polyshop.eventstore.projections.sql_tables import bulk_upsert
from polyshop.recommendations.schema import graph_tables, viewed, viewed_progress
from polyshop.recommendations.scoring import TOP_K, VIEWED_SUPPORT, top_neighbors

#: The bought-together graph as queries see it: the views over the active generation.
bought = graph_tables(MetaData(), "rec_bought")
_CHUNK = 500


def add_together(
    connection: Connection,
    tables: Mapping[str, Table],
    counts: Mapping[str, int],
    pairs: Mapping[tuple[str, str], int],
    support: float = 0.0,
) -> None:
    """Add occurrences to a graph and refresh the neighbour lists of every product they
    touch (scored with `support`: see `scoring.pair_score`). Lists of products not touched
    keep scores computed with their neighbours' older counts until they are touched
    themselves: a drift that buys updates proportional to the batch, not to the catalog. A
    rebuild ends by recomputing every list (see `CoPurchaseProjection.refresh_statistics`)."""
    if not counts:
        return
    bulk_upsert(
        connection,
        tables["counts"],
        [{"product_id": p, "n": n} for p, n in sorted(counts.items())],
        key=["product_id"],
        assignments={"n": f"{tables['counts'].name}.n + excluded.n"},
    )
    bulk_upsert(
        connection,
        tables["pairs"],
        [{"product_id": a, "other_id": b, "n": n} for (a, b), n in sorted(pairs.items())],
        key=["product_id", "other_id"],
        assignments={"n": f"{tables['pairs'].name}.n + excluded.n"},
    )
    refresh_top(connection, tables, sorted(counts), support)


def refresh_top(
    connection: Connection, tables: Mapping[str, Table], products: list[str], support: float = 0.0
) -> None:
    counts_t, pairs_t, top_t = tables["counts"], tables["pairs"], tables["top"]
    for start in range(0, len(products), _CHUNK):
        chunk = products[start : start + _CHUNK]
        together: dict[str, dict[str, int]] = {p: {} for p in chunk}
        for row in connection.execute(
            select(pairs_t.c.product_id, pairs_t.c.other_id, pairs_t.c.n).where(
                pairs_t.c.product_id.in_(chunk)
            )
        ).all():
            together[row.product_id][row.other_id] = row.n
        needed = sorted(set(chunk).union(*(t.keys() for t in together.values())))
        counts = _counts(connection, counts_t, needed)
        rows = [
            {"product_id": product, "other_id": other, "score": score}
            for product in chunk
            for other, score in top_neighbors(
                together[product], counts.get(product, 0), counts, support=support
            )
        ]
        connection.execute(delete(top_t).where(top_t.c.product_id.in_(chunk)))
        if rows:
            connection.execute(insert(top_t), rows)


def _counts(connection: Connection, table: Table, ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(ids), _CHUNK * 4):
        chunk = ids[start : start + _CHUNK * 4]
        rows = connection.execute(
            select(table.c.product_id, table.c.n).where(table.c.product_id.in_(chunk))
        ).all()
        found.update((row.product_id, row.n) for row in rows)
    return found


class SqlRecommendationGraph:
    """The graph's port in SQL: neighbour lists per signal, and the viewed-together half
    fed by the co-view job."""

    def __init__(self, engine: Engine, read_engine: Engine | None = None) -> None:
        self._engine = engine
        #: Reads go to the readers' pool: in embedded mode the writer is one connection.
        self._read_engine = read_engine or engine

    def neighbors(self, product_id: str, k: int = TOP_K) -> dict[str, list[tuple[str, float]]]:
        found: dict[str, list[tuple[str, float]]] = {}
        with self._read_engine.connect() as connection:
            for signal, tables in (("bought", bought), ("viewed", viewed)):
                top = tables["top"]
                found[signal] = [
                    (row.other_id, row.score)
                    for row in connection.execute(
                        select(top.c.other_id, top.c.score)
                        .where(top.c.product_id == product_id)
                        .order_by(top.c.score.desc(), top.c.other_id)
                        .limit(k)
                    )
                ]
        return found

    def neighbors_many(
        self, product_ids: Sequence[str], k: int = TOP_K
    ) -> dict[str, dict[str, list[tuple[str, float]]]]:
        """`neighbors` of every product in `product_ids`, by product: one query per signal
        whatever their number (a page of products asks at once)."""
        ids = sorted(set(product_ids))
        found: dict[str, dict[str, list[tuple[str, float]]]] = {
            p: {"bought": [], "viewed": []} for p in ids
        }
        if not ids:
            return found
        with self._read_engine.connect() as connection:
            for signal, tables in (("bought", bought), ("viewed", viewed)):
                top = tables["top"].c
                order = (top.score.desc(), top.other_id)
                rank = func.row_number().over(partition_by=top.product_id, order_by=order)
                ranked = (
                    select(top.product_id, top.other_id, top.score, rank.label("rank"))
                    .where(top.product_id.in_(ids))
                    .subquery()
                )
                rows = connection.execute(
                    select(ranked.c.product_id, ranked.c.other_id, ranked.c.score)
                    .where(ranked.c.rank <= k)
                    .order_by(ranked.c.product_id, ranked.c.rank)
                )
                for row in rows:
                    found[row.product_id][signal].append((row.other_id, row.score))
        return found

    def viewed_until(self) -> datetime | None:
        """Where the co-view job stopped: visits before it are counted."""
        with self._read_engine.connect() as connection:
            epoch = connection.execute(
                select(viewed_progress.c.until_epoch).where(viewed_progress.c.id == 1)
            ).scalar_one_or_none()
        return None if epoch is None else datetime.fromtimestamp(epoch, UTC)

    def add_co_views(self, co_views: CoViews, until: datetime) -> None:
        """Count one window's visits and move the progress past it, in one transaction."""
        pairs = {(a, b): n for a, b, n in co_views.pairs}
        with self._engine.begin() as connection:
            add_together(connection, viewed, co_views.visits, pairs, VIEWED_SUPPORT)
            bulk_upsert(
                connection,
                viewed_progress,
                [{"id": 1, "until_epoch": int(until.timestamp())}],
                key=["id"],
                assignments={"until_epoch": "excluded.until_epoch"},
            )

    def reset_viewed(self) -> None:
        """Forget the viewed-together graph, to count it again from the analytics store."""
        with self._engine.begin() as connection:
            for table in (*viewed.values(), viewed_progress):
                connection.execute(delete(table))
