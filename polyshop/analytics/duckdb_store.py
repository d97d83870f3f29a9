"""The embedded analytics store: one DuckDB file, columnar, scanned in parallel.

A column store needs no index for these questions: a bucket series reads two columns of the
rows in range and a trending query aggregates one; DuckDB's zone maps skip the row groups
outside the time range, and rows arrive in time order, so those ranges are tight.

DuckDB lets one process open a file for writing, so the file is opened on first use, not at
start-up: CLI commands that never touch analytics can run beside a serving shop.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import duckdb

from polyshop.analytics.domain import Bucket, Kind, Signals, TimeRange, Trend, from_us, to_us
from polyshop.analytics.ports import MAX_PAIRS, CoViews

KIND_CODES = {Kind.VIEW: 0, Kind.CART_ADD: 1}

SCHEMA = """
CREATE TABLE IF NOT EXISTS signals (
    kind UTINYINT NOT NULL,
    product_id UUID NOT NULL,
    viewer BIGINT,
    seen_at TIMESTAMP NOT NULL
)
"""


class DuckDbAnalyticsStore:
    def __init__(self, path: Path, *, threads: int = 2) -> None:
        self._path = path
        self._threads = threads
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._opening = threading.Lock()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own per call: DuckDB connections are not shared across threads."""
        if self._connection is None:
            with self._opening:
                if self._connection is None:
                    self._path.parent.mkdir(parents=True, exist_ok=True)
                    connection = duckdb.connect(str(self._path), config={"threads": self._threads})
                    connection.execute(SCHEMA)
                    self._connection = connection
        return self._connection.cursor()

    def append(self, signals: Signals) -> None:
        if not len(signals):
            return
        kinds = [KIND_CODES[kind] for kind in signals.kinds]
        # Columns as lists, unnested server-side: one statement, ~20x faster than executemany.
        with self._cursor() as cursor:
            cursor.execute(
                "INSERT INTO signals SELECT unnest($1), unnest($2)::UUID, unnest($3),"
                " make_timestamp(unnest($4))",
                [kinds, signals.product_ids, signals.viewers, signals.at_us],
            )

    def series(self, kind: Kind, product_id: str, rng: TimeRange) -> dict[datetime, int]:
        width = rng.bucket.micros
        with self._cursor() as cursor:
            rows = cursor.execute(
                "SELECT epoch_us(seen_at) // $w * $w AS bucket, count(*) FROM signals"
                " WHERE kind = $k AND product_id = $p::UUID"
                " AND seen_at >= make_timestamp($s) AND seen_at < make_timestamp($e)"
                " GROUP BY bucket",
                {
                    "w": width,
                    "k": KIND_CODES[kind],
                    "p": product_id,
                    "s": to_us(rng.start),
                    "e": to_us(rng.end),
                },
            ).fetchall()
        return {from_us(bucket): count for bucket, count in rows}

    def trending(
        self, start: datetime, end: datetime, previous_start: datetime, limit: int
    ) -> list[Trend]:
        with self._cursor() as cursor:
            rows = cursor.execute(
                "SELECT product_id::VARCHAR AS id,"
                " count(*) FILTER (WHERE seen_at >= make_timestamp($s)) AS views,"
                " count(*) FILTER (WHERE seen_at < make_timestamp($s)) AS previous"
                " FROM signals WHERE kind = 0"
                " AND seen_at >= make_timestamp($p) AND seen_at < make_timestamp($e)"
                " GROUP BY product_id HAVING views > 0"
                " ORDER BY views DESC, id LIMIT $n",
                {"s": to_us(start), "e": to_us(end), "p": to_us(previous_start), "n": limit},
            ).fetchall()
        return [Trend(product_id, views, previous) for product_id, views, previous in rows]

    def totals(self, product_id: str, start: datetime, end: datetime) -> dict[Kind, int]:
        with self._cursor() as cursor:
            rows = cursor.execute(
                "SELECT kind, count(*) FROM signals WHERE product_id = $p::UUID"
                " AND seen_at >= make_timestamp($s) AND seen_at < make_timestamp($e)"
                " GROUP BY kind",
                {"p": product_id, "s": to_us(start), "e": to_us(end)},
            ).fetchall()
        by_code = dict(rows)
        return {kind: by_code.get(code, 0) for kind, code in KIND_CODES.items()}

    def co_views(
        self,
        start: datetime,
        end: datetime,
        *,
        max_products_per_visit: int,
        max_pairs: int = MAX_PAIRS,
    ) -> CoViews:
        visits = (
            "WITH seen AS (SELECT DISTINCT viewer, product_id FROM signals"
            " WHERE kind = 0 AND viewer IS NOT NULL"
            " AND seen_at >= make_timestamp($s) AND seen_at < make_timestamp($e)),"
            " kept AS (SELECT * FROM seen WHERE viewer IN"
            " (SELECT viewer FROM seen GROUP BY viewer HAVING count(*) <= $m)) "
        )
        params = {"s": to_us(start), "e": to_us(end), "m": max_products_per_visit}
        pair_params = {**params, "n": max_pairs}
        with self._cursor() as cursor:
            pairs = cursor.execute(
                visits + "SELECT a.product_id::VARCHAR, b.product_id::VARCHAR, count(*)"
                " FROM kept a JOIN kept b ON a.viewer = b.viewer"
                " AND a.product_id <> b.product_id GROUP BY ALL ORDER BY 3 DESC, 1, 2 LIMIT $n",
                pair_params,
            ).fetchall()
            counts = cursor.execute(
                visits + "SELECT product_id::VARCHAR, count(*) FROM kept GROUP BY ALL", params
            ).fetchall()
        return CoViews(pairs=[tuple(p) for p in pairs], visits=dict(counts))

    def first_signal_at(self) -> datetime | None:
        with self._cursor() as cursor:
            row = cursor.execute("SELECT epoch_us(min(seen_at)) FROM signals").fetchone()
        return from_us(row[0]) if row and row[0] is not None else None

    def purge_before(self, cutoff: datetime) -> None:
        with self._cursor() as cursor:
            cursor.execute(
                "DELETE FROM signals WHERE seen_at < make_timestamp($d)",
                {"d": to_us(Bucket.DAY.floor(cutoff))},
            )

    def check(self) -> None:
        with self._cursor() as cursor:
            cursor.execute("SELECT 1").fetchall()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
